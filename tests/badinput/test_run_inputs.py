"""Inputs a run reads beyond the tables: the proxy raster, and the memory it will need."""

from __future__ import annotations

import numpy as np

from gridfoot.io import write_geotiff
from gridfoot.spatial.grid import Grid
from tests.badinput.conftest import assert_refused, edit_toml, run_cli


def test_a_missing_proxy_is_named_by_validate(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"downscale.proxy": "proxy.tif"})
    assert_refused(run_cli(capsys, "validate", config), "proxy.tif", "no such file")


def test_a_proxy_that_is_no_raster_is_named(study, capsys) -> None:
    (study / "proxy.tif").write_text("not a raster")
    config = edit_toml(study / "gridfoot.toml", **{"downscale.proxy": "proxy.tif"})
    assert_refused(run_cli(capsys, "validate", config), "proxy.tif", "downscale.proxy")


def test_a_proxy_on_another_grid_is_refused_before_the_run(study, capsys) -> None:
    grid = Grid.from_bounds((0, 0, 50_000, 50_000), "EPSG:3035")
    write_geotiff(grid.wrap(np.ones(grid.shape), name="proxy"), study / "proxy.tif")
    config = edit_toml(study / "gridfoot.toml", **{"downscale.proxy": "proxy.tif"})
    out = study.parent / "out"
    for command in (["validate", config], ["run", config, "--out", out, "--no-progress"]):
        assert_refused(run_cli(capsys, *command), "proxy.tif", "not on the run's grid")
    assert not out.exists()


def test_a_run_beyond_its_memory_budget_is_refused_with_the_numbers(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"dask.memory_budget": "8 MiB"})
    line = assert_refused(run_cli(capsys, "validate", config), "dask.memory_budget", "GiB")
    assert "cells" in line


def test_validate_prints_the_memory_a_run_needs(study, capsys) -> None:
    outcome = run_cli(capsys, "validate", study / "gridfoot.toml")
    assert outcome.status == 0
    assert "memory: about" in outcome.out and "destination layers" in outcome.out
