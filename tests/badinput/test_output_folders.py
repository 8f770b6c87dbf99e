"""Output folders through the CLI: nothing of the user's is deleted, overwritten or mixed."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

from gridfoot.errors import GridfootError
from gridfoot.io.output import MARKER, output_folder
from tests.badinput.conftest import assert_refused, edit_toml, run_cli, snapshot


def test_run_into_the_project_folder_is_refused_and_nothing_is_touched(
    study, capsys, monkeypatch
) -> None:
    (study / "draft.md").write_text("an unrelated draft")
    before = snapshot(study)
    monkeypatch.chdir(study)
    line = assert_refused(run_cli(capsys, "run", "gridfoot.toml", "--out", "."), "holds the input")
    assert str(study) in line
    assert snapshot(study) == before


def test_an_output_dir_pointing_at_the_inputs_is_refused(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"output.dir": "."})
    before = snapshot(study)
    assert_refused(run_cli(capsys, "run", config), "holds the input")
    assert snapshot(study) == before


def test_run_onto_an_existing_file_is_refused(study, capsys) -> None:
    notes = study.parent / "notes.txt"
    notes.write_text("mine")
    outcome = run_cli(capsys, "run", study / "gridfoot.toml", "--out", notes)
    assert_refused(outcome, "notes.txt", "is a file, not a folder")
    assert notes.read_text() == "mine"


def test_demo_into_a_folder_with_a_users_file_is_refused(tmp_path, capsys) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "notes.txt").write_text("mine")
    outcome = run_cli(capsys, "demo", "--out", results, "--no-progress")
    assert_refused(outcome, "results", "not written by gridfoot", "notes.txt")
    assert snapshot(tmp_path) == {"results/notes.txt": snapshot(results)["notes.txt"]}


def test_a_run_toml_inside_its_own_output_folder_is_protected(study, capsys) -> None:
    out = study.parent / "results"
    with output_folder(out, command="run") as staging:
        (staging / "run.toml").write_text((study / "gridfoot.toml").read_text())
    before = snapshot(out)
    outcome = run_cli(capsys, "run", out / "run.toml", "--out", out)
    assert_refused(outcome, "holds the input", "run.toml")
    assert snapshot(out) == before


def test_footprint_into_the_mrio_folder_is_refused(study, capsys) -> None:
    before = snapshot(study / "mrio")
    outcome = run_cli(capsys, "footprint", "--mrio", study / "mrio", "--out", study / "mrio")
    assert_refused(outcome, "holds the input")
    assert snapshot(study / "mrio") == before


def test_footprint_below_a_file_exits_2_in_one_line(study, capsys) -> None:
    (study.parent / "afile").write_text("x")
    outcome = run_cli(
        capsys, "footprint", "--mrio", study / "mrio", "--out", study.parent / "afile" / "sub"
    )
    assert_refused(outcome, "afile")
    assert (study.parent / "afile").read_text() == "x"


def test_urban_failing_while_writing_leaves_no_output(study, capsys, monkeypatch) -> None:
    import gridfoot.workflows.urban as urban

    def broken(*args, **kwargs):
        raise GridfootError("figures: the drawing failed")

    monkeypatch.setattr(urban, "_figures", broken)
    out = study.parent / "urban"
    assert_refused(run_cli(capsys, "urban", study / "cities" / "cities.toml", "--out", out))
    assert not out.exists()
    assert not [p for p in study.parent.iterdir() if p.name.startswith(".")]


def _small_raster(path):
    from gridfoot.io import write_geotiff
    from gridfoot.spatial.grid import Grid

    grid = Grid.from_bounds((0, 0, 60_000, 60_000), "EPSG:3035")
    values = np.zeros(grid.shape)
    values[1, 1], values[4, 4], values[2, 3] = 100.0, 50.0, 10.0
    return write_geotiff(grid.wrap(values, name="co2", units="t"), path)


def test_a_failing_hotspots_rerun_leaves_the_previous_report_whole(tmp_path, capsys) -> None:
    raster = _small_raster(tmp_path / "co2.tif")
    out = tmp_path / "report"
    assert run_cli(capsys, "hotspots", raster, "--out", out).status == 0
    before = snapshot(out)
    assert MARKER in before and "summary.json" in before
    outcome = run_cli(capsys, "hotspots", tmp_path / "missing.tif", "--out", out)
    assert_refused(outcome, "missing.tif")
    assert snapshot(out) == before
    assert run_cli(capsys, "hotspots", raster, "--share", "0.5", "--out", out).status == 0
    assert snapshot(out) != before and set(snapshot(out)) == set(before)


def test_hotspots_into_the_folder_of_its_raster_is_refused(tmp_path, capsys) -> None:
    raster = _small_raster(tmp_path / "co2.tif")
    assert_refused(run_cli(capsys, "hotspots", raster, "--out", tmp_path), "holds the input")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["co2.tif"]


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB file system (tmpfs, needs root), unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root: " + done.stderr.decode().strip())
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_one_line_and_the_previous_results_stay(study, capsys, small_disk) -> None:
    out = small_disk / "results"
    with output_folder(out, command="footprint") as staging:
        (staging / "accounts.csv").write_text("previous")
    before = snapshot(out)
    outcome = run_cli(capsys, "footprint", "--mrio", study / "mrio", "--out", out)
    assert_refused(outcome, "no space left on the device")
    assert snapshot(out) == before
    assert sorted(os.listdir(small_disk)) == ["results"]  # the staging folder is gone
