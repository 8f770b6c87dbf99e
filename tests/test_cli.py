"""The command line: outputs, help, and bad input ending in one line with status 2."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridfoot import footprint
from gridfoot.cli import main
from gridfoot.datasets import sample_data_dir, sample_mrio


def test_footprint_command_writes_netcdf_and_tidy_tables(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["footprint", "--mrio", str(sample_data_dir() / "mrio"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        ".gridfoot-output.json",
        "accounts.csv",
        "driven.parquet",
        "footprint.nc",
    ]
    expected = footprint(sample_mrio())
    with xr.open_dataset(out / "footprint.nc") as written:
        np.testing.assert_allclose(written.driven, expected.driven, rtol=1e-15)
        assert written.cba.attrs["units"] == "t"
    accounts = pd.read_csv(out / "accounts.csv")
    assert accounts.columns.tolist() == ["account", "stressor", "region", "value", "unit"]
    cba = accounts.query("account == 'cba'").set_index("region")["value"]
    np.testing.assert_allclose(cba[expected.region.values], expected.cba.sel(stressor="CO2"))
    driven = pd.read_parquet(out / "driven.parquet")
    assert driven.columns.tolist() == [
        "stressor",
        "region",
        "sector",
        "destination",
        "category",
        "value",
        "unit",
    ]
    assert len(driven) == expected.driven.size
    assert driven["value"].sum() == pytest.approx(float(expected.driven.sum()), rel=1e-12)


def test_bad_input_is_one_line_with_status_2_and_no_output(tmp_path, capsys) -> None:
    folder = tmp_path / "tables"
    folder.mkdir()
    sample = sample_data_dir() / "mrio"
    for name in ("Y.csv", "satellite.csv"):
        (folder / name).write_bytes((sample / name).read_bytes())
    Z = pd.read_csv(sample / "Z.csv", header=[0, 1], index_col=[0, 1])
    Z.iloc[2, 2] = np.nan
    Z.to_csv(folder / "Z.csv")
    out = tmp_path / "out"
    assert main(["footprint", "--mrio", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("gridfoot: error: ") and "NaN" in err and "HAI/FOO x HAI/FOO" in err
    assert not out.exists()


def test_unknown_stressor_is_reported(tmp_path, capsys) -> None:
    code = main(
        [
            "footprint",
            "--mrio",
            str(sample_data_dir() / "mrio"),
            "--stressor",
            "CH4",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "unknown stressor(s) CH4" in capsys.readouterr().err


def test_help_and_console_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gridfoot.cli", "footprint", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "destination-resolved footprint" in result.stdout
    assert "--stressor NAME" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "gridfoot.cli", "footprint"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "required" in result.stderr


def test_an_unexpected_error_is_one_line_unless_debug_is_asked(monkeypatch, capsys) -> None:
    import gridfoot.mrio as mrio

    def broken(*args, **kwargs):
        raise TypeError("something gridfoot did not foresee")

    monkeypatch.setattr(mrio, "read_mrio", broken)
    argv = ["footprint", "--mrio", str(sample_data_dir() / "mrio"), "--out", "unused"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "unexpected TypeError: something gridfoot did not foresee" in err and "--debug" in err
    with pytest.raises(TypeError):
        main(["--debug", *argv])


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["bogus"], "invalid choice: 'bogus'"),
        (["footprint", "--x", "bogus", "--mrio", "m", "--out", "o"], "--x"),
        (["footprint", "--mrio", "m"], "--out"),
        (["hotspots"], "RASTER_OR_CUBE"),
        (["run"], "CONFIG"),
    ],
)
def test_usage_mistakes_are_one_line_with_status_2(argv, named, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert err.startswith("gridfoot: error: ") and named in err and "--help" in err


def test_footprint_reads_gbk_tables_with_encoding(tmp_path, capsys) -> None:
    import shutil

    folder = shutil.copytree(sample_data_dir() / "mrio", tmp_path / "mrio")
    countries = folder / "countries.csv"
    countries.write_bytes(countries.read_text().replace("MER", "梅里").encode("gbk"))
    argv = ["footprint", "--mrio", str(folder), "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    assert "countries.csv: not UTF-8 text" in capsys.readouterr().err
    assert main([*argv, "--encoding", "klingon"]) == 2
    assert "--encoding: unknown encoding 'klingon'" in capsys.readouterr().err
    assert main([*argv, "--encoding", "gbk"]) == 0
    accounts = pd.read_csv(tmp_path / "out" / "accounts.csv")
    assert accounts["value"].notna().all()


def test_an_interrupted_command_lets_the_running_dask_tasks_finish() -> None:
    """Ctrl-C stops dask from starting tasks, not the ones running: the command waits for
    them before it returns (else the interpreter's shutdown cuts their writes), and dask
    still works afterwards."""
    import _thread
    import threading
    import time

    import dask

    from gridfoot.cli import _let_running_tasks_finish

    started: list[int] = []
    done: list[int] = []

    def task(i: int) -> int:  # the first one to start is short: a long one runs when it ends
        started.append(i)
        time.sleep(0.1 if len(started) == 1 else 0.6)
        done.append(i)
        return i

    dask.compute(dask.delayed(len)([]), scheduler="threads", num_workers=2)  # pool up
    threading.Timer(0.05, _thread.interrupt_main).start()
    with pytest.raises(KeyboardInterrupt):
        dask.compute(*[dask.delayed(task)(i) for i in range(20)], scheduler="threads")
    assert len(done) < len(started)  # a task was still running
    _let_running_tasks_finish()
    assert sorted(done) == sorted(started) and len(started) < 20
    assert dask.compute(dask.delayed(task)(98), scheduler="threads") == (98,)
