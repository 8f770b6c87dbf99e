"""Benchmark: 200 uncertainty draws of ``gridfoot demo`` against the deterministic run.

Target (issue "uncertainty"): the draws take at most 10x the CPU time of the deterministic
computation (footprint, allocation, maps, hotspots: :func:`gridfoot.workflows.compute_grid`),
measured in the same process; per-cell statistics are streamed, so the draws' peak memory
is a few layers, not ``draws`` of them. The draws run in batches, one dask task each, on
dask's threads unless ``--scheduler`` says otherwise; CPU seconds are the process's, all
threads.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/uncertainty.py            # 200 draws, every source
    PYTHONPATH=$PWD python benchmarks/uncertainty.py --scheduler synchronous  # one batch at a time
    PYTHONPATH=$PWD python benchmarks/uncertainty.py --draws 50 --no-mrio
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import tracemalloc
import warnings


def cpu() -> float:
    return time.process_time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--no-mrio", action="store_true", help="leave the MRIO fixed")
    parser.add_argument(
        "--scheduler", default="threads", help="dask scheduler of the draws' batches"
    )
    args = parser.parse_args()

    import dask

    from gridfoot.config import ProxyRule, UncertaintyConfig, load_run_config
    from gridfoot.datasets import sample_data_dir
    from gridfoot.workflows import compute_grid, load_inputs, scope
    from gridfoot.workflows.uncertainty import compute_uncertainty

    config = load_run_config(sample_data_dir() / "gridfoot.toml")
    config = dataclasses.replace(config, output=dataclasses.replace(config.output, cube=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start, wall = cpu(), time.perf_counter()
        inputs = load_inputs(config)
        chosen = scope(config, inputs.mrio, inputs.boundaries)
        read = cpu() - start
        start, wall = cpu(), time.perf_counter()
        study = compute_grid(config, inputs, chosen)
        base_cpu, base_wall = cpu() - start, time.perf_counter() - wall

        mrio = {} if args.no_mrio else {"Z": 0.05, "Y": 0.05, "F": 0.05}
        u = UncertaintyConfig(
            draws=args.draws,
            seed=42,
            weights=0.3,
            shares=50.0,
            fallbacks=(ProxyRule("land"), ProxyRule("firms")),
            mrio=mrio,
        )
        study = dataclasses.replace(study, config=dataclasses.replace(study.config, uncertainty=u))
        tracemalloc.start()
        start, wall = cpu(), time.perf_counter()
        with dask.config.set(scheduler=args.scheduler):
            result = compute_uncertainty(study)
        draw_cpu, draw_wall = cpu() - start, time.perf_counter() - wall
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    grid = study.allocation.grid
    print(f"demo: {grid!r}; {len(study.allocation.producers)} producers mapped")
    print(f"reading the inputs: {read:.2f} CPU s (not in either figure)")
    print(f"deterministic compute_grid: {base_cpu:.2f} CPU s ({base_wall:.2f} s wall)")
    print(
        f"{args.draws} draws ({', '.join(result.varies)}) on dask's {args.scheduler}: "
        f"{draw_cpu:.2f} CPU s ({draw_wall:.2f} s wall), "
        f"{draw_cpu / args.draws * 1e3:.1f} ms per draw"
    )
    print(f"ratio draws / deterministic, CPU: {draw_cpu / base_cpu:.2f}x (target <= 10x)")
    layer_mb = grid.size * 8 / 2**20
    print(
        f"peak traced memory of the draws: {peak / 2**20:.1f} MiB "
        f"({peak / 2**20 / layer_mb:.1f} grid layers of {layer_mb:.2f} MiB; "
        f"{args.draws} layers held would be {args.draws * layer_mb:.1f} MiB)"
    )
    figures = result.figures.set_index("figure")
    for figure in ("area_for_share 0.75", "share_in_top_area 0.01", "gini"):
        row = figures.loc[figure]
        print(
            f"  {figure}: central {row.central:.4g}, p05 {row.p05:.4g}, p50 {row.p50:.4g}, "
            f"p95 {row.p95:.4g}"
        )


if __name__ == "__main__":
    main()
