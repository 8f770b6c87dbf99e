"""Benchmark: urban footprints of every region of an MRIO, against the explicit-inverse route.

For each region taken as a city, ``gridfoot.urban.city_footprint_from_mrio`` computes every
account (direct, EEE, EEI by pathway and origin, the four boundaries, consumed footprint by
product, labelled in an xarray Dataset) and the composition of one sector's consumed footprint.
The baseline computes three of those numbers (consumption-based footprint, EEE, the sector's
consumed footprint) the textbook way, in bare numpy: the Leontief inverse ``L = inv(I - A)`` of
the whole MRIO once, each city's local inverse, and products with them. Both run in this
process on the same table and must agree.

Reported separately: the one-off cost (gridfoot: LU factorisation of ``I - A``, shared by every
city; baseline: the inverse) and the per-city cost once it is paid; peak traced memory of each.

Run::

    python benchmarks/urban.py                       # WIOD 2009 if ../shared/data, else sample
    python benchmarks/urban.py --synthetic 30 150    # 30 regions x 150 sectors, 6 cities
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np

from gridfoot import MRIO
from gridfoot.datasets import load_wiod2009, reference_data_dir, sample_mrio
from gridfoot.errors import ZeroOutputWarning
from gridfoot.mrio.leontief import factor, intensities, technical_coefficients
from gridfoot.urban import city_footprint_from_mrio


def load(synthetic: tuple[int, int] | None) -> tuple[str, MRIO, str]:
    if synthetic is not None:
        from mrio import synthetic_tables  # the MRIO benchmark's generator (same folder)

        regions, sectors = synthetic
        tables = synthetic_tables(regions, sectors, categories=4, stressors=1, density=0.3)
        return (
            f"synthetic {regions} x {sectors}",
            MRIO.from_tables(**tables, units={"e0": "t"}),
            "s001",
        )
    if reference_data_dir(required=False) is None:
        return "sample MRIO", sample_mrio(), "CON"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroOutputWarning)
        return "WIOD 2009", load_wiod2009(x="balanced"), "secF"


def gridfoot_route(mrio: MRIO, sector: str, cities: list[str]) -> dict[str, tuple]:
    results = {}
    for region in cities:
        city = city_footprint_from_mrio(mrio, region, population=1.0)
        results[region] = (
            city.boundaries["consumption_based"],
            city.accounts.loc["eee", "total"],
            city.composition(sector)["total"].sum(),
        )
    return results


def inverse(mrio: MRIO) -> np.ndarray:
    A = technical_coefficients(mrio.Z.to_numpy(), mrio.x.to_numpy())
    return np.linalg.inv(np.eye(len(A)) - A)


def inverse_route(mrio: MRIO, sector: str, cities: list[str], L: np.ndarray) -> dict[str, tuple]:
    """The same three numbers per city from explicit inverses (a script with pymrio's L)."""
    Z, Y, x = mrio.Z.to_numpy(), mrio.Y.to_numpy(), mrio.x.to_numpy()
    A = technical_coefficients(Z, x)
    s = intensities(mrio.F.to_numpy()[:1] * (x > 0), x)[0]
    M = s @ L
    region = mrio.producers.get_level_values("region").to_numpy()
    product = mrio.producers.get_level_values("sector").to_numpy() == sector
    demand_region = mrio.Y.columns.get_level_values("region").to_numpy()
    households = mrio.F_Y.to_numpy()[0]
    results = {}
    for city in cities:
        local, final = region == city, demand_region == city
        L_local = np.linalg.inv(np.eye(local.sum()) - A[np.ix_(local, local)])
        y_city = Y[:, final].sum(axis=1)
        exports = Z[np.ix_(local, ~local)].sum(axis=1) + Y[np.ix_(local, ~final)].sum(axis=1)
        eee = s[local] @ L_local @ exports
        imported_inputs = A[np.ix_(~local, local)]
        total_multiplier = (s[local] + M[~local] @ imported_inputs) @ L_local
        cba = total_multiplier @ y_city[local] + M[~local] @ y_city[~local]
        cba += households[final].sum()
        demand = np.where(product, y_city, 0.0)
        driven_locally = L_local @ demand[local]
        imported = imported_inputs @ driven_locally + demand[~local]
        composition = (s[local] * driven_locally).sum() + (s * (L[:, ~local] @ imported)).sum()
        results[city] = (cba, eee, composition)
    return results


def measure(function, *args) -> tuple[object, float, float]:
    """Result, best wall time of three runs (without tracemalloc, which slows Python-level
    code far more than numpy's), and the peak traced memory of a fourth run."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    function(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, min(times), peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", nargs=2, type=int, metavar=("REGIONS", "SECTORS"))
    parser.add_argument("--cities", type=int, default=None, help="how many regions (default all)")
    args = parser.parse_args(argv)
    name, mrio, sector = load(tuple(args.synthetic) if args.synthetic else None)
    cities = list(mrio.regions[: args.cities or (6 if args.synthetic else None)])
    n = len(mrio.producers)
    print(f"{name}: {len(mrio.regions)} regions x {len(mrio.sectors)} sectors = {n} producers")

    Z, x = mrio.Z.to_numpy(), mrio.x.to_numpy()
    lu, lu_time, lu_peak = measure(factor, Z, x)
    L, inv_time, inv_peak = measure(inverse, mrio)
    mrio.__dict__["leontief"] = lu  # the MRIO caches its factorisation; share this one
    ours, ours_time, ours_peak = measure(gridfoot_route, mrio, sector, cities)
    theirs, theirs_time, theirs_peak = measure(inverse_route, mrio, sector, cities, L)
    worst = max(
        abs(a - b) / max(abs(b), 1e-12)
        for region in cities
        for a, b in zip(ours[region], theirs[region], strict=True)
    )
    mib, per_city = 2**20, 1e3 / len(cities)
    print(f"one-off:  LU factorisation {lu_time:6.2f} s, peak {lu_peak / mib:6.1f} MiB")
    print(f"          inverse          {inv_time:6.2f} s, peak {inv_peak / mib:6.1f} MiB")
    print(f"{len(cities)} cities, every account + composition of {sector}:")
    print(
        f"  gridfoot.urban (solves, labelled): {ours_time * per_city:6.1f} ms per city, "
        f"peak {ours_peak / mib:6.1f} MiB"
    )
    print(
        f"  inverses, 3 numbers, bare numpy:   {theirs_time * per_city:6.1f} ms per city, "
        f"peak {theirs_peak / mib:6.1f} MiB"
    )
    for count in (1, len(cities)):
        ours_total = lu_time + ours_time * count / len(cities)
        theirs_total = inv_time + theirs_time * count / len(cities)
        print(
            f"  total for {count:3d} city(ies): gridfoot {ours_total:6.2f} s, inverse "
            f"{theirs_total:6.2f} s (ratio inverse / gridfoot {theirs_total / ours_total:.2f})"
        )
    print(f"  largest relative difference of the answers: {worst:.1e}")


if __name__ == "__main__":
    main()
