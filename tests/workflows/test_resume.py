"""Resumable runs: a run started again reuses the footprint and the allocation it kept, gives
the same outputs, recomputes what a changed input touches, and --fresh recomputes all."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tomllib

import numpy as np
import pandas as pd
import pytest

import gridfoot.io.cube
import gridfoot.workflows.hotspots
from gridfoot.config import RunConfig
from gridfoot.datasets import sample_data_dir
from gridfoot.errors import OutputError
from gridfoot.workflows import run_grid
from gridfoot.workflows.resume import MARKER, StageCache


def _config(folder, **output):
    sample = sample_data_dir()
    shutil.copy(sample / "firms.csv", folder / "firms.csv")
    data = tomllib.loads((sample / "gridfoot.toml").read_text())
    data["sources"]["path"] = str(folder / "firms.csv")
    data["output"] = {"maps": ["png"], "geotiff": ["total"], **output}
    return RunConfig.from_mapping(data, base_dir=sample)


def _stages(out):
    return json.loads((out / "summary.json").read_text())["results"]["stages"]


def test_a_run_started_again_reuses_its_stages_and_gives_the_same_files(tmp_path):
    config = _config(tmp_path)
    first = run_grid(config, tmp_path / "out", progress=False)
    assert _stages(tmp_path / "out") == {
        "footprint": "computed",
        "allocation": "computed",
        "cube": "computed",
    }
    before = {
        name: (tmp_path / "out" / name).read_bytes()
        for name in ("hubs.csv", "concentration.csv", "accounts.csv", "allocation_report.csv")
    }
    again = run_grid(config, tmp_path / "out", progress=False)
    # the cube was moved into the first run's output: a finished run keeps none of its chunks
    assert _stages(tmp_path / "out") == {
        "footprint": "reused",
        "allocation": "reused",
        "cube": "computed",
    }
    for name, content in before.items():
        assert (tmp_path / "out" / name).read_bytes() == content, name
    np.testing.assert_array_equal(first.total.values, again.total.values)
    assert (tmp_path / ".gridfoot-cache-out" / MARKER).is_file()


def test_an_interrupted_run_resumes_after_its_last_finished_stage(tmp_path, monkeypatch):
    config = _config(tmp_path)
    compute = gridfoot.workflows.hotspots.compute_hotspots

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(gridfoot.workflows.hotspots, "compute_hotspots", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_grid(config, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()  # all or nothing
    monkeypatch.setattr(gridfoot.workflows.hotspots, "compute_hotspots", compute)
    run_grid(config, tmp_path / "out", progress=False)
    assert _stages(tmp_path / "out") == {
        "footprint": "reused",
        "allocation": "reused",
        "cube": "computed",
    }


def test_a_run_interrupted_while_writing_the_cube_computes_only_the_chunks_left(
    tmp_path, monkeypatch
):
    """Chunks written before the interruption are kept in the cache; the run started again
    computes the others and writes the same cube as a run never interrupted."""
    import threading

    import xarray as xr

    config = _config(tmp_path, cube=True)
    config = dataclasses.replace(config, dask=dataclasses.replace(config.dask, chunk_mb=0.05))
    store = gridfoot.io.cube._store_block
    calls, lock = [], threading.Lock()

    def interrupted(*args):
        with lock:
            calls.append(1)
            if len(calls) > 5:
                raise KeyboardInterrupt
        return store(*args)

    monkeypatch.setattr(gridfoot.io.cube, "_store_block", interrupted)
    with pytest.raises(KeyboardInterrupt):  # one block at a time: exactly five are written
        run_grid(config, tmp_path / "out", progress=False, scheduler="synchronous")
    assert not (tmp_path / "out").exists()  # all or nothing
    cache = tmp_path / ".gridfoot-cache-out"
    kept = json.loads((cache / MARKER).read_text())["files"]
    partial = [n for n in kept if n.startswith("cube-") and n.endswith(".zarr")]
    assert len(partial) == 1 and (cache / partial[0]).is_dir()
    written = len(list((cache / (partial[0] + ".done")).iterdir()))
    assert written == 5

    monkeypatch.setattr(gridfoot.io.cube, "_store_block", store)
    run_grid(config, tmp_path / "out", progress=False)
    stages = _stages(tmp_path / "out")
    blocks = int(stages["cube"].split(" of ")[1].split()[0])
    assert stages["cube"] == f"reused {written} of {blocks} chunks" and blocks > written
    assert not (cache / partial[0]).exists() and not (cache / (partial[0] + ".done")).exists()

    whole = run_grid(
        dataclasses.replace(config, output=dataclasses.replace(config.output, cache=False)),
        tmp_path / "whole",
        progress=False,
    )
    assert whole.stages == {"footprint": "computed", "allocation": "computed"}
    with (
        xr.open_zarr(tmp_path / "out" / "cube.zarr") as resumed,
        xr.open_zarr(tmp_path / "whole" / "cube.zarr") as fresh,
    ):
        xr.testing.assert_identical(resumed.drop_attrs(), fresh.drop_attrs())
        assert resumed.attrs.keys() == fresh.attrs.keys()
    assert (tmp_path / "out" / "cube.zarr" / ".zmetadata").is_file()


def test_a_changed_input_recomputes_what_depends_on_it(tmp_path):
    config = _config(tmp_path)
    run_grid(config, tmp_path / "out", progress=False)
    firms = pd.read_csv(tmp_path / "firms.csv")
    firms.loc[0, "co2_t"] *= 10
    firms.to_csv(tmp_path / "firms.csv", index=False)
    run_grid(config, tmp_path / "out", progress=False)
    assert _stages(tmp_path / "out") == {
        "footprint": "reused",
        "allocation": "computed",
        "cube": "computed",
    }
    run_grid(config, tmp_path / "out", progress=False, fresh=True)
    assert _stages(tmp_path / "out") == {
        "footprint": "computed",
        "allocation": "computed",
        "cube": "computed",
    }
    kept = json.loads((tmp_path / ".gridfoot-cache-out" / MARKER).read_text())["files"]
    assert len([n for n in kept if n.startswith("allocation-")]) == 1  # --fresh emptied it


def test_no_cache_when_asked(tmp_path):
    run_grid(_config(tmp_path, cache=False), tmp_path / "out", progress=False)
    assert _stages(tmp_path / "out") == {"footprint": "computed", "allocation": "computed"}
    assert not (tmp_path / ".gridfoot-cache-out").exists()


def test_a_folder_that_is_not_gridfoots_cache_is_left_alone(tmp_path):
    foreign = tmp_path / ".gridfoot-cache-out"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not gridfoot's cache folder"):
        StageCache.beside(tmp_path / "out", fresh=True)
    assert (foreign / "notes.txt").read_text() == "mine"
