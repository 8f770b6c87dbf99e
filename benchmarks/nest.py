"""Benchmark: nesting a provincial table (31 provinces x 42 sectors) into a world MRIO.

A synthetic host of 190 regions x 26 sectors = 4,940 producers (Eora26-like; 6 final-demand
categories, one stressor) and a synthetic sub-national table for one of its regions: 31
provinces x 42 sectors (1,302 producers, CEADs-like), its sectors mapped to the host's 26
by a concordance (many-to-one, and one-to-two with shares), exports and imports as totals
by producer and using column, exports 10% above the host's (so GRAS has work to do). Timed in
one process, with CPU seconds and the peak resident memory above the inputs:

1. ``gridfoot.nest``: spread the trade blocks, balance them with GRAS, build the nested MRIO
   (6,211 producers) with its checks;
2. the baseline: ``gridfoot.footprint`` of the host (its LU and every account), the cost
   a user pays anyway;
3. ``gridfoot.footprint`` of the nested system.

Run::

    PYTHONPATH=$PWD python benchmarks/nest.py
    PYTHONPATH=$PWD python benchmarks/nest.py --regions 60 --provinces 10   # a quick look
"""

from __future__ import annotations

import argparse
import gc
import os
import time

import numpy as np
import pandas as pd
from _memory import PeakMemory
from mrio import synthetic_tables


def synthetic_table(host, region: str, provinces: int, sectors: int, seed: int = 1):
    """A random provincial table for ``region`` of ``host``, in its own 42-sector
    classification, with totals near the host's (exports 10% higher)."""
    from gridfoot.mrio.subnational import SubnationalTable

    rng = np.random.default_rng(seed)
    rows = np.asarray(host.producers.get_level_values(0) == region)
    cols = np.asarray(host.Y.columns.get_level_values(0) == region)
    host_sectors = list(host.producers[rows].get_level_values(1))
    host_categories = list(host.Y.columns[cols].get_level_values(1))
    table_sectors = [f"t{k:02d}" for k in range(sectors)]
    # concordance: table sector k -> host sector k * 26 // 42; every fifth also in the next
    concordance = []
    for k, t in enumerate(table_sectors):
        s = k * len(host_sectors) // sectors
        if k % 5 == 0 and s + 1 < len(host_sectors):
            concordance += [(t, host_sectors[s], 0.7), (t, host_sectors[s + 1], 0.3)]
        else:
            concordance.append((t, host_sectors[s], 1.0))
    names = [f"P{p:02d}" for p in range(provinces)]
    producers = pd.MultiIndex.from_product([names, table_sectors], names=["region", "sector"])
    demand = pd.MultiIndex.from_product([names, host_categories], names=["region", "category"])
    n = len(producers)
    scale = host.x[rows].sum() / n
    Z = rng.random((n, n)) * (rng.random((n, n)) < 0.3) * scale / n * 4
    Y = rng.lognormal(0, 1, (n, len(demand))) * scale / len(demand) * 0.3
    sold = host.Z.to_numpy()[rows][:, ~rows].sum() + host.Y.to_numpy()[rows][:, ~cols].sum()
    bought = host.Z.to_numpy()[~rows][:, rows].sum() + host.Y.to_numpy()[~rows][:, cols].sum()
    e = rng.lognormal(0, 1, n)
    m = rng.lognormal(0, 1, n + len(demand))
    users = list(producers) + list(demand)
    return SubnationalTable.from_tables(
        Z=pd.DataFrame(Z, index=producers, columns=producers),
        Y=pd.DataFrame(Y, index=producers, columns=demand),
        exports=pd.DataFrame(
            {
                "region": producers.get_level_values(0),
                "sector": producers.get_level_values(1),
                "value": e / e.sum() * sold * 1.1,
            }
        ),
        imports=pd.DataFrame(
            {
                "region": [u[0] for u in users],
                "user": [u[1] for u in users],
                "value": m / m.sum() * bought,
            }
        ),
        F=pd.DataFrame(rng.lognormal(2, 2, (1, n)), index=host.stressors, columns=producers),
        units=host.units,
        concordance=pd.DataFrame(concordance, columns=["sector", "host_sector", "share"]),
    )


def timed(label: str, work):
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    with PeakMemory() as memory:
        result = work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"  {label:<40} cpu {cpu:7.2f} s   wall {wall:6.2f} s   peak +{memory.megabytes:7.0f} MB")
    return cpu, memory.megabytes, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=190)
    parser.add_argument("--sectors", type=int, default=26)
    parser.add_argument("--provinces", type=int, default=31)
    parser.add_argument("--table-sectors", type=int, default=42)
    args = parser.parse_args()

    from gridfoot import MRIO, footprint, nest
    from gridfoot.datasets import textbook_mrio

    footprint(textbook_mrio())  # pay the one-off lazy imports outside the timings
    tables = synthetic_tables(args.regions, args.sectors, 6, 1, 0.3)
    host = MRIO.from_tables(**tables, units={"e0": "t"})
    del tables
    region = host.regions[1]
    table = synthetic_table(host, region, args.provinces, args.table_sectors)
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}")
    print(f"host:  {host!r}")
    print(f"table: {table!r}")

    cpu_host, mem_host, _ = timed("footprint of the host (baseline)", lambda: footprint(host))
    cpu_nest, mem_nest, nested = timed(
        f"nest {args.provinces} x {args.table_sectors} into it", lambda: nest(host, table, region)
    )
    cpu_fp, _, _ = timed("footprint of the nested system", lambda: footprint(nested))
    print(f"nested: {nested!r}")
    print(nested.nesting.blocks.to_string())
    print(f"ratio nest / host footprint: cpu {cpu_nest / cpu_host:.2f}, "
          f"peak memory {mem_nest / max(mem_host, 1):.2f}")  # fmt: skip
    print(f"ratio nested footprint / host footprint: cpu {cpu_fp / cpu_host:.2f}")


if __name__ == "__main__":
    main()
