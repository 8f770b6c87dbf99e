"""The output-folder policy: absent, empty or gridfoot's own; all or nothing; locks; clean-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gridfoot.errors import GridfootWarning, OutputError
from gridfoot.io.output import MARKER, check_output_folder, output_folder


def _write(out, files: dict[str, str], command: str = "test"):
    with output_folder(out, command=command) as staging:
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text)
    return out


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_an_absent_folder_is_created_with_a_marker_listing_every_file(tmp_path) -> None:
    out = _write(tmp_path / "out", {"a.csv": "1", "maps/b.png": "2"})
    marker = json.loads((out / MARKER).read_text())
    assert marker["command"] == "test"
    assert sorted(marker["files"]) == ["a.csv", "maps/b.png"]
    assert marker["files"]["a.csv"][0] == 1  # size, then modification time
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging, no lock left


def test_a_zarr_store_is_listed_as_one_entry(tmp_path) -> None:
    out = _write(tmp_path / "out", {"cube.zarr/.zgroup": "{}", "cube.zarr/a/0.0": "x"})
    assert json.loads((out / MARKER).read_text())["files"] == {"cube.zarr/": None}
    _write(out, {"cube.zarr/.zgroup": "{}"})  # its own store is replaced without complaint
    assert not (out / "cube.zarr" / "a").exists()


def test_an_empty_folder_is_used_in_place(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    inode = out.stat().st_ino
    _write(out, {"a.csv": "1"})
    assert out.stat().st_ino == inode and (out / "a.csv").read_text() == "1"


def test_a_previous_gridfoot_folder_is_replaced_whole(tmp_path) -> None:
    out = _write(tmp_path / "out", {"old.csv": "1", "keep.csv": "1"})
    _write(out, {"keep.csv": "2"})
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "keep.csv"]
    assert (out / "keep.csv").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_gridfoot_did_not_write_is_refused_untouched(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"not written by gridfoot \(it holds notes.txt\)"):
        _write(out, {"a.csv": "1"})
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_users_file_added_to_a_gridfoot_folder_stops_its_replacement(tmp_path) -> None:
    out = _write(tmp_path / "out", {"a.csv": "1"})
    (out / "maps").mkdir()
    (out / "maps" / "edited.svg").write_text("mine")
    with pytest.raises(OutputError, match=r"did not write \(maps/edited.svg\)"):
        _write(out, {"a.csv": "2"})
    assert (out / "a.csv").read_text() == "1" and (out / "maps" / "edited.svg").exists()


def test_a_file_is_not_an_output_folder(tmp_path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        _write(notes, {"a.csv": "1"})
    assert notes.read_text() == "mine"


def test_a_folder_holding_an_input_is_refused(tmp_path) -> None:
    (tmp_path / "firms.csv").write_text("id\n1\n")
    for out in (tmp_path, tmp_path / "firms.csv"):
        with pytest.raises(OutputError, match="holds the input"):
            check_output_folder(out, [tmp_path / "firms.csv"])
    # writing inside an input folder is fine: nothing of it is replaced
    assert check_output_folder(tmp_path / "results", [tmp_path]) == tmp_path / "results"


def test_a_failure_leaves_nothing_and_the_previous_results_intact(tmp_path) -> None:
    out = _write(tmp_path / "out", {"a.csv": "1"})
    with pytest.raises(RuntimeError), output_folder(out, command="test") as staging:
        (staging / "a.csv").write_text("half")
        raise RuntimeError("the computation failed")
    assert (out / "a.csv").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path) -> None:
    out = tmp_path / "out"
    with output_folder(out, command="first") as staging:
        (staging / "a.csv").write_text("1")
        with pytest.raises(OutputError, match=r"another gridfoot run \(process \d+\)"):
            _write(out, {"b.csv": "2"})
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "a.csv"]


def test_a_killed_runs_lock_and_staging_folder_are_cleaned_up(tmp_path) -> None:
    owner = json.dumps({"pid": _dead_pid(), "host": os.uname().nodename})
    (tmp_path / ".out.gridfoot-lock").write_text(owner)
    stale = tmp_path / ".out.gridfoot-staging-1-abc"
    stale.mkdir()
    (stale / ".gridfoot-staging.json").write_text(owner)
    (stale / "cube.zarr").write_bytes(b"x" * 4096)
    live = tmp_path / ".out.gridfoot-staging-2-def"  # a running process's: left alone
    live.mkdir()
    (live / ".gridfoot-staging.json").write_text(
        json.dumps({"pid": os.getpid(), "host": os.uname().nodename})
    )
    unknown = tmp_path / ".out.gridfoot-staging-3-ghi"  # no marker: not provably ours
    unknown.mkdir()
    with pytest.warns(GridfootWarning, match=r"removed .*gridfoot-staging-1-abc .*interrupted"):
        _write(tmp_path / "out", {"a.csv": "1"})
    assert not stale.exists() and live.exists() and unknown.exists()
    assert not (tmp_path / ".out.gridfoot-lock").exists()


def test_the_working_folder_is_replaced_in_place(tmp_path, monkeypatch) -> None:
    out = _write(tmp_path / "out", {"a.csv": "1"})
    monkeypatch.chdir(out)
    _write(out, {"b.csv": "2"})
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.csv"]
    assert os.getcwd() == str(out) and os.path.isdir(os.getcwd())


def test_a_path_below_a_file_is_refused_in_one_line(tmp_path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="afile/out: cannot write in"):
        _write(tmp_path / "afile" / "out", {"a.csv": "1"})
    assert (tmp_path / "afile").read_text() == "x"


def test_a_file_the_user_edited_in_a_gridfoot_folder_stops_its_replacement(tmp_path) -> None:
    out = _write(tmp_path / "out", {"accounts.csv": "1,2"})
    (out / "accounts.csv").write_text("1,2 with the user's correction")
    with pytest.raises(OutputError, match=r"changed since gridfoot wrote them \(accounts.csv\)"):
        _write(out, {"accounts.csv": "new"})
    assert (out / "accounts.csv").read_text() == "1,2 with the user's correction"


def test_a_killed_process_that_is_still_a_zombie_counts_as_gone(tmp_path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        import time

        for _ in range(100):  # until it has exited but is not yet reaped: a zombie
            state = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            if state == "Z":
                break
            time.sleep(0.02)
        (tmp_path / ".out.gridfoot-lock").write_text(
            json.dumps({"pid": child.pid, "host": os.uname().nodename})
        )
        _write(tmp_path / "out", {"a.csv": "1"})  # the zombie's lock is taken over
    finally:
        child.wait()
    assert (tmp_path / "out" / "a.csv").read_text() == "1"


def test_a_gis_statistics_sidecar_beside_a_gridfoot_raster_does_not_block(tmp_path) -> None:
    out = _write(tmp_path / "out", {"total.tif": "raster", "total.tif.aux.xml": "<crs/>"})
    (out / "total.tif.aux.xml").write_text("<crs/><statistics/>")  # QGIS computed statistics
    (out / "notes.tif.aux.xml").write_text("<statistics/>")  # beside no file of gridfoot's
    with pytest.raises(OutputError, match="did not write"):
        _write(out, {"total.tif": "new"})
    (out / "notes.tif.aux.xml").unlink()
    _write(out, {"total.tif": "new"})
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "total.tif"]
