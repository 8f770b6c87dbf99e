"""Memory: a grid or run that would not fit is refused with the numbers before allocating."""

from __future__ import annotations

import re
import time
import tracemalloc

import geopandas as gpd
import numpy as np
import pytest
from shapely import box

from gridfoot import resources
from gridfoot.config import DaskConfig
from gridfoot.errors import MemoryBudgetError
from gridfoot.resources import (
    GRID_BYTES_PER_CELL,
    estimate_grid_memory,
    estimate_run_memory,
    memory_budget,
)
from gridfoot.spatial import Grid

from .conftest import assert_refused, edit_toml, run_cli


def test_one_metre_cells_over_the_sample_country_are_refused_at_once(capsys, study) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"grid.resolution": 1})
    out = study.parent / "out"
    start = time.perf_counter()
    outcome = run_cli(capsys, "validate", config)
    elapsed = time.perf_counter() - start
    line = assert_refused(outcome, "cells of 1 x 1 metre", "GiB", "grid.resolution")
    assert "[dask] memory_budget" in line and "available" in line
    # the numbers: ~2,000 km square in 1 m cells, 64 B a cell, far beyond any budget
    cells = int(re.search(r"= ([\d,]+) cells", line).group(1).replace(",", ""))
    assert 1e12 < cells < 1e13
    needed = float(re.search(r"needs about ([\d,.]+) GiB", line).group(1).replace(",", ""))
    assert needed == pytest.approx(cells * GRID_BYTES_PER_CELL / 2**30, rel=0.01)
    assert elapsed < 2.0  # reading the inputs takes most of it; nothing was allocated
    assert not out.exists()


def test_the_same_run_fits_at_ten_kilometres(capsys, study) -> None:
    # the control: the sample's own resolution is accepted by the default budget
    outcome = run_cli(capsys, "validate", study / "gridfoot.toml")
    assert outcome.status == 0, outcome.err


SQUARE = gpd.GeoSeries([box(0, 0, 200_000, 100_000)], crs="EPSG:3035")  # 20 x 10 cells of 10 km


def test_a_tiny_budget_refuses_a_normal_grid_with_the_numbers() -> None:
    with pytest.raises(MemoryBudgetError) as caught:
        Grid.for_boundaries(SQUARE, crs="EPSG:3035", memory_budget="1 KiB")  # 200 cells: 12.5 KiB
    message = str(caught.value)
    assert "10 x 20 = 200 cells of 10000 x 10000 metre" in message
    assert f"{200 * GRID_BYTES_PER_CELL / 2**30:.3g} GiB" in message  # needed
    assert "memory budget of 9.54e-07 GiB (set by memory_budget)" in message
    assert "raise the budget with [dask] memory_budget (memory_budget= in the API)" in message
    assert "coarsen the resolution (grid.resolution)" in message
    # MemoryError too, so callers catching the built-in keep working
    assert isinstance(caught.value, MemoryError)
    # and with enough budget the same grid is built
    assert Grid.for_boundaries(SQUARE, crs="EPSG:3035", memory_budget="1 MiB").shape == (10, 20)


def test_with_land_and_from_bounds_check_the_budget_too() -> None:
    grid = Grid.from_bounds((0, 0, 200_000, 100_000), "EPSG:3035")
    with pytest.raises(MemoryBudgetError, match="200 cells"):
        grid.with_land(SQUARE, memory_budget=1000)
    with pytest.raises(MemoryBudgetError, match="needs about"):
        # 1e8 x 1e8 cells: refused from the shape alone, long before any array
        Grid.from_bounds((0, 0, 1e8, 1e8), "EPSG:3035", resolution=1)


def test_the_config_budget_is_the_api_keyword() -> None:
    dask = DaskConfig(memory_budget="1 KiB")
    with pytest.raises(MemoryBudgetError, match="needs about"):
        Grid.for_boundaries(SQUARE, crs="EPSG:3035", memory_budget=dask.memory_budget)


def test_grid_estimate_is_within_a_factor_of_two_of_the_measured_peak() -> None:
    # a ring 3,000 x 2,000 km in ETRS89-LAEA: the grid is an Albers conic fitted to it, so
    # cell areas are computed and land fractions are partial along its edges
    ring = box(0, 0, 3_000_000, 2_000_000).difference(box(1e6, 5e5, 2e6, 1.5e6))
    polygons = gpd.GeoSeries([ring], crs="EPSG:3035")
    tracemalloc.start()
    try:
        grid = Grid.for_boundaries(polygons, resolution=10_000)  # Albers: areas computed
        grid.cell_area, grid.land_fraction
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = estimate_grid_memory(grid.shape)
    assert grid.size > 50_000
    assert peak / 2 <= estimate <= 2 * peak, (estimate, peak)


def test_run_estimate_parts_and_refusal() -> None:
    shape = (1_000, 2_000)
    estimate = estimate_run_memory(shape, 6, n_points=30_000, chunk_bytes=2**27, threads=2)
    layer = 2_000_000 * 8
    # by hand: grid 16 B/cell; the total and one destination layer per thread (3 layers),
    # twice; 2 threads x 2 x one 96 MB chunk (6 layers)
    assert estimate.parts["grid"] == 16 * 2_000_000
    assert estimate.parts["destination layers"] == 2 * 3 * layer
    assert estimate.parts["cube chunks"] == 2 * 2 * 6 * layer
    assert estimate.peak == sum(estimate.parts.values())
    estimate.check("64 GiB")  # fits
    with pytest.raises(MemoryBudgetError) as caught:
        estimate.check("100 MiB")
    message = str(caught.value)
    assert "the run on 2,000,000 cells" in message and "destination layers 0.0894 GiB" in message
    assert "memory budget of 0.0977 GiB (set by dask.memory_budget)" in message
    assert "coarsen grid.resolution" in message


def test_destination_layers_estimate_matches_a_measured_map() -> None:
    # what Allocation.map holds in a run: the total, and each destination layer as it is made
    # (one per chunk): rows @ P and its reshaped copy, one chunk per thread
    import dask
    import scipy.sparse as sp

    cells, destinations = 200_000, 5
    weights = sp.csr_matrix(np.ones((1, cells)))
    rows = np.arange(1.0, destinations + 1)[:, None]
    tracemalloc.start()
    try:
        total = np.asarray(rows.sum(axis=0, keepdims=True) @ weights).reshape(400, 500)
        lazy = dask.array.from_array(rows, chunks=(1, 1)).map_blocks(
            lambda r: np.asarray(r @ weights).reshape(len(r), 400, 500),
            dtype=float,
            drop_axis=1,
            new_axis=[1, 2],
            chunks=((1,) * destinations, (400,), (500,)),
        )
        sums = lazy.sum(axis=(1, 2)).compute(scheduler="threads", num_workers=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sums.shape == (destinations,) and total.shape == (400, 500)
    estimate = estimate_run_memory((400, 500), destinations, cube=False, threads=2).parts
    assert peak / 2 <= estimate["destination layers"] <= 2 * peak, (peak, estimate)


def test_the_allocation_estimate_counts_the_fallback_weights_allocate_builds() -> None:
    # each producer without points spreads over its own region's cells, not all the land: the
    # estimate of a global run with 482 such producers was 26 GB for 0.1 GB of weights
    import warnings

    from gridfoot.config import load_run_config
    from gridfoot.datasets import sample_data_dir
    from gridfoot.mrio.accounts import footprint
    from gridfoot.spatial import allocate
    from gridfoot.workflows.grid_inputs import _sources_in_scope, load_inputs, memory_estimate
    from gridfoot.workflows.grid_inputs import scope as run_scope

    config = load_run_config(sample_data_dir() / "gridfoot.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inputs = load_inputs(config)
        chosen = run_scope(config, inputs.mrio, inputs.boundaries)
        mapped = _sources_in_scope(inputs.sources, chosen)
        fp = footprint(inputs.mrio, stressor=inputs.stressor)
        allocation = allocate(
            mapped,
            inputs.grid,
            fp.sel(region=list(chosen.regions), sector=list(chosen.sectors)),
            stressor=inputs.stressor,
            zones=inputs.coverage,
        )
    spread = (allocation.report["method"] == "land").to_numpy()
    built = int(np.diff(allocation.weights.indptr)[spread].sum())
    assert spread.sum() > 10 and built > 0
    estimate = memory_estimate(config, inputs, chosen, mapped)
    expected = (len(mapped.points) + built) * resources.SPARSE_BUILD_BYTES
    assert estimate.parts["allocation"] == expected


def test_default_budget_is_a_share_of_available_memory(monkeypatch, tmp_path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 8000000 kB\nMemAvailable:    4194304 kB\n")
    monkeypatch.setattr(resources, "MEMINFO", meminfo)
    budget = memory_budget()
    assert budget.bytes == int(0.75 * 4 * 2**30)
    assert budget.origin == "0.75 of the 4.0 GiB available"
    # without /proc/meminfo, os.sysconf tells
    monkeypatch.setattr(resources, "MEMINFO", tmp_path / "absent")
    assert resources.available_memory() > 0
