"""Benchmark: point sources onto a China-sized 10 km grid, the export map and the full cube.

Synthetic but shaped like the real problem: 1,000,000 points in coastal-style clusters over
500 x 420 cells of 10 km, 31 producing regions (a Voronoi partition), 42 sectors (two without
points, so they fall back to land), 190 destinations. Prints measured figures and ratios
against baselines run in the same process:

- building the weights (``read_sources`` + ``allocate``) against bare ``np.bincount``
  placement of the same points (target: under 5 s);
- ``map`` of the total export-linked grid against a per-point bincount of the same values
  (target: well under 1 s);
- streaming the whole cube to Zarr in a fresh process that loads the saved weights, with its
  peak memory (target: under 3 GB whatever the cube's size), against computing the cube
  without writing it.

Run from the repository root::

    python benchmarks/downscale.py                    # the full problem (writes ~GBs to --out)
    python benchmarks/downscale.py --destinations 20  # a smaller cube
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import xarray as xr

NX, NY, RESOLUTION = 500, 420, 10_000
CRS = "EPSG:3035"  # any equal-area CRS: the grid is synthetic


def synthetic(n_points: int, n_regions: int, n_sectors: int, n_destinations: int, seed: int = 7):
    """Points, region polygons and a destination-resolved footprint."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    extent = shapely.box(0, 0, NX * RESOLUTION, NY * RESOLUTION)
    # Province-like regions: a Voronoi partition of the extent around random seeds.
    seeds = shapely.multipoints(
        rng.uniform([0, 0], [NX * RESOLUTION, NY * RESOLUTION], (n_regions, 2))
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=extent))
    polygons = gpd.GeoDataFrame(
        {"region": [f"R{r:02d}" for r in range(n_regions)]},
        geometry=shapely.intersection(cells, extent),
        crs=CRS,
    )
    regions = polygons["region"].tolist()
    sectors = [f"S{s:02d}" for s in range(n_sectors)]
    destinations = regions + [f"F{d:03d}" for d in range(n_destinations - n_regions)]
    hubs = rng.uniform([0, 0], [NX * RESOLUTION, NY * RESOLUTION], size=(60, 2))
    hub = rng.integers(0, len(hubs), n_points)
    xy = hubs[hub] + rng.normal(0, 60_000, size=(n_points, 2))
    xy = np.clip(xy, 1.0, [NX * RESOLUTION - 1, NY * RESOLUTION - 1])
    tree = shapely.STRtree(polygons.geometry.array)
    point_index, region_index = tree.query(shapely.points(xy), predicate="intersects")
    region_of = np.empty(n_points, dtype=np.int64)
    region_of[point_index] = region_index  # points on a shared edge: either region will do
    sector_p = rng.dirichlet(np.ones(n_sectors - 2))
    points = pd.DataFrame(
        {
            "x": xy[:, 0],
            "y": xy[:, 1],
            "region": np.array(regions)[region_of],
            "sector": np.array(sectors[:-2])[rng.choice(n_sectors - 2, n_points, p=sector_p)],
            "weight": rng.lognormal(0, 1.5, n_points),
        }
    )
    driven = xr.DataArray(
        rng.lognormal(0, 2, (n_regions, n_sectors, n_destinations, 1)),
        dims=("region", "sector", "destination", "category"),
        coords={
            "region": regions,
            "sector": sectors,
            "destination": destinations,
            "category": ["total"],
        },
        attrs={"units": "t"},
    )
    return points, polygons, driven


def timed(function, *args, repeat: int = 1, **kwargs):
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def build(points, polygons, driven):
    from gridfoot.spatial import Grid, Zones, allocate, read_sources

    grid = Grid.from_bounds((0, 0, NX * RESOLUTION, NY * RESOLUTION), CRS, RESOLUTION)
    sources = read_sources(
        points, lon="x", lat="y", crs=CRS, region="region", sector="sector", weight="weight"
    )
    return allocate(sources, grid, driven, zones=Zones.from_frame(polygons, label="region"))


def bincount_placement(points, n_sectors: int) -> np.ndarray:
    """Baseline: cell index from the transform, one bincount into a layer per sector."""
    col = np.floor(points["x"].to_numpy() / RESOLUTION).astype(np.int64)
    row = np.floor((NY * RESOLUTION - points["y"].to_numpy()) / RESOLUTION).astype(np.int64)
    sector = pd.factorize(points["sector"])[0]
    key = sector * (NX * NY) + row * NX + col
    return np.bincount(key, weights=points["weight"].to_numpy(), minlength=n_sectors * NX * NY)


def per_point_map(points, values: pd.Series) -> np.ndarray:
    """Baseline map: each point carries value x weight / its producer's total weight."""
    weight = points["weight"].to_numpy()
    producer = pd.MultiIndex.from_arrays([points["region"], points["sector"]])
    codes, uniques = pd.factorize(producer)
    share = weight / np.bincount(codes, weights=weight)[codes]
    value = values.reindex(uniques).to_numpy()[codes]
    col = np.floor(points["x"].to_numpy() / RESOLUTION).astype(np.int64)
    row = np.floor((NY * RESOLUTION - points["y"].to_numpy()) / RESOLUTION).astype(np.int64)
    return np.bincount(row * NX + col, weights=value * share, minlength=NX * NY)


class PeakMemory:
    """Peak resident memory of this process, sampled every 20 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            time.sleep(0.02)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def stream_cube(weights_path: str, driven_path: str, store: str, queue) -> None:
    """In a fresh process: load the weights, stream the cube to Zarr, report time and memory."""
    import dask

    from gridfoot.io import write_zarr
    from gridfoot.spatial import load_allocation

    dask.config.set(scheduler="threads", num_workers=2)
    allocation = load_allocation(weights_path)
    driven = xr.open_dataarray(driven_path).load()
    cube = allocation.cube(driven)
    start = time.perf_counter()
    with PeakMemory() as memory:
        compute_only = float(cube.sum())
    compute_seconds = time.perf_counter() - start
    start = time.perf_counter()
    with PeakMemory() as write_memory:
        write_zarr(cube, store)
    write_seconds = time.perf_counter() - start
    queue.put(
        {
            "cube_gb": cube.nbytes / 1e9,
            "chunks": cube.data.chunksize,
            "compute_seconds": compute_seconds,
            "compute_peak_gb": memory.peak / 1e9,
            "write_seconds": write_seconds,
            "write_peak_gb": write_memory.peak / 1e9,
            "max_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
            "total": compute_only,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--regions", type=int, default=31)
    parser.add_argument("--sectors", type=int, default=42)
    parser.add_argument("--destinations", type=int, default=190)
    parser.add_argument("--out", type=Path, default=None, help="folder for the Zarr store")
    parser.add_argument("--keep", action="store_true", help="keep the Zarr store")
    args = parser.parse_args()

    points, polygons, driven = synthetic(args.points, args.regions, args.sectors, args.destinations)
    print(
        f"{len(points):,} points, {args.regions} regions x {args.sectors} sectors, "
        f"{args.destinations} destinations, grid {NY} x {NX} cells of {RESOLUTION / 1000:g} km"
    )

    baseline_seconds, _ = timed(bincount_placement, points, args.sectors, repeat=3)
    build_seconds, allocation = timed(build, points, polygons, driven, repeat=2)
    print(
        f"weights: {build_seconds:.2f} s (target < 5 s); bare bincount placement "
        f"{baseline_seconds * 1000:.0f} ms; ratio {build_seconds / baseline_seconds:.0f}x "
        f"({allocation.weights.nnz:,} weights, "
        f"{(allocation.report['method'] == 'land').sum()} producers by land fallback)"
    )

    foreign = driven.destination.str.startswith("F")
    export_linked = driven.where(foreign, 0.0).sum(["destination", "category"])
    map_seconds, grid_map = timed(allocation.map, export_linked, repeat=5)
    baseline_map_seconds, reference = timed(
        per_point_map, points, export_linked.to_series(), repeat=3
    )
    by_points = (allocation.report["method"] == "points").to_numpy()
    point_producers = export_linked.copy(
        data=export_linked.values * by_points.reshape(export_linked.shape)
    )
    difference = np.abs(allocation.map(point_producers).values.ravel() - reference).max()
    print(
        f"map of the export-linked total: {map_seconds * 1000:.1f} ms (target < 1 s); "
        f"per-point bincount {baseline_map_seconds * 1000:.1f} ms; ratio "
        f"{map_seconds / baseline_map_seconds:.2f}x; point producers agree to "
        f"{difference / reference.max():.1e} of the largest cell"
    )
    print(
        f"  map total {float(grid_map.sum()):.6e} t vs footprint {float(export_linked.sum()):.6e} t"
    )

    folder = Path(tempfile.mkdtemp(dir=args.out))
    try:
        weights_path = str(allocation.save(folder / "weights.nc"))
        driven_path = str(folder / "driven.nc")
        driven.to_netcdf(driven_path)
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(
            target=stream_cube, args=(weights_path, driven_path, str(folder / "cube.zarr"), queue)
        )
        child.start()
        result = queue.get()
        child.join()
        stored = sum(f.stat().st_size for f in (folder / "cube.zarr").rglob("*") if f.is_file())
        print(
            f"cube {result['cube_gb']:.1f} GB in chunks of {result['chunks']}: computed and "
            f"summed in {result['compute_seconds']:.1f} s (peak {result['compute_peak_gb']:.2f}"
            f" GB); streamed to Zarr in {result['write_seconds']:.1f} s (peak "
            f"{result['write_peak_gb']:.2f} GB, target < 3 GB; {stored / 1e9:.2f} GB on disk); "
            f"writing / computing {result['write_seconds'] / result['compute_seconds']:.1f}x"
        )
        footprint_total = float(driven.sum())
        print(
            f"  cube total {result['total']:.6e} t vs footprint {footprint_total:.6e} t "
            f"(relative {result['total'] / footprint_total - 1:+.1e})"
        )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")


if __name__ == "__main__":
    main()
