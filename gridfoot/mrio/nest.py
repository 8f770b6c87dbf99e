"""Nest a sub-national table (China's provinces) into a world MRIO.

:func:`nest` replaces one region of a host :class:`~gridfoot.MRIO` by the regions of a
:class:`~gridfoot.mrio.subnational.SubnationalTable`. The policy (DESIGN §2b):

* **Kept:** the table's domestic blocks (flows among its regions and their final demand) and
  the host's foreign blocks (flows among the other regions, and their final demand).
* **Exports.** Each ``(region, sector)`` of the table sells its exports to the host's foreign
  users (other regions' producers and final demand) in the host's proportions for that product
  from the replaced region; with a ``partner`` column, only to that partner's users. A table
  sector that maps to several host sectors (a concordance with shares) mixes their
  proportions.
* **Imports.** Each using column of the table (a sector or final-demand category of one of its
  regions) buys its imports from the foreign producers in the proportions of the host's imports
  of the replaced region for that column's product (or category; all final-demand categories
  pooled when the table's categories are not the host's); ``product`` and ``partner`` columns
  narrow the choice.
* **Reconciled.** The two tables disagree on totals (year, currency, price basis). The trade
  blocks are balanced with GRAS (:func:`gridfoot.mrio.gras.gras`) to the known margins: the
  table's exports of each producer and imports of each using column, and the host's
  purchases of each foreign user from the region and sales of each foreign producer to it,
  scaled to the table's totals (per partner or product where the table gives them). Rows of
  the table keep their totals exactly, so its producers keep the table's output.
  ``balance="none"`` keeps the proportional spread (rows exact, columns as they fall).
* **Emissions** come from the table's satellite, or (``emissions="output"`` or weights per
  producer) are the host's emissions of the replaced region split over the table's producers.

The replaced region's regions map to its country, so "export-linked" keeps its meaning.
Every adjustment is in the :class:`NestReport` kept on the result (``mrio.nesting``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from gridfoot.checks import check_choice
from gridfoot.errors import BalanceError, LabelError, ValueCheckError, format_labels
from gridfoot.mrio.gras import gras
from gridfoot.mrio.nest_report import NestReport
from gridfoot.mrio.subnational import SubnationalTable, check_concordance
from gridfoot.mrio.system import MRIO

__all__ = ["nest"]

Balance = Literal["gras", "none"]
#: How many of the largest cell changes the report lists per block.
_LISTED = 10


# ----------------------------------------------------------------------------- helpers
def _exchange_rate(host: MRIO, table: SubnationalTable, rate: float | None) -> float:
    if rate is not None:
        rate = float(rate)
        if not np.isfinite(rate) or rate <= 0:
            raise ValueCheckError(f"exchange_rate must be a positive number, got {rate!r}")
        return rate
    ours, theirs = table.monetary_unit, host.monetary_unit
    if ours and theirs and ours != theirs:
        raise ValueCheckError(
            f"the table is in {ours!r} and the host MRIO in {theirs!r}: give exchange_rate= "
            f"(host units per table unit) to nest it"
        )
    return 1.0


def _concordance(
    table: SubnationalTable, host_sectors: pd.Index, concordance: pd.DataFrame | None
) -> tuple[np.ndarray, pd.DataFrame | None]:
    """``W[t, s]``: the share of table sector ``t`` that is host sector ``s``, and the
    concordance it came from (None when the table uses the host's codes)."""
    sectors = table.sectors
    if concordance is None:
        concordance = table.concordance
    if concordance is None:
        unknown = sectors.difference(host_sectors)
        if len(unknown):
            raise LabelError(
                f"the table's sectors {format_labels(unknown)} are not sectors of the host "
                f"region; give a concordance (sector, host_sector, share)"
            )
        return (sectors.to_numpy()[:, None] == host_sectors.to_numpy()[None, :]).astype(float), None
    concordance = check_concordance(concordance, sectors)
    unknown = pd.Index(concordance["host_sector"]).difference(host_sectors)
    if len(unknown):
        raise LabelError(
            f"concordance: host sectors {format_labels(unknown)} are not sectors of the host "
            f"region; it has {format_labels(host_sectors)}"
        )
    W = np.zeros((len(sectors), len(host_sectors)))
    np.add.at(
        W,
        (
            sectors.get_indexer(concordance["sector"]),
            host_sectors.get_indexer(concordance["host_sector"]),
        ),
        concordance["share"].to_numpy(dtype=float),
    )
    return W, concordance


def _shares(block: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row of ``block`` as shares over the ``keep`` columns, and which rows fell back.

    Shares are the row over its sum, so a row with negative entries (inventory changes) keeps
    them: spreading the row's own total by its shares gives the row back. A row that sums to
    nothing (nothing traded, or entries that cancel) takes the shares of all rows together.
    """
    masked = block * keep
    sums = masked.sum(axis=1)
    ok = np.abs(sums) > 1e-9 * np.abs(masked).sum(axis=1)
    shares = np.divide(masked, np.where(ok, sums, 1.0)[:, None])
    pooled = masked.sum(axis=0)
    total = pooled.sum()
    shares[~ok] = pooled / total if total != 0 else 0.0
    return shares, ~ok


def _sum_rows(values: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Rows of ``values`` summed into ``n`` groups (the expanded rows back to producers)."""
    out = np.zeros((n, values.shape[1]))
    np.add.at(out, groups, values)
    return out


def _balance(
    block: str,
    prior: np.ndarray,
    rows: np.ndarray,
    columns: np.ndarray,
    balance: Balance,
    tolerance: float,
    max_iterations: int,
) -> tuple[np.ndarray, dict[str, object]]:
    """GRAS on one trade block (or not), and its line of the report."""
    scale = max(float(np.abs(rows).max(initial=0.0)), float(np.abs(columns).max(initial=0.0)))
    gap = np.abs(prior.sum(axis=0) - columns) / max(scale, 1e-300)
    stats: dict[str, object] = {
        "cells": int(np.count_nonzero(prior)),
        "gap_before": float(gap.max(initial=0.0)),
    }
    if balance == "none" or prior.size == 0:
        return prior, {**stats, "iterations": 0, "residual": float(gap.max(initial=0.0) * scale)}
    try:
        result = gras(prior, rows, columns, tolerance=tolerance, max_iterations=max_iterations)
    except BalanceError as error:
        raise BalanceError(f"nest: the {block} block cannot be balanced: {error}") from None
    return result.X, {**stats, "iterations": result.iterations, "residual": result.residual}


def changes_table(
    block: str, prior: np.ndarray, balanced: np.ndarray, sellers: list[str], buyers: list[str]
) -> tuple[float, pd.DataFrame]:
    """The largest relative change of a cell from its prior, and a table of the largest few."""
    change = np.divide(balanced - prior, np.abs(prior), out=np.zeros_like(prior), where=prior != 0)
    flat = np.abs(change).ravel()
    # the few largest without sorting millions of cells
    top = np.argpartition(-flat, _LISTED)[:_LISTED] if flat.size > _LISTED else np.arange(flat.size)
    top = top[np.argsort(-flat[top])]
    top = top[flat[top] > 0]
    i, j = np.unravel_index(top, prior.shape)
    frame = pd.DataFrame(
        {
            "block": block,
            "seller": [sellers[k] for k in i],
            "buyer": [buyers[k] for k in j],
            "prior": prior[i, j],
            "balanced": balanced[i, j],
            "relative_change": change[i, j],
        }
    )
    return float(flat.max(initial=0.0)), frame


def label_names(labels: pd.Index) -> list[str]:
    """Labels as text, pairs written ``region/sector``."""
    return ["/".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in labels]


# ----------------------------------------------------------------------------- nest
def nest(
    host: MRIO,
    table: SubnationalTable,
    region: str = "CHN",
    concordance: pd.DataFrame | None = None,
    balance: Balance = "gras",
    *,
    exchange_rate: float | None = None,
    emissions: Literal["table", "output"] | pd.Series = "table",
    tolerance: float = 1e-10,
    max_iterations: int = 10_000,
    estimate: bool = False,
) -> MRIO:
    """Replace ``region`` of ``host`` by the regions of a sub-national ``table``.

    See the module documentation for the policy. The result's ``x`` is balanced
    (``Z·1 + Y·1``); the table's regions keep the table's output, and map to ``region``'s
    country in ``countries``.

    Parameters
    ----------
    host : MRIO
        The world MRIO.
    table : SubnationalTable
        The sub-national table (:func:`gridfoot.read_subnational`).
    region : str
        The host region the table subdivides.
    concordance : DataFrame, optional
        ``sector, host_sector[, share]``: the table's sectors in the host's classification;
        overrides the table's own. Needed when the table's sector codes are not the host's.
    balance : {"gras", "none"}
        Reconcile the trade blocks with GRAS, or keep the proportional spread.
    exchange_rate : float, optional
        Host monetary units per table unit; required when the two units differ.
    emissions : {"table", "output"} or Series
        The table's satellite, or the host's emissions of ``region`` split over the table's
        producers by output (through the concordance) or by weights (a Series indexed by the
        table's ``(region, sector)``, e.g. point-source emissions). Final demand's direct
        emissions are split by the size of final demand.
    tolerance, max_iterations
        GRAS convergence (relative to the largest margin) and its iteration limit.
    estimate : bool
        Mark the result as an estimate (set by :func:`gridfoot.regionalise`).

    Returns
    -------
    MRIO
        The nested system; ``mrio.nesting`` is the :class:`NestReport`.

    Raises
    ------
    LabelError
        Unknown region, clashing region names, sectors the host lacks without a concordance,
        stressors the table's satellite lacks.
    ValueCheckError
        Different monetary units without an exchange rate; units of emissions that differ.
    BalanceError
        A trade block GRAS cannot balance (a margin that its prior cannot reach), or trade
        the host gives nothing to spread by (exports of a region the host records none from).
    """
    check_choice(balance, "balance", ("gras", "none"))
    if region not in host.regions:
        raise LabelError(
            f"nest: {region!r} is not a region of the host MRIO; it has "
            f"{format_labels(host.regions)}"
        )
    clash = table.regions.intersection(host.regions.drop(region))
    if len(clash):
        raise LabelError(
            f"nest: the table's regions {format_labels(clash)} are already regions of the host"
        )
    rate = _exchange_rate(host, table, exchange_rate)
    notes: list[str] = []

    producers = host.producers
    in_region = np.asarray(producers.get_level_values(0) == region)
    demand = host.Y.columns
    demand_in_region = np.asarray(demand.get_level_values(0) == region)
    host_sectors = pd.Index(producers[in_region].get_level_values(1))
    host_categories = pd.Index(demand[demand_in_region].get_level_values(1))
    W, joined_by = _concordance(table, host_sectors, concordance)

    Zh, Yh = host.Z.to_numpy(), host.Y.to_numpy()
    foreign = producers[~in_region]
    foreign_demand = demand[~demand_in_region]
    # users abroad (foreign producers, then foreign final demand) and their regions
    users = label_names(foreign) + label_names(foreign_demand)
    user_region = np.concatenate(
        [foreign.get_level_values(0).to_numpy(), foreign_demand.get_level_values(0).to_numpy()]
    )
    sold = np.hstack([Zh[in_region][:, ~in_region], Yh[in_region][:, ~demand_in_region]])
    bought = np.hstack([Zh[~in_region][:, in_region], Yh[~in_region][:, demand_in_region]])

    Zt = table.Z.to_numpy() * rate
    Yt = table.Y.to_numpy() * rate
    t_producers, t_demand = table.producers, table.Y.columns
    t_sector = table.sectors.get_indexer(t_producers.get_level_values(1))

    # -- exports: (table producer[, partner]) rows x foreign users -----------------------
    exports = table.exports.groupby(["region", "sector", "partner"], sort=False)["value"].sum()
    exports = exports.reset_index()
    by_partner = _all_or_none(exports["partner"], "exports", "partner")
    if by_partner:
        unknown = pd.Index(exports["partner"].unique()).difference(host.regions.drop(region))
        if len(unknown):
            raise LabelError(f"exports: partners {format_labels(unknown)} are not host regions")
    seller = t_producers.get_indexer(pd.MultiIndex.from_frame(exports[["region", "sector"]]))
    e = exports["value"].to_numpy(dtype=float) * rate
    prior_e = np.zeros((len(exports), len(users)))
    targets_e = np.zeros(len(users))
    host_columns = sold.sum(axis=0)
    for partner in pd.unique(exports["partner"]):
        rows = (exports["partner"] == partner).to_numpy()
        keep = user_region == partner if partner else np.ones(len(users), bool)
        shares, fell_back = _shares(sold, keep)
        mix = W[t_sector[seller[rows]]] @ shares
        fallen = W[t_sector[seller[rows]]][:, fell_back].sum(axis=1) > 0
        if fallen.any():
            notes.append(
                f"exports{f' to {partner}' if partner else ''}: {int(fallen.sum())} "
                f"producer(s) export products the host records no exports of from {region}; "
                f"they are spread like all of {region}'s exports"
            )
        if not np.allclose(mix.sum(axis=1)[e[rows] != 0], 1.0):
            raise BalanceError(
                f"exports: the host records no exports from {region}"
                + (f" to {partner}" if partner else "")
                + ", so the table's exports cannot be spread"
            )
        prior_e[rows] = e[rows, None] * mix
        target = host_columns * keep
        targets_e += _scaled(target, e[rows].sum(), f"exports to {partner or 'all partners'}")
    targets_e = _drop_unreachable(targets_e, prior_e, users, "exports", "buy from", region, notes)
    balanced_e, stats_e = _balance(
        "exports", prior_e, e, targets_e, balance, tolerance, max_iterations
    )
    sellers_e = [
        "/".join(filter(None, (r, s, p)))
        for r, s, p in exports[["region", "sector", "partner"]].itertuples(index=False)
    ]
    worst_e, changes_e = changes_table("exports", prior_e, balanced_e, sellers_e, users)
    E = _sum_rows(balanced_e, seller, len(t_producers))

    # -- imports: foreign producers x (table user[, product][, partner]) columns ---------
    imports = (
        table.imports.groupby(["region", "user", "product", "partner"], sort=False)["value"]
        .sum()
        .reset_index()
    )
    by_product = _all_or_none(imports["product"], "imports", "product")
    by_origin = _all_or_none(imports["partner"], "imports", "partner")
    if by_product:
        unknown = pd.Index(imports["product"].unique()).difference(host.sectors)
        if len(unknown):
            raise LabelError(f"imports: products {format_labels(unknown)} are not host sectors")
    if by_origin:
        unknown = pd.Index(imports["partner"].unique()).difference(host.regions.drop(region))
        if len(unknown):
            raise LabelError(f"imports: partners {format_labels(unknown)} are not host regions")
    t_users = t_producers.append(t_demand)
    user = t_users.get_indexer(pd.MultiIndex.from_frame(imports[["region", "user"]]))
    intermediate = user < len(t_producers)
    category = pd.Index(t_demand.get_level_values(1))
    matched = category.isin(host_categories)
    if not matched.all() and len(t_demand):
        notes.append(
            f"imports for final demand: the table's categories "
            f"{format_labels(category[~matched].unique())} are not {region}'s in the host; "
            f"their import mix is that of all of {region}'s final demand"
        )
    m = imports["value"].to_numpy(dtype=float) * rate
    # each using column's mix of host columns: sectors through the concordance, categories
    # by name (or all of the region's final demand pooled)
    pooled = np.ones(len(host_categories)) / max(len(host_categories), 1)
    column_mix = np.zeros((len(imports), len(host_sectors) + len(host_categories)))
    column_mix[intermediate, : len(host_sectors)] = W[t_sector[user[intermediate]]]
    for k in np.flatnonzero(~intermediate):
        c = user[k] - len(t_producers)
        weights = (host_categories == category[c]).astype(float) if matched[c] else pooled
        column_mix[k, len(host_sectors) :] = weights
    foreign_names = label_names(foreign)
    prior_m = np.zeros((len(foreign), len(imports)))
    targets_m = np.zeros(len(foreign))
    host_rows = bought.sum(axis=1)  # each foreign producer's sales to the region
    for (product, partner), group in imports.groupby(["product", "partner"], sort=False):
        cols = group.index.to_numpy()
        what = "".join((f" of {product}" if product else "", f" from {partner}" if partner else ""))
        keep = np.ones(len(foreign), bool)
        if product:
            keep &= np.asarray(foreign.get_level_values(1) == product)
        if partner:
            keep &= np.asarray(foreign.get_level_values(0) == partner)
        shares, fell_back = _shares(bought.T, keep)
        fallen = column_mix[cols][:, fell_back].sum(axis=1) > 0
        if fallen.any():
            notes.append(
                f"imports{what}: {int(fallen.sum())} using column(s) buy products "
                f"{region}'s columns in the host do not import; their mix is that of all of "
                f"{region}'s imports"
            )
        mix = column_mix[cols] @ shares
        if (~np.isclose(mix.sum(axis=1), 1.0) & (m[cols] != 0)).any():
            raise BalanceError(
                f"imports: the host records no imports of {region}{what}, so the table's "
                f"imports cannot be spread"
            )
        prior_m[:, cols] = (m[cols, None] * mix).T
        # the host's sales to the region, scaled to the table's total of this group
        targets_m += _scaled(host_rows * keep, m[cols].sum(), f"imports{what}")
    targets_m = _drop_unreachable(
        targets_m, prior_m.T, foreign_names, "imports", "sell to", region, notes
    )
    # the table's using columns are the exact margins (rows of the transposed block)
    balanced_m, stats_m = _balance(
        "imports", prior_m.T, m, targets_m, balance, tolerance, max_iterations
    )
    balanced_m = balanced_m.T
    buyers_m = [
        "/".join(filter(None, (r, u, p, o)))
        for r, u, p, o in imports[["region", "user", "product", "partner"]].itertuples(index=False)
    ]
    worst_m, changes_m = changes_table("imports", prior_m, balanced_m, foreign_names, buyers_m)
    M = _sum_rows(balanced_m.T, user, len(t_users)).T

    # -- assemble --------------------------------------------------------------------------
    for flows, block, what in ((E[:, : len(foreign)], "exports", "sold"),
                               (M[:, : len(t_producers)], "imports", "bought")):  # fmt: skip
        if (flows < 0).any():
            raise ValueCheckError(
                f"nest: the {block} give {int((flows < 0).sum())} negative intermediate flows "
                f"(goods {what} abroad for production cannot be negative); check the table's "
                f"{block} for negative values"
            )
    nested = _assemble(host, table, region, in_region, demand_in_region, Zt, Yt, E, M)
    F, F_Y, source = _emissions(host, table, region, in_region, demand_in_region, W, emissions,
                                Zt, Yt, E, M, notes)  # fmt: skip
    countries = {
        **{r: c for r, c in host.countries.items() if r != region},
        **{r: str(host.countries[region]) for r in table.regions},
    }
    mrio = MRIO.from_tables(
        Z=nested["Z"],
        Y=nested["Y"],
        F=F,
        F_Y=F_Y,
        units=host.units,
        countries=countries,
        monetary_unit=host.monetary_unit,
        zero_output="ignore",
    )
    excluded = mrio.excluded
    if not excluded.empty:
        notes.append(
            f"{excluded.shape[1]} producer(s) with output <= 0 report emissions left out of "
            f"every account: {format_labels(excluded.columns)}"
        )
    if host.x_source == "given":
        notes.append("the host's x was given; the nested system's x is balanced (Z·1 + Y·1)")

    blocks = pd.DataFrame(
        [
            {**stats_e, "target_scale": _ratio(e.sum(), host_columns.sum()),
             "largest_change": worst_e},
            {**stats_m, "target_scale": _ratio(m.sum(), host_rows.sum()),
             "largest_change": worst_m},
        ],
        index=pd.Index(["exports", "imports"], name="block"),
    )  # fmt: skip
    blocks = blocks[
        ["cells", "target_scale", "gap_before", "iterations", "residual", "largest_change"]
    ]
    in_table = mrio.producers.get_level_values(0).isin(table.regions)
    totals = {
        "output": (host.x[in_region].sum(), table.x.sum() * rate, mrio.x[in_table].sum()),
        "exports": (sold.sum(), e.sum(), E.sum()),
        "imports": (bought.sum(), m.sum(), M.sum()),
    }
    for stressor in host.stressors:
        unit = host.units[stressor]
        label = f"emissions {stressor}" + (f" [{unit}]" if unit else "")
        host_total = (
            host.F.loc[stressor, in_region].sum() + host.F_Y.loc[stressor, demand_in_region].sum()
        )
        table_total = (
            table.F.loc[stressor].sum() + table.F_Y.loc[stressor].sum()
            if stressor in table.stressors
            else np.nan
        )
        nested_total = (
            mrio.F.loc[stressor, in_table].sum()
            + mrio.F_Y.loc[stressor, mrio.Y.columns.get_level_values(0).isin(table.regions)].sum()
        )
        totals[label] = (host_total, table_total, nested_total)
    report = NestReport(
        region=region,
        country=str(host.countries[region]),
        regions=tuple(table.regions),
        balance=balance,
        emissions=source,
        exchange_rate=rate,
        estimate=bool(estimate),
        totals=pd.DataFrame.from_dict(totals, orient="index", columns=["host", "table", "nested"]),
        blocks=blocks,
        changes=pd.concat([changes_e, changes_m], ignore_index=True),
        notes=tuple(notes),
        concordance=joined_by,
    )
    return mrio.with_nesting(report)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def _all_or_none(column: pd.Series, table: str, name: str) -> bool:
    """Whether every row gives ``name``; refuse a mix of rows with and without it."""
    given = column != ""
    if given.any() and not given.all():
        raise LabelError(
            f"{table}: give a {name} on every row or on none ({int((~given).sum())} of "
            f"{len(column)} rows have none)"
        )
    return bool(given.any())


def _scaled(target: np.ndarray, total: float, what: str) -> np.ndarray:
    """The host's margins scaled to the table's total."""
    host_total = target.sum()
    if host_total == 0:
        if total == 0:
            return target
        raise BalanceError(
            f"nest: the host records no {what} but the table has {total:,.6g}; nothing to "
            f"spread them by"
        )
    return target * (total / host_total)


def _drop_unreachable(
    targets: np.ndarray,
    prior: np.ndarray,
    names: list[str],
    block: str,
    verb: str,
    region: str,
    notes: list[str],
) -> np.ndarray:
    """Zero the targets of users the prior cannot reach, rescaling the rest to the same total.

    A foreign user that buys from the region only products the table does not trade keeps
    nothing of its purchases; the report says which and how much.
    """
    empty = ~prior.any(axis=0) & (targets != 0)
    if not empty.any():
        return targets
    lost = targets[empty].sum()
    notes.append(
        f"{block}: {int(empty.sum())} foreign user(s) {verb} {region} in the host only in "
        f"products the table does not trade ({lost:,.6g} in all, e.g. "
        f"{format_labels([names[i] for i in np.flatnonzero(empty)], 3)}); their margins are "
        f"set to 0 and the others scaled up to keep the table's total"
    )
    kept = np.where(empty, 0.0, targets)
    if kept.sum() == 0:
        raise BalanceError(f"nest: no foreign user of the {block} block can be reached")
    return kept * (targets.sum() / kept.sum())


def _assemble(
    host: MRIO,
    table: SubnationalTable,
    region: str,
    in_region: np.ndarray,
    demand_in_region: np.ndarray,
    Zt: np.ndarray,
    Yt: np.ndarray,
    E: np.ndarray,
    M: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """The nested Z and Y, with the table's regions where ``region`` was."""
    producers, demand = host.producers, host.Y.columns
    first = int(np.flatnonzero(in_region)[0])
    first_demand = int(np.flatnonzero(demand_in_region)[0])
    foreign, foreign_demand = producers[~in_region], demand[~demand_in_region]
    before = int((~in_region[:first]).sum())
    before_demand = int((~demand_in_region[:first_demand]).sum())
    rows = foreign[:before].append(table.producers).append(foreign[before:])
    columns = (
        foreign_demand[:before_demand]
        .append(table.Y.columns)
        .append(foreign_demand[before_demand:])
    )
    n_f, n_t = len(foreign), len(table.producers)
    m_f, m_t = len(foreign_demand), len(table.Y.columns)
    # the region is one run of the host's rows (and of its final-demand columns), so the other
    # regions sit in two runs around the table's: slices, not fancy indexing (an n x n scatter
    # with index arrays costs seconds at 6,000 producers). Runs are (target, foreign, host).
    runs = _runs(before, n_t, n_f, int(in_region.sum()))
    demand_runs = _runs(before_demand, m_t, m_f, int(demand_in_region.sum()))
    t_run, td_run = slice(before, before + n_t), slice(before_demand, before_demand + m_t)

    Zh, Yh = host.Z.to_numpy(), host.Y.to_numpy()
    Z = np.zeros((n_f + n_t, n_f + n_t))
    Y = np.zeros((n_f + n_t, m_f + m_t))
    Z[t_run, t_run] = Zt
    Y[t_run, td_run] = Yt
    for target, source, host_rows in runs:
        Z[t_run, target] = E[:, source]
        Z[target, t_run] = M[source, :n_t]
        Y[target, td_run] = M[source, n_t:]
        for column_target, _, host_columns in runs:
            Z[target, column_target] = Zh[host_rows, host_columns]
        for column_target, _, host_columns in demand_runs:
            Y[target, column_target] = Yh[host_rows, host_columns]
    for target, source, _ in demand_runs:
        Y[t_run, target] = E[:, n_f:][:, source]
    return {
        "Z": pd.DataFrame(Z, index=rows, columns=rows),
        "Y": pd.DataFrame(Y, index=rows, columns=columns),
    }


def _runs(before: int, inserted: int, total: int, replaced: int) -> list[tuple[slice, ...]]:
    """The two runs of other regions' rows around the ``inserted`` new ones: (target in the
    nested system, source among the ``total`` other rows, source in the host, where the
    ``replaced`` rows of the region sat)."""
    return [
        (slice(0, before), slice(0, before), slice(0, before)),
        (
            slice(before + inserted, total + inserted),
            slice(before, total),
            slice(before + replaced, total + replaced),
        ),
    ]


def _emissions(
    host: MRIO,
    table: SubnationalTable,
    region: str,
    in_region: np.ndarray,
    demand_in_region: np.ndarray,
    W: np.ndarray,
    emissions: str | pd.Series,
    Zt: np.ndarray,
    Yt: np.ndarray,
    E: np.ndarray,
    M: np.ndarray,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """F and F_Y of the nested system: the host's abroad, the table's (or a split) inside."""
    producers, demand = host.producers, host.Y.columns
    F_host = host.F.loc[:, ~in_region]
    FY_host = host.F_Y.loc[:, ~demand_in_region]
    t_producers, t_demand = table.producers, table.Y.columns
    if isinstance(emissions, str) and emissions == "table":
        missing = host.stressors.difference(table.stressors)
        if len(missing):
            raise LabelError(
                f"nest: the table's satellite lacks the host's stressors {format_labels(missing)}"
                f"; add them, or split the host's emissions with emissions='output'"
            )
        for stressor in host.stressors:
            theirs, ours = table.units[stressor], host.units[stressor]
            if theirs and ours and theirs != ours:
                raise ValueCheckError(
                    f"nest: the table's {stressor} is in {theirs!r} and the host's in {ours!r}; "
                    f"convert the satellite to {ours!r}"
                )
        F_t = table.F.loc[host.stressors].to_numpy()
        FY_t = table.F_Y.loc[host.stressors].to_numpy()
        source = "table"
    else:
        x_t = Zt.sum(axis=1) + Yt.sum(axis=1) + E.sum(axis=1)
        t_sector = table.sectors.get_indexer(t_producers.get_level_values(1))
        size = W[t_sector] * x_t[:, None]  # (table producer, host sector)
        source = "output"
        if not isinstance(emissions, str):
            source = "weights"
            weights = _weights(emissions, t_producers)
            by_weight = W[t_sector] * weights[:, None]
            covered = by_weight.sum(axis=0) > 0
            size = np.where(covered[None, :], by_weight, size)
            host_sectors = producers[in_region].get_level_values(1)
            if (~covered).any():
                notes.append(
                    f"emissions: no weights for the host sectors "
                    f"{format_labels(host_sectors[~covered])}; split by output"
                )
        else:
            check_choice(emissions, "emissions", ("table", "output"))
        columns = size / np.where(size.sum(axis=0) > 0, size.sum(axis=0), 1.0)
        F_region = host.F.loc[:, in_region].to_numpy()
        lost = F_region[:, size.sum(axis=0) == 0].sum()
        if lost:
            notes.append(
                f"emissions: {lost:,.6g} of {region}'s emissions are in host sectors no "
                f"producer of the table maps to; they are left out"
            )
        F_t = F_region @ columns.T
        # final demand's own emissions by the size of final demand (domestic + imported)
        fd_size = Yt.sum(axis=0) + M[:, len(t_producers) :].sum(axis=0)
        host_categories = demand[demand_in_region].get_level_values(1)
        FY_region = host.F_Y.loc[:, demand_in_region].to_numpy()
        categories = t_demand.get_level_values(1)
        FY_t = np.zeros((len(host.stressors), len(t_demand)))
        matched = categories.isin(host_categories)
        for k, category in enumerate(host_categories):
            chosen = (categories == category) if matched.all() else np.ones(len(t_demand), bool)
            share = fd_size * chosen
            if share.sum() > 0:
                FY_t += FY_region[:, [k]] * (share / share.sum())[None, :]
    F = pd.concat([F_host, pd.DataFrame(F_t, index=host.stressors, columns=t_producers)], axis=1)
    F_Y = pd.concat([FY_host, pd.DataFrame(FY_t, index=host.stressors, columns=t_demand)], axis=1)
    return F, F_Y, source


def _weights(weights: pd.Series, producers: pd.MultiIndex) -> np.ndarray:
    if not isinstance(weights, pd.Series) or not isinstance(weights.index, pd.MultiIndex):
        raise LabelError(
            "emissions: give 'table', 'output' or a Series of weights indexed by the table's "
            "(region, sector)"
        )
    index = pd.MultiIndex.from_tuples([(str(a), str(b)) for a, b in weights.index])
    unknown = index.difference(producers)
    if len(unknown):
        raise LabelError(f"emissions: weights of unknown producers {format_labels(unknown)}")
    values = pd.Series(weights.to_numpy(dtype=float), index=index).groupby(level=[0, 1]).sum()
    if (values < 0).any() or not np.isfinite(values).all():
        raise ValueCheckError("emissions: weights must be finite and >= 0")
    return values.reindex(producers, fill_value=0.0).to_numpy()
