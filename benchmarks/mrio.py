"""Benchmark: the destination-resolved footprint against pymrio and a bare LU solve.

A synthetic system (default 49 regions x 200 sectors = 9,800 producers, about 30% non-zero
coefficients, 7 final-demand categories, 10 stressors) is timed in one process, four ways:

1. ``gridfoot.footprint``: the full ``driven`` table for all stressors plus every account;
2. pymrio's route to the same table: ``calc_A``, ``calc_L`` (the inverse), ``L @ Y``, times S;
3. pymrio's ``calc_all`` (its standard accounts; no destination-resolved table), then the
   table from the ``L`` it computed -- what a pymrio user would do;
4. a bare ``scipy.linalg.lu_factor`` + ``lu_solve`` on the same matrix, times S.

Peak memory is the tracemalloc peak during each call (numpy buffers are traced), on top of the
inputs already in memory. Run::

    python benchmarks/mrio.py                    # the full size (needs ~6 GB, a few minutes)
    python benchmarks/mrio.py --regions 10 --sectors 50   # a quick look
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
import tracemalloc
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.linalg


def synthetic_tables(
    regions: int, sectors: int, categories: int, stressors: int, density: float, seed: int = 0
) -> dict[str, pd.DataFrame]:
    """A productive random MRIO, balanced, built column block by column block."""
    rng = np.random.default_rng(seed)
    n = regions * sectors
    A = np.empty((n, n))
    for start in range(0, n, 1000):
        block = rng.random((n, min(1000, n - start)))
        block *= rng.random(block.shape) < density
        A[:, start : start + block.shape[1]] = block
    A *= rng.uniform(0.3, 0.8, size=n) / A.sum(axis=0)
    Y = rng.lognormal(3, 1, size=(n, regions * categories))
    x = scipy.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    A *= x  # A becomes Z in place: one n x n array
    producers = pd.MultiIndex.from_product(
        [[f"R{r:02d}" for r in range(regions)], [f"s{s:03d}" for s in range(sectors)]],
        names=["region", "sector"],
    )
    demand = pd.MultiIndex.from_product(
        [producers.levels[0], [f"c{c}" for c in range(categories)]], names=["region", "category"]
    )
    stressor_index = pd.Index([f"e{k}" for k in range(stressors)], name="stressor")
    return {
        "Z": pd.DataFrame(A, index=producers, columns=producers, copy=False),
        "Y": pd.DataFrame(Y, index=producers, columns=demand),
        "F": pd.DataFrame(
            rng.lognormal(2, 2, size=(stressors, n)) * x / x.mean(),
            index=stressor_index,
            columns=producers,
        ),
    }


def measure(label: str, work: Callable[[], object]) -> tuple[float, float, object]:
    """Wall time (s) and tracemalloc peak (GB) of one call."""
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  {label:<44} {seconds:9.2f} s   peak {peak / 1e9:6.2f} GB", flush=True)
    return seconds, peak / 1e9, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=49)
    parser.add_argument("--sectors", type=int, default=200)
    parser.add_argument("--categories", type=int, default=7)
    parser.add_argument("--stressors", type=int, default=10)
    parser.add_argument("--density", type=float, default=0.3)
    parser.add_argument("--skip-calc-all", action="store_true", help="skip pymrio's calc_all")
    args = parser.parse_args()

    import pymrio

    from gridfoot import MRIO, footprint
    from gridfoot.datasets import textbook_mrio

    footprint(textbook_mrio())  # pay xarray's one-off lazy imports (dask) outside the timings

    n = args.regions * args.sectors
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"numpy {np.__version__}, scipy {scipy.__version__}, pymrio {pymrio.__version__}"
    )
    print(
        f"system: {args.regions} regions x {args.sectors} sectors = {n} producers, "
        f"{args.categories} categories, {args.stressors} stressors, density {args.density}"
    )
    tables = synthetic_tables(
        args.regions, args.sectors, args.categories, args.stressors, args.density
    )
    Z, Y, F = tables["Z"], tables["Y"], tables["F"]
    print(f"  non-zero share of Z: {np.count_nonzero(Z.to_numpy()) / n**2:.2f}")

    start = time.perf_counter()
    mrio = MRIO.from_tables(**tables)
    print(f"  {'gridfoot MRIO construction + validation':<44} {time.perf_counter() - start:9.2f} s")
    del tables
    t_gridfoot, m_gridfoot, result = measure(
        "gridfoot.footprint (driven + accounts)", lambda: footprint(mrio)
    )
    driven_gridfoot = result["driven"].to_numpy()
    del result
    mrio.__dict__.pop("leontief", None)  # the next runs start without a factorisation

    x = mrio.x.to_numpy()
    S = F.to_numpy() / x

    def bare_lu() -> np.ndarray:
        matrix = np.asfortranarray(-(Z.to_numpy() / x))
        matrix.flat[:: n + 1] += 1.0
        lu = scipy.linalg.lu_factor(matrix, overwrite_a=True, check_finite=False)
        X = scipy.linalg.lu_solve(lu, Y.to_numpy(), check_finite=False)
        return S[:, :, None] * X[None]

    t_bare, m_bare, driven_bare = measure("bare lu_factor + lu_solve (+ S x X)", bare_lu)
    del driven_bare

    def pymrio_route() -> np.ndarray:
        A = pymrio.calc_A(Z, mrio.x)
        L = pymrio.calc_L(A)
        X = L.to_numpy() @ Y.to_numpy()
        return S[:, :, None] * X[None]

    t_route, m_route, driven_route = measure(
        "pymrio route: calc_A, calc_L, L @ Y, S x X", pymrio_route
    )
    gap = np.abs(driven_route - driven_gridfoot.reshape(driven_route.shape)).max()
    print(
        f"  largest difference gridfoot vs pymrio route: {gap:.3e} "
        f"(largest value {driven_route.max():.3e})"
    )
    del driven_route, driven_gridfoot

    m_calc_all = t_user = float("nan")
    if not args.skip_calc_all:
        io = pymrio.IOSystem(Z=Z, Y=Y)
        io.emissions = pymrio.Extension(
            name="emissions", F=F, unit=pd.DataFrame({"unit": "t"}, index=F.index)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_calc_all, m_calc_all, _ = measure("pymrio calc_all", io.calc_all)
        t_product, _, product = measure(
            "  then S x (io.L @ Y) from its L",
            lambda: S[:, :, None] * (io.L.to_numpy() @ Y.to_numpy())[None],
        )
        t_user = t_calc_all + t_product
        del io, product

    print("ratios:")
    print(f"  pymrio route / gridfoot time        {t_route / t_gridfoot:6.1f}x  (target >= 10x)")
    if not args.skip_calc_all:
        print(f"  pymrio calc_all + L @ Y / gridfoot  {t_user / t_gridfoot:6.1f}x")
    print(f"  gridfoot / bare LU time             {t_gridfoot / t_bare:6.2f}x  (target <= 1.5x)")
    print(f"  gridfoot / bare LU memory           {m_gridfoot / m_bare:6.2f}")
    print(f"  gridfoot / pymrio route memory      {m_gridfoot / m_route:6.2f}")
    if not args.skip_calc_all:
        print(
            f"  gridfoot / pymrio calc_all memory   {m_gridfoot / m_calc_all:6.2f}  "
            "(target <= 0.33)"
        )


if __name__ == "__main__":
    main()
