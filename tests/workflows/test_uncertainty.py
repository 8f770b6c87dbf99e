"""Uncertainty draws of the sample's run: every draw conserves mass, the band closes when
nothing varies, the same seed gives the same figures, and the outputs are written."""

from __future__ import annotations

import dataclasses
import json
import tomllib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gridfoot.workflows.uncertainty as uncertainty_module
from gridfoot.config import RunConfig, UncertaintyConfig
from gridfoot.datasets import sample_data_dir
from gridfoot.errors import ConfigError
from gridfoot.workflows import compute_grid, load_inputs, run_grid, scope
from gridfoot.workflows.uncertainty import compute_uncertainty


def _config(**uncertainty) -> RunConfig:
    sample = sample_data_dir()
    data = tomllib.loads((sample / "gridfoot.toml").read_text())
    data["output"] = {"maps": ["png"], "cube": False}
    if uncertainty:
        data["uncertainty"] = uncertainty
    return RunConfig.from_mapping(data, base_dir=sample)


@pytest.fixture(scope="module")
def sample_study():
    config = _config()
    inputs = load_inputs(config)
    return compute_grid(config, inputs, scope(config, inputs.mrio, inputs.boundaries))


def _with(study, **uncertainty):
    u = UncertaintyConfig(**uncertainty)
    return dataclasses.replace(study, config=dataclasses.replace(study.config, uncertainty=u))


def test_every_draw_puts_the_mapped_total_on_the_grid(sample_study, monkeypatch):
    """Point draws move tonnes among a producer's points and the fallback rule moves them
    within a region; the MRIO draws change the total, and each map holds its own draw's."""
    drawn_maps = []  # (map, total) of each draw: one append, whichever thread draws
    layer = uncertainty_module._layer

    def recorded(plan, values, weights, rule):
        result = layer(plan, values, weights, rule)
        placed = plan.on_points | (np.asarray(plan.fallbacks[rule].sum(axis=0)).ravel() > 0)
        drawn_maps.append((result, values[placed].sum()))
        return result

    monkeypatch.setattr(uncertainty_module, "_layer", recorded)
    study = _with(
        sample_study,
        draws=12,
        weights=0.5,
        shares=5.0,
        fallbacks=tuple(_rules("land", "firms")),
        mrio={"Z": 0.1, "Y": 0.1, "F": 0.1},
    )
    result = compute_uncertainty(study)
    assert len(drawn_maps) >= 12
    for drawn, total in drawn_maps:
        assert drawn.min() >= 0
        assert drawn.sum() == pytest.approx(total, rel=1e-9)
    assert len({round(t, 3) for _, t in drawn_maps}) > 1  # the MRIO did vary
    assert result.figures.set_index("figure").loc["total", "p05"] < float(study.total.sum())


def test_the_band_closes_on_the_central_value_when_nothing_varies(sample_study):
    result = compute_uncertainty(_with(sample_study, draws=3))
    figures = result.figures.set_index("figure")
    for column in ("p05", "p50", "p95"):
        np.testing.assert_allclose(figures[column], figures["central"], rtol=1e-9, atol=1e-12)
    total = sample_study.total.values
    np.testing.assert_allclose(result.cells["total_p05"].values, total, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result.cells["total_p95"].values, total, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result.curve["p05"], result.curve["central"], atol=1e-12)


def test_draws_are_reproducible_by_seed(sample_study):
    first = compute_uncertainty(_with(sample_study, draws=5, weights=0.3, seed=3))
    again = compute_uncertainty(_with(sample_study, draws=5, weights=0.3, seed=3))
    other = compute_uncertainty(_with(sample_study, draws=5, weights=0.3, seed=4))
    pd.testing.assert_frame_equal(first.figures, again.figures)
    assert not first.figures.equals(other.figures)


EVERY_SOURCE = {
    "weights": 0.3,
    "shares": 50.0,
    "fallbacks": ("land", "firms"),
    "mrio": {"Z": 0.05, "Y": 0.05, "F": 0.05},
}


def _every_source(study, draws, seed=42):
    sources = dict(EVERY_SOURCE, fallbacks=tuple(_rules(*EVERY_SOURCE["fallbacks"])))
    return _with(study, draws=draws, seed=seed, **sources)


def _assert_identical(first, second):
    pd.testing.assert_frame_equal(first.figures, second.figures, check_exact=True)
    pd.testing.assert_frame_equal(first.curve, second.curve, check_exact=True)
    for name in first.cells:
        np.testing.assert_array_equal(first.cells[name].values, second.cells[name].values)


def test_the_batches_give_the_same_results_on_every_scheduler(sample_study, monkeypatch):
    """Batches of 4 draws (3 for 11 draws), each a dask task with its own random stream:
    run one after the other in this thread, or two at a time on threads, the figures, the
    curve and every cell are the same to the bit, and again with the same seed."""
    import threading

    import dask

    monkeypatch.setattr(uncertainty_module, "BATCH", 4)
    ran_on = []  # (thread, draws) of every batch
    batch = uncertainty_module._draw_batch

    def recorded(plan, sampler, settings, seed, count):
        ran_on.append((threading.current_thread().name, count))
        return batch(plan, sampler, settings, seed, count)

    monkeypatch.setattr(uncertainty_module, "_draw_batch", recorded)
    study = _every_source(sample_study, draws=11)
    results = {}
    for scheduler in ("synchronous", "threads", "threads"):
        ran_on.clear()
        with dask.config.set(scheduler=scheduler, num_workers=2):
            results.setdefault(scheduler, []).append(compute_uncertainty(study))
        assert sorted(count for _, count in ran_on) == [3, 4, 4]
        threads = {name for name, _ in ran_on}
        if scheduler == "synchronous":
            assert threads == {threading.current_thread().name}
        else:
            assert threading.current_thread().name not in threads
    (once,), (threaded, again) = results["synchronous"], results["threads"]
    _assert_identical(once, threaded)
    _assert_identical(threaded, again)
    other = compute_uncertainty(_every_source(sample_study, draws=11, seed=43))
    assert not other.figures.equals(once.figures)


def test_the_batches_solve_on_one_blas_thread_wherever_they_run(sample_study, monkeypatch):
    """The sample's MRIO is small: its draws' solves run on one BLAS thread in every task,
    also after this thread set and restored a limit of its own (OpenBLAS then ignores
    another thread setting one), and the setting is given back afterwards."""
    import dask
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    before = blas_threads()
    seen = []
    draw = uncertainty_module._MrioSampler.draw

    def recorded(self, rng):
        seen.append(blas_threads())
        return draw(self, rng)

    monkeypatch.setattr(uncertainty_module._MrioSampler, "draw", recorded)
    monkeypatch.setattr(uncertainty_module, "BATCH", 3)
    with threadpool_limits(1, user_api="blas"):
        pass
    study = _with(sample_study, draws=6, mrio={"Z": 0.05})
    for scheduler in ("threads", "synchronous"):
        with dask.config.set(scheduler=scheduler, num_workers=2):
            compute_uncertainty(study)
    assert len(seen) == 12 and all(threads == {1} for threads in seen), seen
    assert blas_threads() == before


def test_the_memory_check_counts_the_batches_in_flight(sample_study, monkeypatch):
    """Batches running side by side hold statistics of their own besides the merged ones:
    a budget the merged statistics and one batch's fit in is enough one batch at a time,
    not two at a time."""
    import dask

    from gridfoot.errors import MemoryBudgetError
    from gridfoot.uncertainty import CellStatistics

    monkeypatch.setattr(uncertainty_module, "BATCH", 4)
    study = _with(sample_study, draws=12, weights=0.3)
    each = CellStatistics.bytes_needed(study.allocation.grid.size, 12, (0.05, 0.95))
    budget = f"{2.5 * each / 2**20:.3f} MiB"
    config = study.config
    study = dataclasses.replace(
        study,
        config=dataclasses.replace(
            config, dask=dataclasses.replace(config.dask, memory_budget=budget)
        ),
    )
    with dask.config.set(scheduler="synchronous"):
        compute_uncertainty(study)
    with (
        dask.config.set(scheduler="threads", num_workers=2),
        pytest.raises(MemoryBudgetError, match=r"3 batch\(es\) of up to 4, 2 at once") as error,
    ):
        compute_uncertainty(study)
    assert "hold 4 sets of per-cell statistics" in str(error.value)
    assert "the merged ones and the batches' own in flight" in str(error.value)


def test_each_point_draws_its_inventorys_weight_cv(sample_study):
    """The sample's points are all of the inventory "firms": each draws its cv."""
    for weights, expected in (({"firms": 0.4}, 0.4), (0.25, 0.25), ({"firms": 0.0}, 0.0)):
        study = _with(sample_study, draws=2, weights=weights)
        mapped = uncertainty_module._mapped(study)
        *_, cv, _ = uncertainty_module._points_of(study.allocation, mapped, study.config)
        assert cv.size > 0 and (cv == expected).all(), weights


def test_shares_among_points_keep_each_producers_total(sample_study):
    """Dirichlet shares only: every producer keeps its tonnes, so every draw's total is the
    central run's; where they lie (and so the land holding 75%) moves."""
    result = compute_uncertainty(_with(sample_study, draws=20, shares=2.0))
    figures = result.figures.set_index("figure")
    assert figures.loc["total", "p05"] == pytest.approx(figures.loc["total", "central"])
    assert figures.loc["total", "p95"] == pytest.approx(figures.loc["total", "central"])
    spread = figures.loc["area_for_share 0.75", "p95"] - figures.loc["area_for_share 0.75", "p05"]
    assert spread > 0


def test_the_sensitivity_table_gives_each_rule_side_by_side(sample_study):
    result = compute_uncertainty(
        _with(sample_study, draws=2, fallbacks=tuple(_rules("land", "firms")))
    )
    table = result.sensitivity.set_index("figure")
    run = "the run's rules (default: land)"
    assert list(table.columns) == [run, "default: land", "default: points of firms"]
    # the sample's run spreads the rest over land: its figures are the land column's
    np.testing.assert_allclose(table[run], table["default: land"], rtol=1e-12)
    assert (
        table.loc["area_for_share 0.75", "default: points of firms"]
        < table.loc["area_for_share 0.75", "default: land"]
    )
    # every rule places every tonne
    np.testing.assert_allclose(table.loc["total"], float(sample_study.total.sum()), rtol=1e-12)


def test_a_run_writes_the_intervals(tmp_path):
    config = _config(draws=4, weights=0.3, fallbacks=["land", "firms"])
    run_grid(config, tmp_path / "out", progress=False)
    out = tmp_path / "out"
    for name in ("total_p05", "total_p95", "total_cv"):
        assert (out / "geotiff" / f"{name}.tif").is_file()
    summary = json.loads((out / "summary.json").read_text())["results"]["uncertainty"]
    assert summary["draws"] == 4 and "area_for_share 0.75" in summary["figures"]
    assert set(summary["varies"]) == {"point weights", "the fallback rule"}
    assert (out / "sensitivity.csv").is_file() and (out / "concentration_band.csv").is_file()
    page = (out / "report.html").read_text()
    assert "5-95% of the draws" in page and "Uncertainty" in page


def test_draws_in_inventory_mode_are_refused(sample_study):
    study = _with(sample_study, draws=2, weights=0.3)
    study = dataclasses.replace(
        study,
        config=dataclasses.replace(
            study.config, downscale=dataclasses.replace(study.config.downscale, mode="inventory")
        ),
    )
    with pytest.raises(ConfigError, match="mode = 'mrio'"):
        compute_uncertainty(study)


def _rules(*texts):
    from gridfoot.config import ProxyRule

    return [ProxyRule(text) for text in texts]


@given(
    n_producers=st.integers(1, 6),
    n_points=st.integers(0, 25),
    cells=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_one_draws_map_holds_every_placed_producers_tonnes(n_producers, n_points, cells, seed):
    """Whatever the weights, the points and the fallback weights, a draw's map sums to the
    tonnes of the producers it places (on points, or by a fallback row summing to 1)."""
    import scipy.sparse as sp

    from gridfoot.uncertainty import dirichlet_weights, lognormal_factors

    rng = np.random.default_rng(seed)
    producer = rng.integers(0, n_producers, n_points)
    weight = rng.uniform(0.1, 5.0, n_points)
    on_points = np.bincount(producer, minlength=n_producers) > 0
    fallback = rng.uniform(0, 1, (n_producers, cells)) * (rng.uniform(size=(n_producers, 1)) > 0.3)
    fallback[on_points] = 0
    sums = fallback.sum(axis=1, keepdims=True)
    fallback = np.divide(fallback, sums, out=np.zeros_like(fallback), where=sums > 0)
    plan = uncertainty_module._Plan(
        values=rng.uniform(0, 10, n_producers),
        by_destination=np.zeros((n_producers, 1)),
        point_producer=producer,
        point_cell=rng.integers(0, cells, n_points),
        point_weight=weight,
        point_cv=np.full(n_points, 0.5),
        on_points=on_points,
        fallbacks=[sp.csr_matrix(fallback.T)],
        land=np.ones(cells),
        hub_labels=np.zeros(cells, dtype=np.int64),
        sectors=np.array(["S"] * n_producers),
    )
    drawn = weight * lognormal_factors(rng, n_points, 0.5)
    drawn = dirichlet_weights(rng, drawn, producer, 3.0, per_point=True)
    layer = uncertainty_module._layer(plan, plan.values, drawn, 0)
    placed = on_points | (fallback.sum(axis=1) > 0)
    assert layer.min() >= 0
    assert layer.sum() == pytest.approx(plan.values[placed].sum(), rel=1e-12, abs=1e-12)


def test_validate_reports_the_statistics_the_draws_hold_at_once():
    """The dry run names the memory the run's own check counts: the merged statistics and
    each batch's in flight (60 draws: 3 batches, 2 at once on two threads, 4 sets)."""
    import dask

    from gridfoot.uncertainty import CellStatistics
    from gridfoot.workflows.grid_inputs import validate

    config = _config(draws=60, weights=0.3)
    cells = load_inputs(config).grid.size
    each = CellStatistics.bytes_needed(cells, 60, (0.05, 0.95))
    with dask.config.set(scheduler="threads", num_workers=2):
        line = next(x for x in validate(config) if x.startswith("uncertainty:"))
    assert f"per-cell statistics {4 * each / 2**20:,.1f} MiB (4 set(s) held at once" in line
    with dask.config.set(scheduler="synchronous"):
        line = next(x for x in validate(config) if x.startswith("uncertainty:"))
    assert "(2 set(s) held at once" in line  # one batch at a time: the merged, the running
