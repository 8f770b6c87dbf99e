"""Sub-national tables made from a host region by hand, for the nesting tests.

:func:`proportional_table` splits a host region into provinces that are proportional copies:
each province has a fixed share of each sector's output (and of each final-demand category),
the same technology and the same import mix, and buys from the other provinces in proportion
to their output. Nesting such a table must reproduce the host's accounts exactly. It is written
here, independently of :func:`gridfoot.regionalise`, from the definitions alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gridfoot import MRIO
from gridfoot.mrio.subnational import SubnationalTable


def proportional_table(
    host: MRIO,
    region: str,
    shares: np.ndarray,
    demand_shares: np.ndarray | None = None,
    split: dict[str, tuple[str, str, float]] | None = None,
    provinces: list[str] | None = None,
) -> SubnationalTable:
    """``region`` of ``host`` as provinces that are proportional copies of it.

    Parameters
    ----------
    shares : (provinces, sectors of region) array
        Each province's share of each sector's output; columns sum to 1.
    demand_shares : (provinces, categories of region) array, optional
        Each province's share of each final-demand category (default: equal).
    split : {host sector: (first, second, fraction)}, optional
        Host sectors the table splits in two (same technology, ``fraction`` of every flow in
        the first); the table then carries the concordance to the host's sectors.
    """
    producers, demand = host.producers, host.Y.columns
    rows = np.asarray(producers.get_level_values(0) == region)
    cols = np.asarray(demand.get_level_values(0) == region)
    sectors = list(producers[rows].get_level_values(1))
    categories = list(demand[cols].get_level_values(1))
    n_p = shares.shape[0]
    provinces = provinces or [f"{region}-{i + 1}" for i in range(n_p)]
    if demand_shares is None:
        demand_shares = np.full((n_p, len(categories)), 1.0 / n_p)

    # table sectors: each host sector, or its two halves; Q[t, s] = fraction of s that is t
    split = split or {}
    table_sectors, fraction, origin = [], [], []
    for k, s in enumerate(sectors):
        parts = (
            [(split[s][0], split[s][2]), (split[s][1], 1 - split[s][2])]
            if s in split
            else [(s, 1.0)]
        )
        for name, f in parts:
            table_sectors.append(name)
            fraction.append(f)
            origin.append(k)
    origin_arr, fraction_arr = np.array(origin), np.array(fraction)

    Zn = host.Z.to_numpy()[np.ix_(rows, rows)]
    Yn = host.Y.to_numpy()[np.ix_(rows, cols)]
    sold = np.hstack(
        [host.Z.to_numpy()[np.ix_(rows, ~rows)], host.Y.to_numpy()[np.ix_(rows, ~cols)]]
    )
    bought_z = host.Z.to_numpy()[np.ix_(~rows, rows)].sum(axis=0)
    bought_y = host.Y.to_numpy()[np.ix_(~rows, cols)].sum(axis=0)
    Fn = host.F.to_numpy()[:, rows]
    FYn = host.F_Y.to_numpy()[:, cols]

    # sigma[(p, t)]: the share of host sector origin(t)'s output made by province p as part t
    sigma = (shares[:, origin_arr] * fraction_arr[None, :]).ravel()
    sector_of = np.tile(origin_arr, n_p)
    beta = demand_shares.ravel()
    category_of = np.tile(np.arange(len(categories)), n_p)
    labels = pd.MultiIndex.from_tuples(
        [(p, t) for p in provinces for t in table_sectors], names=["region", "sector"]
    )
    columns = pd.MultiIndex.from_tuples(
        [(p, c) for p in provinces for c in categories], names=["region", "category"]
    )
    Z = sigma[:, None] * sigma[None, :] * Zn[np.ix_(sector_of, sector_of)]
    Y = sigma[:, None] * beta[None, :] * Yn[np.ix_(sector_of, category_of)]
    exports = pd.DataFrame(
        {
            "region": labels.get_level_values(0),
            "sector": labels.get_level_values(1),
            "value": sigma * sold.sum(axis=1)[sector_of],
        }
    )
    users = list(labels) + list(columns)
    imports = pd.DataFrame(
        {
            "region": [u[0] for u in users],
            "user": [u[1] for u in users],
            "value": np.concatenate([sigma * bought_z[sector_of], beta * bought_y[category_of]]),
        }
    )
    F = pd.DataFrame(Fn[:, sector_of] * sigma[None, :], index=host.stressors, columns=labels)
    F_Y = pd.DataFrame(FYn[:, category_of] * beta[None, :], index=host.stressors, columns=columns)
    concordance = None
    if split:
        concordance = pd.DataFrame(
            {"sector": table_sectors, "host_sector": [sectors[k] for k in origin]}
        )
    return SubnationalTable.from_tables(
        Z=pd.DataFrame(Z, index=labels, columns=labels),
        Y=pd.DataFrame(Y, index=labels, columns=columns),
        exports=exports,
        imports=imports,
        F=F,
        F_Y=F_Y,
        units=host.units,
        concordance=concordance,
        monetary_unit=host.monetary_unit,
    )


def move_exports(table: SubnationalTable, factors: dict[str, float]) -> SubnationalTable:
    """The same table with each province's exports times ``factors[province]``, its domestic
    final demand taking up the difference (so output is unchanged).

    Factors must keep every sector's national exports: the caller chooses them so.
    """
    exports = table.exports.copy()
    change = exports["value"] * (exports["region"].map(factors).fillna(1.0) - 1.0)
    exports["value"] += change
    Y = table.Y.copy()
    sellers = pd.MultiIndex.from_frame(exports[["region", "sector"]])
    delta = pd.Series(change.to_numpy(), index=sellers)
    weights = Y.div(Y.sum(axis=1).replace(0, 1), axis=0)
    Y = Y - weights.mul(delta.reindex(Y.index, fill_value=0.0), axis=0)
    return SubnationalTable.from_tables(
        Z=table.Z, Y=Y, exports=exports, imports=table.imports, F=table.F, F_Y=table.F_Y,
        units=table.units, concordance=table.concordance, monetary_unit=table.monetary_unit,
    )  # fmt: skip


def write_subnational_folder(
    table: SubnationalTable, folder: Path, monetary_unit: str | None = None
) -> Path:
    """``table`` as a folder :func:`gridfoot.read_subnational` reads: ``Z.csv`` and ``Y.csv``
    wide (two header rows, two index columns), ``exports.csv``, ``imports.csv`` and
    ``satellite.csv`` long, the concordance when it has one, and ``table.toml`` with the
    money unit (``monetary_unit`` overrides the table's)."""
    folder.mkdir(parents=True, exist_ok=True)
    table.Z.to_csv(folder / "Z.csv")
    table.Y.to_csv(folder / "Y.csv")
    table.exports.to_csv(folder / "exports.csv", index=False)
    table.imports.to_csv(folder / "imports.csv", index=False)
    rows = []
    for frame in (table.F, table.F_Y):
        for stressor, values in frame.iterrows():
            unit = table.units.get(stressor, "")
            rows += [(r, s, stressor, v, unit) for (r, s), v in values.items()]
    pd.DataFrame(rows, columns=["region", "sector", "stressor", "value", "unit"]).to_csv(
        folder / "satellite.csv", index=False
    )
    if table.concordance is not None:
        table.concordance.to_csv(folder / "concordance.csv", index=False)
    unit = table.monetary_unit if monetary_unit is None else monetary_unit
    (folder / "table.toml").write_text(f'monetary_unit = "{unit}"\n')
    return folder
