"""Benchmark R3: the global 10 km grid (EPSG:6933), every Natural Earth country a region.

A synthetic MRIO footprint with one region per country (241 in the 1:50m file), a few
sectors and destinations; 200,000 point sources in lon/lat, clustered around hubs inside the
countries; the last sectors have no points, so every country falls back to its land for them
(and small countries without any point fall back for every sector). Stages, each with wall
time, CPU seconds (all threads) and peak resident memory above the start of the run:

1. polygons read and labelled (``Zones``);
2. the grid over them (EASE-Grid 2.0 Global, 1,465 x 3,474 cells of 10 km), the countries'
   coverage and the land fraction;
3. ``read_sources`` (points projected to the grid);
4. ``allocate`` (points, and the land fallback of every country);
5. the total map (``Allocation.map`` of the footprint summed over destinations);
6. concentration of the total (top 1% of land, land for 75%, Gini);
7. the hotspots of the total as ``gridfoot run`` computes them (``compute_hotspots``: mask,
   hubs named by country, Gi*, zonal totals by country);
8. one layer per destination (``Allocation.map`` of the footprint by destination), made as
   the run makes them: one per chunk, each used (here: summed per layer) and let go, so
   the peak does not grow with the destinations (``--destinations``); ``--hold-layers``
   measures holding them all, as runs did before.

Target (issue "Scale"): at most 4 GB peak and 60 s on the 2-core development machine.
Needs the Natural Earth countries of the reference data (``GRIDFOOT_DATA`` or
``../shared/data``); without them it says so and exits cleanly.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/global.py                  # R3 as in the issue
    PYTHONPATH=$PWD python benchmarks/global.py --resolution 50000 --points 20000  # a quick look
    PYTHONPATH=$PWD python benchmarks/global.py --without-antarctica
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import psutil
import xarray as xr

CRS = "EPSG:6933"  # WGS 84 / NSIDC EASE-Grid 2.0 Global: cylindrical equal-area
FILES = {"50m": "ne_50m_admin_0_countries.json", "110m": "ne_110m_admin_0_countries.json"}


class Guard:
    """Stop the run (exit status 3) when the resident size passes ``limit`` bytes: a run
    that would exhaust a shared machine's memory is recorded as failing, not let run."""

    def __init__(self, limit: float, interval: float = 0.02) -> None:
        self.limit, self.interval = limit, interval
        self.process = psutil.Process(os.getpid())
        self.stage = "start"
        self.started = (time.perf_counter(), time.process_time())
        self.peak = self.process.memory_info().rss
        self.base = self.peak
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            rss = self.process.memory_info().rss
            self.peak = max(self.peak, rss)
            if rss > self.limit:
                print(
                    f"\nFAILED in {self.stage}: resident memory {rss / 1e9:.2f} GB passed the "
                    f"limit of {self.limit / 1e9:.2f} GB (--max-rss) after "
                    f"{time.perf_counter() - self.started[0]:.1f} s wall, "
                    f"{time.process_time() - self.started[1]:.1f} s CPU in the stage",
                    flush=True,
                )
                os._exit(3)

    def stop(self) -> None:
        self._stop.set()


def stage(guard: Guard, rows: list[dict], name: str, work: Callable[[], object]) -> object:
    """Run one stage; record wall, CPU and the peak resident size during it."""
    guard.stage, guard.started = name, (time.perf_counter(), time.process_time())
    before = guard.process.memory_info().rss
    guard.peak = before
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        result = work()
    except Exception as error:  # a failing stage is a result of the benchmark: report it
        print(
            f"\nFAILED in {name} after {time.perf_counter() - wall:.1f} s wall, "
            f"{time.process_time() - cpu:.1f} s CPU: {type(error).__name__}: {error}",
            flush=True,
        )
        report(rows)
        sys.exit(2)
    rss = guard.process.memory_info().rss
    rows.append(
        {
            "stage": name,
            "wall s": time.perf_counter() - wall,
            "CPU s": time.process_time() - cpu,
            "peak GB": (max(guard.peak, rss) - guard.base) / 1e9,
            "held GB": (rss - guard.base) / 1e9,
        }
    )
    print(
        f"  {name:<32} {rows[-1]['wall s']:7.2f} s wall {rows[-1]['CPU s']:7.2f} s CPU "
        f"peak {rows[-1]['peak GB']:5.2f} GB",
        flush=True,
    )
    return result


def report(rows: list[dict]) -> None:
    if not rows:
        return
    table = pd.DataFrame(rows).set_index("stage")
    print()
    print(table.to_string(float_format=lambda v: f"{v:,.2f}"))
    print(
        f"total: {table['wall s'].sum():.1f} s wall, {table['CPU s'].sum():.1f} s CPU; "
        f"peak {table['peak GB'].max():.2f} GB above the start "
        f"(max RSS of the process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f}"
        " GB)"
    )


def countries(path, without_antarctica: bool):
    from gridfoot.io.vector import read_polygons
    from gridfoot.spatial import Zones

    frame = read_polygons(path)
    if without_antarctica:
        frame = frame[frame["ADM0_A3"] != "ATA"]
    return Zones.from_frame(frame, label="ADM0_A3", name="NAME", source=path.name)


def synthetic(zones, n_points: int, n_sectors: int, n_destinations: int, seed: int = 12):
    """Points (lon/lat) clustered around hubs inside the countries, and a footprint."""
    import shapely

    rng = np.random.default_rng(seed)
    frame = zones.polygons.to_crs(CRS)
    labels = np.asarray(zones.labels)
    area = shapely.area(np.asarray(frame.geometry.array))
    # Hubs: about 2,000 over the countries, more in larger ones, at least one in each.
    hubs_per = np.maximum(1, np.round(2_000 * np.sqrt(area) / np.sqrt(area).sum())).astype(int)
    hub_xy, hub_region = [], []
    for geometry, label, count in zip(frame.geometry.array, labels, hubs_per, strict=True):
        west, south, east, north = geometry.bounds
        shapely.prepare(geometry)
        found = np.empty((0, 2))
        for _ in range(200):  # rejection sampling inside the polygon
            trial = rng.uniform([west, south], [east, north], (max(64, 8 * count), 2))
            found = np.vstack([found, trial[shapely.contains_xy(geometry, *trial.T)]])
            if len(found) >= count:
                break
        if len(found) == 0:
            found = np.array([shapely.point_on_surface(geometry).coords[0]])
        hub_xy.append(found[:count])
        hub_region.append(np.full(len(found[:count]), label))
    hub_xy, hub_region = np.vstack(hub_xy), np.concatenate(hub_region)
    hub = rng.integers(0, len(hub_xy), n_points)
    xy = hub_xy[hub] + rng.normal(0, 25_000, (n_points, 2))
    from gridfoot.spatial.grid import _transformer

    lon, lat = _transformer(CRS, "EPSG:4326").transform(*xy.T)
    keep = np.isfinite(lon) & np.isfinite(lat)
    regions = list(zones.zones)
    sectors = [f"S{s}" for s in range(n_sectors)]
    with_points = n_sectors - 2  # the last two sectors have no points: land fallback
    points = pd.DataFrame(
        {
            "lon": lon[keep],
            "lat": lat[keep],
            "region": hub_region[hub][keep],
            "sector": np.array(sectors[:with_points])[rng.integers(0, with_points, keep.sum())],
            "weight": rng.lognormal(0, 1.5, keep.sum()),
        }
    )
    destinations = rng.choice(regions, n_destinations, replace=False)
    driven = xr.DataArray(
        rng.lognormal(0, 2, (len(regions), n_sectors, n_destinations)),
        dims=("region", "sector", "destination"),
        coords={"region": regions, "sector": sectors, "destination": destinations},
        attrs={"units": "kt"},
    )
    return points, driven


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boundaries", choices=sorted(FILES), default="50m")
    parser.add_argument("--resolution", type=float, default=10_000, help="cell size, metres")
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--sectors", type=int, default=5)
    parser.add_argument("--destinations", type=int, default=20)
    parser.add_argument(
        "--hold-layers", action="store_true", help="make every destination layer at once"
    )
    parser.add_argument("--without-antarctica", action="store_true")
    parser.add_argument(
        "--max-rss", type=float, default=8.0, help="stop (a failure) above this many GB resident"
    )
    args = parser.parse_args()

    from gridfoot.datasets import reference_data_dir

    data = reference_data_dir(required=False)
    path = data / "boundaries" / FILES[args.boundaries] if data is not None else None
    if path is None or not path.is_file():
        print(
            f"skipped: the Natural Earth countries ({FILES[args.boundaries]}) are not in the "
            "reference data; set GRIDFOOT_DATA to the folder holding boundaries/"
        )
        return

    import gridfoot
    from gridfoot.hotspots import concentration
    from gridfoot.spatial import Grid, allocate, read_sources
    from gridfoot.workflows.hotspots import HotspotOptions, compute_hotspots

    warnings.simplefilter("ignore")  # the fallback and off-grid warnings are expected here
    print(
        f"gridfoot {gridfoot.__version__}, numpy {np.__version__}; {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}; {args.points:,} points, {args.sectors} sectors, "
        f"{args.destinations} destinations, cells of {args.resolution:g} m in {CRS}"
    )
    guard = Guard(args.max_rss * 1e9)
    rows: list[dict] = []
    zones = stage(guard, rows, "polygons", lambda: countries(path, args.without_antarctica))
    points, driven = synthetic(zones, args.points, args.sectors, args.destinations)
    print(f"  ({len(zones)} countries; synthetic points and footprint made, not timed)")

    def grid_and_land():
        grid = Grid.for_boundaries(zones, args.resolution, CRS, land=False)
        coverage = zones.coverage(grid)
        grid = grid.with_land(coverage)
        grid._areas  # noqa: B018  (cell areas are computed once, here)
        return grid, coverage

    grid, coverage = stage(guard, rows, "grid, coverage, land fraction", grid_and_land)
    print(f"  {grid!r}")
    sources = stage(
        guard,
        rows,
        "read_sources",
        lambda: read_sources(
            points,
            lon="lon",
            lat="lat",
            region="region",
            sector="sector",
            weight="weight",
            crs="EPSG:4326",
        ),
    )
    allocation = stage(
        guard, rows, "allocate", lambda: allocate(sources, grid, driven, zones=coverage)
    )
    methods = allocation.report["method"].value_counts().to_dict()
    print(f"  producers by method {methods}; {allocation.weights.nnz:,} weights")
    total = stage(
        guard, rows, "total map", lambda: allocation.map(driven.sum("destination"), name="total")
    )
    stats = stage(guard, rows, "concentration of the total", lambda: concentration(total))
    found = stage(
        guard,
        rows,
        "hotspots of the total",
        lambda: compute_hotspots(total, HotspotOptions(), zones={"regions": coverage}),
    )
    zonal = found.zonal
    print(f"  {len(found.hubs):,} hubs; {len(zonal):,} rows of zonal totals")
    # as gridfoot run makes them: one layer per chunk, each made when it is used
    by_destination = allocation.map(driven, chunk_layers=None if args.hold_layers else 1)
    per_layer = stage(
        guard,
        rows,
        f"layers of {args.destinations} destinations",
        # on the array (xarray's NaN-skipping sum would copy every held layer)
        lambda: np.asarray(by_destination.data.sum(axis=(1, 2))),
    )
    guard.stop()
    report(rows)

    # checks on the arrays themselves (xarray's sums would copy the layers, NaN-skipping)
    mapped, by_destinations = total.values.sum(), per_layer.sum()
    expected = float(allocation.report["on_grid"].sum())
    land_km2 = (grid.land * grid._areas).sum() / 1e6
    print(
        f"checks: map total {mapped:,.6g} = placed {expected:,.6g} "
        f"(relative difference {abs(mapped - expected) / expected:.1e}) = destinations' "
        f"{by_destinations:,.6g}; land {land_km2:,.0f} km2; top 1% "
        f"of land holds {float(stats.share_in_top_area):.1%}, 75% on "
        f"{float(stats.area_for_share):.2%} of land, Gini {float(stats.gini):.3f}; max RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB"
    )


if __name__ == "__main__":
    main()
