"""Benchmark: concentration and Gi* for every layer of a destination x sector cube, streamed.

A synthetic lazy cube (default 190 destinations x 42 sectors x 500 x 420 cells of a 10 km grid,
13.4 GB as float64) is built chunk by chunk with dask (one destination per chunk: 42 layers,
71 MB), shaped like an allocated footprint: each sector's emissions sit in point clusters
(plants) or, for a third of the sectors, spread over a province's land, and each destination
drives its own mix of two provinces. Nothing holds the whole cube. Timed in one process:

1. ``gridfoot.hotspots.concentration`` of every layer (top 1% share, land for 75%, Gini: one
   sort per layer), computed to a (destination, sector) table;
2. ``gridfoot.hotspots.gistar`` of every layer, reduced to the number of 99% hot-spot cells
   and the largest z-score per layer (the full z cube would be another 13.4 GB);
3. baselines on a sample of layers: the same concentration statistics the way a script does
   them (argsort of every cell, cumulative sums, ``np.interp``), and esda's
   ``G_Local(star=True)`` with libpysal queen weights on one full layer (and on a 100 x 100
   window, for the weights-building cost).

Each step prints its wall time, its CPU time (all threads; on a machine shared with other jobs
the wall time grows, the CPU time much less) and its peak resident set size (sampled every
20 ms) above the process's size before it. Run::

    python benchmarks/hotspots.py                                    # full size (~5 minutes)
    python benchmarks/hotspots.py --destinations 10 --sectors 6      # a quick look
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import dask
import dask.array as da
import numpy as np
import xarray as xr
from _memory import PeakMemory

from gridfoot.hotspots import concentration, gistar
from gridfoot.spatial import Grid


def measure(label: str, work: Callable[[], object]) -> tuple[float, object]:
    """Print wall time, CPU time (all threads: robust to other jobs on the machine) and peak
    memory (GB above the start) of one call; return the wall time and the result."""
    with PeakMemory() as memory:
        start, cpu = time.perf_counter(), time.process_time()
        result = work()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"  {label:<56} {seconds:8.2f} s  cpu {cpu:8.2f} s  peak +{memory.gigabytes:5.2f} GB",
        flush=True,
    )
    return seconds, result


def synthetic_cube(destinations: int, sectors: int, ny: int, nx: int, seed: int = 0):
    """A lazy (destination, sector, y, x) cube on a 10 km grid with a coastline."""
    rng = np.random.default_rng(seed)
    grid_yx = np.mgrid[0:ny, 0:nx]
    # land: an ellipse-like country with a ragged coast; two provinces split at a diagonal
    radius = np.hypot((grid_yx[0] - ny / 2) / (0.45 * ny), (grid_yx[1] - nx / 2) / (0.45 * nx))
    radius += 0.04 * np.sin(grid_yx[0] / 7.0) * np.cos(grid_yx[1] / 5.0)
    land = np.clip((1.0 - radius) * 20, 0, 1)
    west = grid_yx[1] < grid_yx[0] * nx / ny
    provinces = [land * west, land * ~west]
    bases = np.zeros((2, sectors, ny, nx))
    for sector in range(sectors):
        for number, province in enumerate(provinces):
            if sector % 3 == 2:  # no plants: spread over the province's land
                bases[number, sector] = province / province.sum()
                continue
            cells = np.flatnonzero(province.ravel() > 0)
            hubs = rng.choice(cells, size=8, replace=False)
            spread = rng.integers(-6, 7, size=(rng.integers(500, 5000), 2))
            rows = np.clip(hubs[rng.integers(0, 8, len(spread))] // nx + spread[:, 0], 0, ny - 1)
            cols = np.clip(hubs[rng.integers(0, 8, len(spread))] % nx + spread[:, 1], 0, nx - 1)
            weights = rng.lognormal(0, 2, len(rows)) * (province[rows, cols] > 0)
            np.add.at(bases[number, sector], (rows, cols), weights)
            bases[number, sector] /= bases[number, sector].sum()
    driven = rng.lognormal(10, 2, size=(destinations, 2, sectors))

    def block(block_info=None):
        start, stop = block_info[None]["array-location"][0]
        # emissions of each sector driven by these destinations, placed by the two provinces'
        # allocation weights: the way the cube is built from the footprint
        return np.einsum("dps,psyx->dsyx", driven[start:stop], bases)

    values = da.map_blocks(
        block,
        chunks=((1,) * destinations, (sectors,), (ny,), (nx,)),
        dtype=float,
        meta=np.empty((0, 0, 0, 0)),
    )
    grid = Grid.from_bounds((0, 0, nx * 10_000, ny * 10_000), "EPSG:3035", 10_000)
    grid = Grid.make(grid.crs, grid.transform, grid.shape, land)
    cube = grid.wrap(
        values,
        dims=["destination", "sector"],
        coords={
            "destination": [f"D{d:03d}" for d in range(destinations)],
            "sector": [f"S{s:02d}" for s in range(sectors)],
        },
        name="co2",
        units="t",
    )
    return cube


def script_concentration(values: np.ndarray, land: np.ndarray) -> tuple[float, float, float]:
    """The statistics as a script computes them: sort every cell, cumulate, interpolate."""
    order = np.argsort(-values, axis=None)
    share = np.concatenate([[0], np.cumsum(values.ravel()[order]) / values.sum()])
    area = np.concatenate([[0], np.cumsum(land.ravel()[order]) / land.sum()])
    top = np.interp(0.01, area, share)
    needed = np.interp(0.75, share, area)
    gini = 2 * np.trapezoid(share, area) - 1
    return top, needed, gini


def esda_gistar(values: np.ndarray) -> np.ndarray:
    import esda
    import libpysal

    weights = libpysal.weights.lat2W(*values.shape, rook=False)
    with np.errstate(invalid="ignore", divide="ignore"):  # its 0/0 on cells of constant sea
        local = esda.G_Local(values.ravel(), weights, transform="B", star=True, permutations=0)
    return local.Zs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--destinations", type=int, default=190)
    parser.add_argument("--sectors", type=int, default=42)
    parser.add_argument("--ny", type=int, default=500)
    parser.add_argument("--nx", type=int, default=420)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--baseline-layers", type=int, default=84)
    args = parser.parse_args()

    cube = synthetic_cube(args.destinations, args.sectors, args.ny, args.nx)
    layers = args.destinations * args.sectors
    size = cube.size * 8 / 1e9
    chunk = cube.data.chunksize
    print(
        f"cube {dict(cube.sizes)}: {layers:,} layers, {size:.1f} GB as float64, chunks of "
        f"{np.prod(chunk) * 8 / 1e6:.0f} MB; {args.workers} threads, "
        f"{platform.processor() or platform.machine()}, numpy {np.__version__}"
    )
    dask.config.set(scheduler="threads", num_workers=args.workers)

    print("whole cube, streamed chunk by chunk:")
    make, _ = measure("building the cube (sum of every layer)", lambda: cube.sum().compute())
    conc, stats = measure(
        "concentration: top 1%, land for 75%, Gini of every layer",
        lambda: concentration(cube, share=0.75, top_area=0.01).compute(),
    )

    def hot_spots():
        result = gistar(cube)
        hot = (result.significance == 3).sum(["y", "x"])
        return xr.Dataset({"hot_cells": hot, "max_z": result.z.max(["y", "x"])}).compute()

    gi, hot = measure("Gi* (queen) of every layer: hot cells and max z", hot_spots)
    print(
        f"  per layer (cube building included): concentration {conc / layers * 1e3:.1f} ms, "
        f"Gi* {gi / layers * 1e3:.1f} ms; building alone {make / layers * 1e3:.1f} ms"
    )
    print(
        f"  median top-1% share {float(stats.share_in_top_area.median()):.3f}, median land for "
        f"75% {float(stats.area_for_share.median()):.4f}, median Gini "
        f"{float(stats.gini.median()):.3f}; median 99% hot cells per layer "
        f"{float(hot.hot_cells.median()):.0f}"
    )

    print(f"baselines on {args.baseline_layers} layers (one thread):")
    sample = cube.isel(destination=slice(0, 1 + args.baseline_layers // args.sectors)).compute()
    sample = sample.stack(layer=["destination", "sector"]).transpose("layer", "y", "x")
    sample = sample.isel(layer=slice(0, args.baseline_layers))
    sample = sample.copy(data=np.ascontiguousarray(sample.values))
    land = cube.land_fraction.values * cube.cell_area.values
    with dask.config.set(scheduler="synchronous"):
        ours, ours_stats = measure(
            "gridfoot concentration",
            lambda: concentration(sample, share=0.75, top_area=0.01).compute(),
        )
        script, script_stats = measure(
            "script: argsort every cell, cumsum, interp",
            lambda: [script_concentration(layer, land) for layer in sample.values],
        )
        lazy = sample.chunk({"layer": args.sectors})  # z only, as esda computes
        ours_gi, _ = measure("gridfoot Gi* z-scores", lambda: gistar(lazy).z.compute())
    agree = np.max(np.abs(np.array(script_stats)[:, 0] - ours_stats.share_in_top_area.values))
    print(
        f"  script / gridfoot: {script / ours:.2f}x (top-1% shares agree to {agree:.1e}; the "
        "script's curve depends on the order of tied cells)"
    )
    one = sample.isel(layer=0).values
    window = one[args.ny // 2 - 50 : args.ny // 2 + 50, args.nx // 2 - 50 : args.nx // 2 + 50]
    measure("esda G_Local star, 100 x 100 window", lambda: esda_gistar(window))
    full, z_esda = measure(
        f"esda G_Local star, one {args.ny} x {args.nx} layer", lambda: esda_gistar(one)
    )
    z_ours = gistar(sample.isel(layer=0), study_area="grid").z.values.ravel()
    print(
        f"  esda / gridfoot per layer: {full / (ours_gi / len(sample)):.0f}x; "
        f"z-scores agree to {np.nanmax(np.abs(z_ours - z_esda)):.1e}"
    )


if __name__ == "__main__":
    main()
