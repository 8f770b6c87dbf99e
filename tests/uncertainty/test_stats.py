"""Streamed per-cell statistics equal numpy's on the stacked draws, in a fraction of the memory;
scalar intervals; every refusal."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from gridfoot.errors import ValueCheckError
from gridfoot.uncertainty.stats import CellStatistics, interval
from tests.strategies import floats_between

QUANTILE_SETS = [
    (0.05, 0.95),
    (0.0, 1.0),
    (0.05, 0.5, 0.95),
    (0.1,),
    (0.0, 0.05, 0.1, 0.5, 0.95, 1.0),
    (0.07, 0.33, 0.77),  # (N - 1) q rounds above and below whole numbers
    (),
]


@st.composite
def stacked_draws(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    n = draw(st.integers(1, 60))
    # few distinct values: ties between draws are the hard case for the kept order statistics
    elements = st.one_of(floats_between(-1e3, 1e3), st.sampled_from([0.0, 1.0, -2.5]))
    return draw(arrays(np.float64, (n, *shape), elements=elements))


def _accumulate(stack: np.ndarray, quantiles) -> CellStatistics:
    stats = CellStatistics(stack.shape[1:], draws=stack.shape[0], quantiles=quantiles)
    for layer in stack:
        stats.add(layer)
    return stats


@given(stacked_draws(), st.sampled_from(QUANTILE_SETS))
def test_statistics_equal_numpy_on_the_stacked_draws(stack, quantiles) -> None:
    stats = _accumulate(stack, quantiles)
    assert stats.count == stack.shape[0]
    for q in quantiles:
        # the same order statistics and numpy's own interpolation: equal bit for bit
        np.testing.assert_array_equal(stats.quantile(q), np.quantile(stack, q, axis=0))
    np.testing.assert_array_equal(stats.minimum, stack.min(axis=0))
    np.testing.assert_array_equal(stats.maximum, stack.max(axis=0))
    scale = float(np.abs(stack).max()) + 1.0
    np.testing.assert_allclose(stats.mean, stack.mean(axis=0), rtol=1e-12, atol=1e-13 * scale)
    if stack.shape[0] > 1:
        expected = stack.std(axis=0, ddof=1)
        np.testing.assert_allclose(stats.std, expected, rtol=1e-9, atol=1e-12 * scale)
    else:
        assert np.isnan(stats.std).all()


@st.composite
def split_draws(draw):
    """Stacked draws, cut into parts (some empty) at any places, and an order of merging."""
    stack = draw(stacked_draws())
    n = stack.shape[0]
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=6)))
    bounds = [0, *cuts, n]
    parts = [stack[a:b] for a, b in itertools.pairwise(bounds)]
    tree = draw(st.booleans())  # pairwise, as a tree; or each part into the first in turn
    return stack, parts, tree


def _merged(parts, draws: int, quantiles, tree: bool) -> CellStatistics:
    shape = parts[0].shape[1:]
    stats = []
    for part in parts:
        one = CellStatistics(shape, draws=draws, quantiles=quantiles)
        for layer in part:
            one.add(layer)
        stats.append(one)
    while len(stats) > 1:
        if tree:
            pairs = [stats[i : i + 2] for i in range(0, len(stats), 2)]
            stats = [pair[0].merge(pair[1]) if len(pair) == 2 else pair[0] for pair in pairs]
        else:
            stats = [stats[0].merge(stats[1]), *stats[2:]]
    return stats[0]


@given(split_draws(), st.sampled_from(QUANTILE_SETS))
def test_parts_merged_equal_the_draws_taken_at_once(split, quantiles) -> None:
    """However the draws are split (batches of dask tasks) and merged, the quantiles, minimum
    and maximum are those of all draws at once, bit for bit, and numpy's; the mean and the
    standard deviation to rounding."""
    stack, parts, tree = split
    merged = _merged(parts, stack.shape[0], quantiles, tree)
    once = _accumulate(stack, quantiles)
    assert merged.count == once.count == stack.shape[0]
    for q in quantiles:
        np.testing.assert_array_equal(merged.quantile(q), once.quantile(q))
        np.testing.assert_array_equal(merged.quantile(q), np.quantile(stack, q, axis=0))
    np.testing.assert_array_equal(merged.minimum, stack.min(axis=0))
    np.testing.assert_array_equal(merged.maximum, stack.max(axis=0))
    scale = float(np.abs(stack).max()) + 1.0
    np.testing.assert_allclose(merged.mean, once.mean, rtol=1e-12, atol=1e-13 * scale)
    if stack.shape[0] > 1:
        np.testing.assert_allclose(merged.std, once.std, rtol=1e-12, atol=1e-12 * scale)
        np.testing.assert_allclose(
            merged.std, stack.std(axis=0, ddof=1), rtol=1e-9, atol=1e-12 * scale
        )


def test_merging_by_blocks_of_cells_keeps_every_cells_order_statistics(monkeypatch) -> None:
    """Merged buffers are partitioned a block of cells at a time; blocks that do not divide
    the cells change nothing."""
    import gridfoot.uncertainty.stats as stats_module

    monkeypatch.setattr(stats_module, "_MERGE_BLOCK", 7)
    stack = np.random.default_rng(5).normal(size=(40, 5, 6))
    merged = _merged([stack[:13], stack[13:31], stack[31:]], 40, (0.05, 0.5, 0.95), tree=False)
    for q in (0.05, 0.5, 0.95):
        np.testing.assert_array_equal(merged.quantile(q), np.quantile(stack, q, axis=0))


def test_a_merge_leaves_the_other_part_as_it_was() -> None:
    first, second = (CellStatistics(2, draws=4, quantiles=(0.25,)) for _ in range(2))
    first.add(np.array([1.0, 2.0]))
    for value in (3.0, 4.0, 5.0):
        second.add(np.array([value, -value]))
    before = (second.count, second.mean, second.minimum, second.maximum)
    assert first.merge(second) is first
    assert first.count == 4
    after = (second.count, second.mean, second.minimum, second.maximum)
    assert before[0] == after[0]
    for a, b in zip(before[1:], after[1:], strict=True):
        np.testing.assert_array_equal(a, b)


def test_merge_refusals() -> None:
    stats = CellStatistics(2, draws=3, quantiles=(0.05,))
    with pytest.raises(ValueCheckError, match="expected a CellStatistics"):
        stats.merge(np.zeros(2))
    for other in (
        CellStatistics(3, draws=3, quantiles=(0.05,)),
        CellStatistics(2, draws=4, quantiles=(0.05,)),
        CellStatistics(2, draws=3, quantiles=(0.1,)),
    ):
        with pytest.raises(ValueCheckError, match="share shape, draws and quantiles"):
            stats.merge(other)
    full = CellStatistics(2, draws=3, quantiles=(0.05,))
    for _ in range(2):
        stats.add(np.zeros(2))
        full.add(np.ones(2))
    with pytest.raises(ValueCheckError, match="2 \\+ 2 draws are more than the 3"):
        stats.merge(full)


def test_quantiles_hold_a_fraction_of_the_draws() -> None:
    cells, draws = 500, 200
    stats = CellStatistics((20, 25), draws=draws, quantiles=(0.05, 0.95))
    rng = np.random.default_rng(1)
    stack = rng.lognormal(size=(draws, 20, 25))
    for layer in stack:
        stats.add(layer)
    assert stats.nbytes == CellStatistics.bytes_needed(cells, draws, (0.05, 0.95))
    assert stats.nbytes < 0.15 * draws * cells * 8
    np.testing.assert_array_equal(stats.quantile(0.05), np.quantile(stack, 0.05, axis=0))
    np.testing.assert_array_equal(stats.quantile(0.95), np.quantile(stack, 0.95, axis=0))


def test_layers_kept_by_hand() -> None:
    # N = 200: q = 0.05 reads order statistics 9 and 10 (11 smallest), q = 0.95 reads 189
    # and 190 (11 largest); a median reads 99 and 100 (101 largest); 8 bytes each, plus a
    # one-byte position of the worst kept value per buffer
    assert CellStatistics.bytes_needed(1, 200, (0.05, 0.95)) == 8 * (11 + 11 + 2) + 2
    assert CellStatistics.bytes_needed(1, 200, (0.5,)) == 8 * (1 + 101 + 2) + 2
    # without quantiles one layer each end is kept: the minimum and the maximum
    assert CellStatistics.bytes_needed(3, 200, ()) == 3 * (8 * 4 + 2)


def test_cv_is_nan_where_the_mean_is_zero() -> None:
    stats = CellStatistics(3, draws=2, quantiles=())
    stats.add(np.array([1.0, 0.0, -1.0]))
    stats.add(np.array([3.0, 0.0, 1.0]))
    # cell 0: mean 2, std sqrt(2); cell 1: always 0; cell 2: mean 0 but spread
    cv = stats.cv
    assert cv[0] == pytest.approx(np.sqrt(2) / 2)
    assert np.isnan(cv[1]) and np.isnan(cv[2])


def test_statistics_may_be_read_before_all_draws_but_quantiles_not() -> None:
    stats = CellStatistics((1, 2), draws=3)
    stats.add(np.array([[1.0, 2.0]]))
    stats.add(np.array([[3.0, 2.0]]))
    np.testing.assert_array_equal(stats.mean, [[2.0, 2.0]])
    np.testing.assert_array_equal(stats.minimum, [[1.0, 2.0]])
    with pytest.raises(ValueCheckError, match="2 of 3 draws"):
        stats.quantile(0.05)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        (np.zeros(3), r"shape \(2,\)"),
        (np.array([1.0, np.nan]), "NaN or infinite"),
        (np.array([np.inf, 1.0]), "NaN or infinite"),
    ],
)
def test_bad_draws_are_refused(values, match) -> None:
    with pytest.raises(ValueCheckError, match=match):
        CellStatistics(2, draws=2).add(values)


def test_refusals() -> None:
    stats = CellStatistics(1, draws=1, quantiles=(0.05,))
    with pytest.raises(ValueCheckError, match="no draws"):
        stats.mean
    stats.add(np.array([1.0]))
    with pytest.raises(ValueCheckError, match="all 1 draws"):
        stats.add(np.array([2.0]))
    with pytest.raises(ValueCheckError, match="not asked for"):
        stats.quantile(0.95)
    assert stats.quantile(0.05) == 1.0
    with pytest.raises(ValueCheckError, match="draws"):
        CellStatistics(1, draws=0)
    with pytest.raises(ValueCheckError, match=r"\[0, 1\]"):
        CellStatistics(1, draws=5, quantiles=(1.5,))
    with pytest.raises(ValueCheckError, match="repeat"):
        CellStatistics(1, draws=5, quantiles=(0.5, 0.5))
    with pytest.raises(ValueCheckError, match="shape"):
        CellStatistics((2, -1), draws=5)


def test_interval_keys_and_values() -> None:
    samples = np.arange(1.0, 201.0)
    result = interval(samples)
    assert list(result) == ["p05", "p50", "p95"]
    assert result == {
        key: float(np.quantile(samples, q))
        for key, q in zip(result, [0.05, 0.5, 0.95], strict=True)
    }
    assert interval([2.0], (0.0, 1.0)) == {"p00": 2.0, "p100": 2.0}


def test_interval_refusals() -> None:
    with pytest.raises(ValueCheckError, match="no samples"):
        interval([])
    with pytest.raises(ValueCheckError, match="NaN"):
        interval([1.0, np.nan])
    with pytest.raises(ValueCheckError, match="repeated keys"):
        interval([1.0, 2.0], (0.051, 0.049))
