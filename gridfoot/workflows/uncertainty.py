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

Where the draws run: in batches of :data:`BATCH` draws, one dask task each, on the active
scheduler (:func:`gridfoot.workflows.scheduler.dask_scheduler`: dask's threads by default,
the workers of a distributed Client when one is active). Batch ``i`` draws from its own
random stream, ``SeedSequence(seed).spawn(batches)[i]``, and returns its own per-cell
statistics, headline figures and curves; the batches are merged in a fixed chain
(:meth:`~gridfoot.uncertainty.CellStatistics.merge`), so the results depend on ``draws``
and ``seed`` alone, bit for bit, whatever the scheduler and however many workers it has.
The plan (points, producers, fallback weights) and the MRIO's Z, Y, F and LU factor are one
key each of the graph, which every batch reads: a worker receives them once. The memory
check before the draws counts the statistics held at once: the merged ones and each batch's
in flight. Two limits of the libraries are dealt with in the batches: BLAS runs on one
thread for a small MRIO (and shares the cores among batches for a large one), and each batch
solves with its own copy of the LU factor's pivots, which scipy's solver shifts in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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
    # once per inventory, not per point (a million points: a second of Python calls)
    codes, names = pd.factorize(inventories, use_na_sentinel=False)
    cv = np.array([u.weight_cv(name) for name in names], dtype=float)[codes]
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

#: Draws per batch, one dask task each. The batches and their random streams depend on
#: ``draws`` alone, never on the scheduler or its workers, so every scheduler gives the same
#: results bit for bit. 25 draws of a national run are seconds of work, against a tenth of a
#: second to merge a batch's statistics; 200 draws make 8 batches, enough for 8 workers.
BATCH = 25
#: The per-cell quantiles kept.
QUANTILES = (0.05, 0.95)
#: Below this many producers the MRIO draws' solves run on one BLAS thread: for a small
#: system the threads' start-up costs 25 times the solve (216 producers: 8 ms against 0.3).
SMALL_SYSTEM = 1_000


def _batches(draws: int) -> list[int]:
    """The draws of each batch: :data:`BATCH` each, the rest in the last."""
    full, rest = divmod(draws, BATCH)
    return [BATCH] * full + ([rest] if rest else [])


@dataclass(frozen=True, eq=False)
class _MrioSampler:
    """The MRIO's flows, demand, emissions and LU factor, from which a draw's mapped
    footprint is solved; built once and shared by every batch."""

    Z: np.ndarray
    Y: np.ndarray
    F: np.ndarray
    fac: Any  # LeontiefFactor of the unperturbed system
    rows: np.ndarray  # the mapped producers' rows in the MRIO, where present
    present: np.ndarray  # mapped producers that are in the MRIO (mask)
    columns: np.ndarray  # demand columns -> mapped destinations, and the rest last
    cv: dict[str, float]

    @property
    def small(self) -> bool:
        """A system small enough that one BLAS thread solves it fastest."""
        return self.fac.size < SMALL_SYSTEM

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """One draw's mapped footprint (producers x destinations)."""
        from gridfoot.uncertainty import draw_mrio, perturb_rows

        cv = self.cv
        # each product's final-demand total is the table's; its split is drawn
        demand = perturb_rows(rng, self.Y, cv["Y"]) if cv.get("Y") else self.Y
        drawn = draw_mrio(
            rng,
            self.Z,
            demand @ self.columns,
            self.F,
            self.fac,
            cv_Z=cv.get("Z", 0.0),
            cv_F=cv.get("F", 0.0),
            rows=self.rows,
        )
        out = np.zeros((self.present.size, self.columns.shape[1] - 1))
        out[self.present] = drawn.driven[:, :-1]
        return out


def _mrio_sampler(study: Any) -> _MrioSampler | None:
    """What an MRIO draw needs, or None when the MRIO does not vary."""
    cv = study.config.uncertainty.mrio
    if not any(cv.values()):
        return None
    mrio = study.inputs.mrio
    rows = mrio.producers.get_indexer(study.allocation.producers)
    destinations = list(study.scope.destinations)
    Y = mrio.Y.to_numpy(float)
    # The footprint is linear in Y: one column per mapped destination and one for the rest
    # (which keeps x = Z·1 + Y·1 whole) cost a few solves instead of one per category.
    owner = mrio.Y.columns.get_level_values(0)
    columns = np.zeros((Y.shape[1], len(destinations) + 1))
    for j, d in enumerate(destinations):
        columns[np.flatnonzero(owner == d), j] = 1.0
    columns[columns.sum(axis=1) == 0, -1] = 1.0
    return _MrioSampler(
        Z=mrio.Z.to_numpy(float),
        Y=Y,
        F=mrio.F.loc[study.inputs.stressor].to_numpy(float),
        fac=mrio.leontief,
        rows=rows[rows >= 0],
        present=rows >= 0,
        columns=columns,
        cv=dict(cv),
    )


@dataclass(frozen=True)
class _Settings:
    """What a batch reads besides the plan and the MRIO (small: copied into every task)."""

    draws: int  # of the whole run: each batch's statistics keep the order statistics it needs
    alternatives: int  # fallback rules drawn among (0: the run's rules only)
    shares: float | None
    hot: Any  # HotspotsConfig: the headline figures' shares and areas
    destinations: tuple[str, ...]
    blas: int | None  # BLAS threads while a batch runs (None: as they are)


@dataclass(eq=False)
class _Draws:
    """The draws of one batch, or of several merged: per-cell statistics, streamed; each
    draw's headline figures and concentration curve, in full (a few dozen numbers each)."""

    cells: Any  # CellStatistics
    records: list[dict[str, float]]
    curves: np.ndarray  # draws x CURVE_LAND


def _draw_batch(
    plan: _Plan,
    sampler: _MrioSampler | None,
    settings: _Settings,
    seed: np.random.SeedSequence,
    count: int,
) -> _Draws:
    """``count`` draws from the batch's own random stream ``seed`` (one dask task)."""
    from gridfoot.uncertainty import CellStatistics, dirichlet_weights, lognormal_factors

    rng = np.random.default_rng(seed)
    cells = CellStatistics(plan.land.shape, settings.draws, quantiles=QUANTILES)
    records: list[dict[str, float]] = []
    curves = []
    vary_weights = bool(np.any(plan.point_cv > 0))
    with _BLAS(settings.blas):
        for _ in range(count):
            by_destination = plan.by_destination if sampler is None else sampler.draw(rng)
            values = by_destination.sum(axis=1)
            weights = plan.point_weight
            if vary_weights:
                weights = weights * lognormal_factors(rng, weights.size, plan.point_cv)
            if settings.shares is not None:
                weights = dirichlet_weights(
                    rng, weights, plan.point_producer, settings.shares, per_point=True
                )
            rule = 1 + int(rng.integers(settings.alternatives)) if settings.alternatives else 0
            layer = _layer(plan, values, weights, rule)
            cells.add(layer)
            figures = _headline(plan, layer, settings.hot)
            curves.append(figures.pop("_curve"))
            records.append(figures | _shares(plan, by_destination, list(settings.destinations)))
    return _Draws(cells, records, np.stack(curves))


def _merge(total: _Draws, part: _Draws) -> _Draws:
    """One link of the chain of merges: ``part``'s draws added to ``total``'s.

    ``total``'s statistics are merged into in place: ``total`` is the previous link (or the
    first batch), which no other task reads, so the merged statistics are held once.
    """
    return _Draws(
        total.cells.merge(part.cells),
        total.records + part.records,
        np.concatenate([total.curves, part.curves]),
    )


def _run_batches(
    plan: _Plan, sampler: _MrioSampler | None, settings: _Settings, seed: int
) -> _Draws:
    """Every batch as a dask task on the active scheduler, merged in a fixed order.

    The plan and the MRIO enter the graph once each (one key every batch depends on: the
    graph holds them once, a distributed worker receives them once). The merges form a
    chain in batch order, so the floating-point sums of the mean and variance are the same
    whatever finishes first; a chain also lets each batch's statistics go as soon as they
    are merged.
    """
    import uuid

    import dask

    # keys of this call only: a shared cluster may run other studies' draws
    token = uuid.uuid4().hex
    shared_plan = dask.delayed(plan, name=f"uncertainty_plan-{token}", traverse=False)
    shared_sampler = (
        None
        if sampler is None
        else dask.delayed(sampler, name=f"uncertainty_mrio-{token}", traverse=False)
    )
    sizes = _batches(settings.draws)
    streams = np.random.SeedSequence(seed).spawn(len(sizes))
    batch = dask.delayed(_draw_batch, pure=True)
    tasks = [
        batch(
            shared_plan,
            shared_sampler,
            settings,
            stream,
            count,
            dask_key_name=f"uncertainty_draws-{index}-{token}",
        )
        for index, (stream, count) in enumerate(zip(streams, sizes, strict=True))
    ]
    total = tasks[0]
    merge = dask.delayed(_merge, pure=True)
    for index, task in enumerate(tasks[1:], start=1):
        total = merge(total, task, dask_key_name=f"uncertainty_merge-{index}-{token}")
    # set here too, not only in the tasks: threads of a local scheduler share this
    # process's setting, and OpenBLAS ignores a thread other than the main one setting it
    # once the main thread has (measured: OpenBLAS 0.3.30 and 0.3.31)
    with _BLAS(settings.blas):
        return total.compute()


def _in_flight(batches: int) -> tuple[int, dict[str, Any]]:
    """How many batches the active scheduler runs at once, and its description."""
    from gridfoot.workflows.scheduler import Scheduler

    where = Scheduler(None).describe()
    # local processes count as workers of one thread; everything else by its threads
    slots = max(where["threads"], where["workers"])
    return min(batches, slots), where


def _held(batches: int, in_flight: int) -> int:
    """Per-cell statistics held at once: the merged ones, one per batch running, and, when
    batches run side by side, one finished batch's waiting for (or in) its merge while the
    others run. A single batch's are the merged ones."""
    if batches == 1:
        return 1
    return 1 + in_flight + (1 if in_flight > 1 else 0)


def statistics_held(draws: int, cells: int) -> tuple[int, int]:
    """(sets, bytes) of per-cell statistics that ``draws`` draws on ``cells`` cells hold at
    once on the active scheduler (:func:`_held`): what the run checks against
    ``dask.memory_budget`` before the draws start, and ``gridfoot validate`` reports."""
    from gridfoot.uncertainty import CellStatistics

    batches = len(_batches(draws))
    held = _held(batches, _in_flight(batches)[0])
    return held, held * CellStatistics.bytes_needed(cells, draws, QUANTILES)


def _check_memory(config: Any, cells: int, batches: int, in_flight: int, where: dict) -> None:
    """Refuse draws whose per-cell statistics would not fit in ``dask.memory_budget``, counting
    every batch's own (each keeps the order statistics of the whole run's draws: they are
    merged, not appended) as :func:`_held` does."""
    from gridfoot.uncertainty import CellStatistics

    u = config.uncertainty
    budget = config.dask.memory_budget_bytes
    each = CellStatistics.bytes_needed(cells, u.draws, QUANTILES)
    held = _held(batches, in_flight)
    needed = each * held
    if budget is not None and needed > budget:
        from gridfoot.errors import MemoryBudgetError

        raise MemoryBudgetError(
            f"uncertainty: {u.draws} draws in {batches} batch(es) of up to {BATCH}, "
            f"{in_flight} at once ({where['ran_on']}), hold {held} sets of per-cell "
            f"statistics of {each / 2**20:,.0f} MiB (the merged ones and the batches' own in "
            f"flight): {needed / 2**20:,.0f} MiB, more than dask.memory_budget "
            f"({budget / 2**20:,.0f} MiB)"
        )


def _blas_limit(sampler: _MrioSampler | None, in_flight: int, where: dict) -> int | None:
    """BLAS threads for the batches' MRIO solves (None: leave them as they are).

    One for a small system (starting threads costs more than the solve). For a large one,
    the cores shared among the batches running side by side in this process; a distributed
    worker's own setting stays (dask's nanny starts worker processes with one BLAS thread:
    the workers' threads are the parallelism).
    """
    if sampler is None:
        return None
    if sampler.small:
        return 1
    if where["ran_on"] == "distributed" or in_flight < 2:
        return None
    import dask.system

    return max(1, dask.system.CPU_COUNT // in_flight)


class _BlasThreads:
    """Limits BLAS's threads while draws run in this process: set on the first entry,
    restored on the last exit.

    Entered by the caller around the whole computation (a local scheduler's threads are in
    its process) and by every batch (a distributed worker's process sets its own).
    threadpoolctl's limit is the process's, not a thread's: two batches on two threads that
    each set and restored their own would restore the setting under the other's solves (and
    could leave one thread behind for good). So the entries of a process share one limit,
    counted; the first one's holds until none is left.
    """

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._running = 0
        self._limits: Any = None

    @contextlib.contextmanager
    def __call__(self, threads: int | None) -> Iterator[None]:
        if threads is None:
            yield
            return
        with self._lock:
            if self._running == 0:
                from threadpoolctl import threadpool_limits

                self._limits = threadpool_limits(threads, user_api="blas")
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    self._limits.restore_original_limits()
                    self._limits = None


_BLAS = _BlasThreads()


def compute_uncertainty(study: Any) -> UncertaintyResult:
    """Draw ``[uncertainty]``'s sources of variation and summarise every figure.

    The draws run in batches of :data:`BATCH`, one dask task each, on the active scheduler
    (threads by default; a distributed Client's workers when one is active; see the module).

    Parameters
    ----------
    study : GridStudy
        The deterministic run (:func:`gridfoot.workflows.grid.compute_grid`): its allocation,
        footprint and hubs are reused, and it is the central value.

    Returns
    -------
    UncertaintyResult

    Raises
    ------
    ConfigError
        If the run is not in ``mrio`` mode.
    MemoryBudgetError
        If the per-cell statistics held at once exceed ``dask.memory_budget``.
    """
    from gridfoot.uncertainty import interval

    config = study.config
    u = config.uncertainty
    if config.downscale.mode != "mrio":
        raise ConfigError(
            "uncertainty: draws need downscale.mode = 'mrio' (in inventory mode the points' "
            "own emissions are the input; drawing them is not built yet)"
        )
    batches = len(_batches(u.draws))
    in_flight, where = _in_flight(batches)
    _check_memory(config, study.allocation.grid.size, batches, in_flight, where)
    alternatives = list(u.fallbacks)
    mapped = _mapped(study)  # once: a national run has a million points
    allocations = [study.allocation]
    allocations += [_allocate_with(study, rule, mapped) for rule in alternatives]
    plan = _build_plan(study, allocations, mapped)
    sampler = _mrio_sampler(study)
    destinations = list(study.scope.destinations)
    settings = _Settings(
        draws=u.draws,
        alternatives=len(alternatives),
        shares=u.shares,
        hot=config.hotspots,
        destinations=tuple(destinations),
        blas=_blas_limit(sampler, in_flight, where),
    )
    drawn = _run_batches(plan, sampler, settings, u.seed)
    cells = drawn.cells
    central = _headline(plan, study.total.values.ravel(), config.hotspots)
    central_curve = central.pop("_curve")
    central |= _shares(plan, plan.by_destination, destinations)
    draws = pd.DataFrame(drawn.records)
    rows = []
    for figure in central:
        spread = interval(draws[figure].to_numpy(float), (0.05, 0.5, 0.95))
        rows.append({"figure": figure, "central": central[figure], **spread})
    band = np.quantile(drawn.curves, (0.05, 0.5, 0.95), axis=0)
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
