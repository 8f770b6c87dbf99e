"""Draws of the grid study's inputs, and the spread of every headline figure and cell.

``[uncertainty]`` (:class:`~gridfoot.config.UncertaintyConfig`) names the sources of
variation; :func:`compute_uncertainty` draws them ``draws`` times from ``seed`` and returns
an :class:`UncertaintyResult`: p05, p50 and p95 of every headline figure (land for each
share, top-area shares, Gini, destination and sector shares, hub totals), per-cell p05, p95
and coefficient of variation, the concentration curve's band, and the sensitivity table
(the headline figures under each fallback rule). The deterministic run stays the central
value.

What is built once and what each draw recomputes (DESIGN §4):

- once: the points' producer and cell, the fallback weights of every rule (one allocation
  per rule), the footprint's LU factorisation (for MRIO draws);
- per draw: the point weights (lognormal per inventory; Dirichlet shares within each
  producer, its total fixed), the rule, the MRIO's Z, Y and F (perturbed, output rebalanced,
  solved against the existing factorisation), then one O(points + fallback cells) map.

Every draw conserves mass: its map sums to its footprint's mapped total (the MRIO fixes the
producers' totals; the point draws only move tonnes among a producer's points). Per-cell
statistics are accumulated while streaming (:class:`~gridfoot.uncertainty.CellStatistics`);
no draw is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from gridfoot.errors import ConfigError

__all__ = ["UncertaintyResult", "compute_uncertainty"]

#: The largest hubs (of the deterministic run) whose totals are drawn.
HUBS = 10
#: Land shares at which the concentration curve's band is drawn (log-spaced: the top
#: fractions of a percent matter most).
CURVE_LAND = np.unique(np.concatenate([[0.0], np.geomspace(1e-4, 1.0, 120)]))


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """The spread of a grid study under ``[uncertainty]``'s draws.

    Attributes
    ----------
    draws, seed : int
    varies : tuple of str
        The sources of variation switched on, in words.
    figures : DataFrame
        One row per headline figure: ``figure`` (e.g. ``area_for_share 0.75``), ``central``
        (the deterministic run), ``p05``, ``p50``, ``p95``.
    cells : Dataset
        On the grid: ``total_p05``, ``total_p95``, ``total_cv`` (coefficient of variation,
        NaN where the mean is 0).
    curve : DataFrame
        The concentration curve's band: ``land_share``, ``central``, ``p05``, ``p50``,
        ``p95`` (share of the total held by the top ``land_share`` of land).
    sensitivity : DataFrame or None
        The headline figures (rows) under each fallback rule (columns), without draws.
    """

    draws: int
    seed: int
    varies: tuple[str, ...]
    figures: pd.DataFrame
    cells: xr.Dataset
    curve: pd.DataFrame
    sensitivity: pd.DataFrame | None

    def summary(self) -> dict[str, Any]:
        """The ``uncertainty`` entry of summary.json."""
        return {
            "draws": self.draws,
            "seed": self.seed,
            "varies": list(self.varies),
            "figures": {
                row.figure: {k: float(getattr(row, k)) for k in ("central", "p05", "p50", "p95")}
                for row in self.figures.itertuples()
            },
        }


# -- what is built once ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Plan:
    """Everything a draw reuses."""

    values: np.ndarray  # mapped total per producer (central)
    by_destination: np.ndarray  # producers x destinations (central)
    point_producer: np.ndarray  # placed points of producers placed on points
    point_cell: np.ndarray
    point_weight: np.ndarray
    point_cv: np.ndarray  # lognormal cv of each point's inventory
    on_points: np.ndarray  # producers placed on points (mask)
    fallbacks: list[sp.csr_matrix]  # per rule: P^T rows of fallback producers (cells x producers)
    land: np.ndarray  # land area per cell
    hub_labels: np.ndarray  # hub rank per cell (0: none)
    sectors: np.ndarray  # sector of each producer


def _fallback_matrix(allocation: Any) -> sp.csr_matrix:
    """The transposed weights of the producers placed by land or a proxy (cells x producers)."""
    spread = allocation.report["method"].isin(["land", "proxy"]).to_numpy(float)
    return (sp.diags(spread) @ allocation.weights).T.tocsr()


def _points_of(allocation: Any, sources: Any, config: Any) -> tuple[np.ndarray, ...]:
    """Producer, cell, weight and weight cv of every placed point of a producer placed on
    points (as :func:`gridfoot.spatial.allocate` places them)."""
    from gridfoot.spatial.allocate import _producer_of

    grid = allocation.grid
    points = sources.points
    x, y = sources.xy(grid.crs)
    cell = grid.cell_index(x, y)
    producer = _producer_of(points, allocation.regions, allocation.sectors)
    on_points = (allocation.report["method"] == "points").to_numpy()
    keep = (cell >= 0) & (producer >= 0)
    keep &= on_points[np.maximum(producer, 0)]
    weight = points["weight"].to_numpy(float)
    keep &= weight > 0
    inventories = (
        points["inventory"] if "inventory" in points else pd.Series("", index=points.index)
    )
    u = config.uncertainty
    cv = inventories.map(lambda name: u.weight_cv(name)).to_numpy(float)
    return producer[keep], cell[keep], weight[keep], cv[keep], on_points


def _build_plan(study: Any, rules: list[Any], sources: Any) -> _Plan:
    from gridfoot.hotspots.layers import land_area

    allocation = study.allocation
    mapped = study.driven.sum("category")
    per_producer = (
        mapped.reindex(region=allocation.regions, sector=allocation.sectors, fill_value=0.0)
        .transpose("region", "sector", "destination")
        .values.reshape(len(allocation.producers), -1)
    )
    producer, cell, weight, cv, on_points = _points_of(allocation, sources, study.config)
    fallbacks = [_fallback_matrix(a) for a in rules]
    return _Plan(
        values=per_producer.sum(axis=1),
        by_destination=per_producer,
        point_producer=producer,
        point_cell=cell,
        point_weight=weight,
        point_cv=cv,
        on_points=on_points,
        fallbacks=fallbacks,
        land=land_area(study.total).values.ravel(),
        hub_labels=study.hotspots.labels.values.ravel().astype(np.int64),
        sectors=allocation.producers.get_level_values("sector").to_numpy(),
    )


# -- one draw ----------------------------------------------------------------------------


def _layer(plan: _Plan, values: np.ndarray, weights: np.ndarray, rule: int) -> np.ndarray:
    """The mapped total of one draw: each producer's tonnes over its points by the drawn
    weights, and over its rule's fallback cells."""
    producer = plan.point_producer
    totals = np.bincount(producer, weights=weights, minlength=len(values))
    share = np.divide(
        weights, totals[producer], out=np.zeros_like(weights), where=totals[producer] > 0
    )
    cells = plan.land.size
    layer = np.bincount(plan.point_cell, weights=values[producer] * share, minlength=cells)
    return layer + plan.fallbacks[rule] @ values


def _headline(plan: _Plan, layer: np.ndarray, hot: Any) -> dict[str, Any]:
    """Every headline figure of one map (the curve is ranked once and read for all)."""
    from gridfoot._curve import land_at, share_at
    from gridfoot.hotspots.concentration import _curve, _gini

    land_share, value_share, total, _ = _curve(layer, plan.land)
    top, shares = np.asarray(hot.top_area, float), np.asarray(hot.shares, float)
    empty = land_share.size == 0
    held = np.full(top.size, np.nan) if empty else share_at(land_share, value_share, top)
    needed = np.full(shares.size, np.nan) if empty else land_at(land_share, value_share, shares)
    figures: dict[str, Any] = {
        f"share_in_top_area {a:g}": float(v) for a, v in zip(top, held, strict=True)
    }
    figures |= {f"area_for_share {q:g}": float(v) for q, v in zip(shares, needed, strict=True)}
    figures["gini"] = np.nan if empty else _gini(land_share, value_share)
    figures["total"] = float(total)
    hubs = np.bincount(plan.hub_labels, weights=layer)[1 : HUBS + 1]
    figures |= {f"hub {rank} total": float(t) for rank, t in enumerate(hubs, start=1)}
    figures["_curve"] = (
        np.full(CURVE_LAND.size, np.nan) if empty else share_at(land_share, value_share, CURVE_LAND)
    )
    return figures


def _shares(plan: _Plan, by_destination: np.ndarray, destinations: list[str]) -> dict[str, float]:
    """Destination and sector shares of the mapped total (they move only with the MRIO)."""
    total = by_destination.sum()
    out = {
        f"destination {d}": float(v / total)
        for d, v in zip(destinations, by_destination.sum(axis=0), strict=True)
    }
    codes, group = np.unique(plan.sectors, return_inverse=True)
    sectors = np.bincount(group, weights=by_destination.sum(axis=1), minlength=codes.size)
    out |= {f"sector {s}": float(v / total) for s, v in zip(codes, sectors, strict=True)}
    return out


# -- the draws ---------------------------------------------------------------------------


def _mrio_sampler(study: Any, plan: _Plan, rng: np.random.Generator) -> Any:
    """A function returning one MRIO draw's (producers x destinations) mapped footprint, or
    None when the MRIO does not vary."""
    cv = study.config.uncertainty.mrio
    if not any(cv.values()):
        return None
    from gridfoot.uncertainty import draw_mrio, perturb_rows

    mrio = study.inputs.mrio
    Z, Y = mrio.Z.to_numpy(float), mrio.Y.to_numpy(float)
    F = mrio.F.loc[study.inputs.stressor].to_numpy(float)
    fac = mrio.leontief
    rows = mrio.producers.get_indexer(study.allocation.producers)
    present = rows >= 0
    destinations = list(study.scope.destinations)
    # The footprint is linear in Y: one column per mapped destination and one for the rest
    # (which keeps x = Z·1 + Y·1 whole) cost a few solves instead of one per category.
    owner = mrio.Y.columns.get_level_values(0)
    columns = np.zeros((Y.shape[1], len(destinations) + 1))
    for j, d in enumerate(destinations):
        columns[np.flatnonzero(owner == d), j] = 1.0
    columns[columns.sum(axis=1) == 0, -1] = 1.0

    def sample() -> np.ndarray:
        # each product's final-demand total is the table's; its split is drawn
        demand = perturb_rows(rng, Y, cv["Y"]) if cv.get("Y") else Y
        drawn = draw_mrio(
            rng,
            Z,
            demand @ columns,
            F,
            fac,
            cv_Z=cv.get("Z", 0.0),
            cv_F=cv.get("F", 0.0),
            rows=rows[present],
        )
        out = np.zeros((len(rows), len(destinations)))
        out[present] = drawn.driven[:, :-1]
        return out

    return sample


def compute_uncertainty(study: Any) -> UncertaintyResult:
    """Draw ``[uncertainty]``'s sources of variation and summarise every figure.

    Parameters
    ----------
    study : GridStudy
        The deterministic run (:func:`gridfoot.workflows.grid.compute_grid`): its allocation,
        footprint and hubs are reused, and it is the central value.

    Returns
    -------
    UncertaintyResult
    """
    from gridfoot.uncertainty import CellStatistics, dirichlet_weights, interval, lognormal_factors

    config = study.config
    u = config.uncertainty
    if config.downscale.mode != "mrio":
        raise ConfigError(
            "uncertainty: draws need downscale.mode = 'mrio' (in inventory mode the points' "
            "own emissions are the input; drawing them is not built yet)"
        )
    needed = CellStatistics.bytes_needed(study.allocation.grid.size, u.draws, (0.05, 0.95))
    budget = config.dask.memory_budget_bytes
    if budget is not None and needed > budget:
        from gridfoot.errors import MemoryBudgetError

        raise MemoryBudgetError(
            f"uncertainty: the per-cell statistics of {u.draws} draws need {needed / 2**20:,.0f} "
            f"MiB, more than dask.memory_budget ({budget / 2**20:,.0f} MiB)"
        )
    alternatives = list(u.fallbacks)
    mapped = _mapped(study)  # once: a national run has a million points
    allocations = [study.allocation]
    allocations += [_allocate_with(study, rule, mapped) for rule in alternatives]
    plan = _build_plan(study, allocations, mapped)
    rng = np.random.default_rng(u.seed)
    sample_mrio = _mrio_sampler(study, plan, rng)
    destinations = list(study.scope.destinations)
    cells = CellStatistics(plan.land.shape, u.draws, quantiles=(0.05, 0.95))
    records: list[dict[str, float]] = []
    curves = []
    with _blas_threads(study.inputs.mrio):
        for _ in range(u.draws):
            by_destination = plan.by_destination if sample_mrio is None else sample_mrio()
            values = by_destination.sum(axis=1)
            weights = plan.point_weight
            if np.any(plan.point_cv > 0):
                weights = weights * lognormal_factors(rng, weights.size, plan.point_cv)
            if u.shares is not None:
                weights = dirichlet_weights(
                    rng, weights, plan.point_producer, u.shares, per_point=True
                )
            rule = 1 + int(rng.integers(len(alternatives))) if alternatives else 0
            layer = _layer(plan, values, weights, rule)
            cells.add(layer)
            figures = _headline(plan, layer, config.hotspots)
            curves.append(figures.pop("_curve"))
            records.append(figures | _shares(plan, by_destination, destinations))
    central = _headline(plan, study.total.values.ravel(), config.hotspots)
    central_curve = central.pop("_curve")
    central |= _shares(plan, plan.by_destination, destinations)
    draws = pd.DataFrame(records)
    rows = []
    for figure in central:
        spread = interval(draws[figure].to_numpy(float), (0.05, 0.5, 0.95))
        rows.append({"figure": figure, "central": central[figure], **spread})
    band = np.quantile(np.stack(curves), (0.05, 0.5, 0.95), axis=0)
    grid = study.allocation.grid
    shape = grid.shape
    p05, p95 = cells.quantile(0.05), cells.quantile(0.95)
    units = study.total.attrs.get("units")
    layers = xr.Dataset(
        {
            "total_p05": grid.wrap(p05.reshape(shape), name="total_p05", units=units),
            "total_p95": grid.wrap(p95.reshape(shape), name="total_p95", units=units),
            "total_cv": grid.wrap(cells.cv.reshape(shape), name="total_cv", units="1"),
        }
    )
    sensitivity = None
    if alternatives:
        run_rule = config.downscale.rules["default"].label
        sensitivity = _sensitivity(plan, alternatives, config.hotspots, run_rule)
    return UncertaintyResult(
        draws=u.draws,
        seed=u.seed,
        varies=tuple(u.varies),
        figures=pd.DataFrame(rows),
        cells=layers,
        curve=pd.DataFrame(
            {
                "land_share": CURVE_LAND,
                "central": central_curve,
                "p05": band[0],
                "p50": band[1],
                "p95": band[2],
            }
        ),
        sensitivity=sensitivity,
    )


#: Below this many producers the MRIO draws' solves run on one BLAS thread: for a small
#: system the threads' start-up costs 25 times the solve (216 producers: 8 ms against 0.3).
SMALL_SYSTEM = 1_000


def _blas_threads(mrio: Any) -> Any:
    """One BLAS thread for the draws of a small MRIO, else BLAS's own choice."""
    import contextlib

    if len(mrio.producers) >= SMALL_SYSTEM:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def _mapped(study: Any) -> Any:
    """The point sources of the mapped producers."""
    from gridfoot.workflows.grid_inputs import _sources_in_scope

    return _sources_in_scope(study.inputs.sources, study.scope)


def _allocate_with(study: Any, rule: Any, mapped: Any) -> Any:
    """The study's allocation of the ``mapped`` sources with ``rule`` as the default
    fallback rule."""
    import warnings

    from gridfoot.spatial import allocate
    from gridfoot.workflows.grid_inputs import proxy_layer

    inputs = study.inputs
    default = proxy_layer(rule, inputs.grid, inputs.sources, "uncertainty.fallbacks")
    proxies = {**inputs.proxies, None: default}
    with warnings.catch_warnings():  # the run has already said what it has to say
        warnings.simplefilter("ignore")
        return allocate(
            mapped,
            inputs.grid,
            study.footprint.sel(region=list(study.scope.regions), sector=list(study.scope.sectors)),
            mode="mrio",
            stressor=inputs.stressor,
            zones=inputs.coverage,
            proxy=proxies,
            invalid="raise",
            unplaced="warn",
        )


def _sensitivity(plan: _Plan, alternatives: list[Any], hot: Any, run_rule: str) -> pd.DataFrame:
    """The headline figures under the run's rule and each alternative, without draws."""
    columns = {}
    for index, rule in enumerate([f"the run's rules (default: {run_rule})", *alternatives]):
        layer = _layer(plan, plan.values, plan.point_weight, index)
        figures = _headline(plan, layer, hot)
        figures.pop("_curve")
        name = rule if isinstance(rule, str) else f"default: {rule.label}"
        columns[name] = {k: v for k, v in figures.items() if not k.startswith("hub ")}
    table = pd.DataFrame(columns)
    table.index.name = "figure"
    return table.reset_index()
