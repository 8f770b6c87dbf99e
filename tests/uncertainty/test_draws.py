"""Lognormal factors and Dirichlet shares: known moments and quantiles with a seeded generator,
exact conservation of each producer's total, signs and zeros kept, reproducible from a seed."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from gridfoot.errors import ValueCheckError
from gridfoot.uncertainty.draws import dirichlet_weights, lognormal_factors, perturb, perturb_rows
from tests.strategies import mask, uniform

DRAWS = 20_000


def test_lognormal_factors_have_mean_one_and_the_log_sd_asked_for() -> None:
    cv = 0.3
    sigma = np.sqrt(np.log1p(cv**2))
    factors = lognormal_factors(np.random.default_rng(42), DRAWS, cv)
    assert factors.shape == (DRAWS,) and (factors > 0).all()
    # Standard errors of the estimates: cv / sqrt(n) for the mean of the factors,
    # sigma / sqrt(2 n) for the sample sd of their (normal) logarithms; 4 of them leave a
    # seeded test a margin that a wrong sigma (e.g. cv itself: 0.3 vs 0.294) would not meet
    # for the sd of the logs, nor a missing -sigma^2/2 (mean 1.044) for the mean.
    assert abs(factors.mean() - 1.0) < 4 * cv / np.sqrt(DRAWS)
    assert abs(np.log(factors).std(ddof=1) - sigma) < 4 * sigma / np.sqrt(2 * DRAWS)
    assert abs(factors.std(ddof=1) - cv) < 0.02  # the cv itself, loosely (heavy right tail)


def test_zero_cv_gives_exactly_ones_and_draws_nothing() -> None:
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(lognormal_factors(rng, (2, 3), 0.0), np.ones((2, 3)))
    # the generator was not advanced
    assert rng.random() == np.random.default_rng(3).random()


def test_cv_per_entry_broadcasts_and_zero_entries_stay_exact() -> None:
    factors = lognormal_factors(np.random.default_rng(0), (4, 2), np.array([0.0, 0.5]))
    np.testing.assert_array_equal(factors[:, 0], 1.0)
    assert (factors[:, 1] != 1.0).all()


@given(uniform((3, 4), -1e6, 1e6), mask((3, 4)), st.integers(0, 2**32 - 1))
def test_perturb_keeps_signs_and_zeros(values, keep, seed) -> None:
    values = values * keep
    result = perturb(np.random.default_rng(seed), values, 0.8)
    np.testing.assert_array_equal(np.sign(result), np.sign(values))
    np.testing.assert_array_equal(result == 0, values == 0)


def test_known_dirichlet_marginal_is_a_beta() -> None:
    # One producer of total T = 8 with two points of shares 0.25 and 0.75: with concentration
    # a = 10, point 0's share is Beta(a 0.25, a 0.75) = Beta(2.5, 7.5).
    alpha, share, total = 10.0, 0.25, 8.0
    # DRAWS copies of the producer in one call: independent draws, as many producers are
    weights = np.tile([2.0, 6.0], DRAWS)
    groups = np.repeat(np.arange(DRAWS), 2)
    new = dirichlet_weights(np.random.default_rng(20240611), weights, groups, alpha)
    shares = new[0::2] / total
    beta = scipy.stats.beta(alpha * share, alpha * (1 - share))
    variance = share * (1 - share) / (alpha + 1)
    assert beta.var() == pytest.approx(variance)
    # Standard errors: sd / sqrt(n) for the mean; variance * sqrt((excess kurtosis + 2) / n)
    # for the sample variance; sqrt(p (1 - p) / n) / pdf(x_p) for the p-quantile (asymptotic
    # normality of order statistics). Four standard errors each.
    n = shares.size
    assert abs(shares.mean() - share) < 4 * np.sqrt(variance / n)
    kurtosis = float(beta.stats(moments="k"))
    assert abs(shares.var(ddof=1) - variance) < 4 * variance * np.sqrt((kurtosis + 2) / n)
    for p in (0.05, 0.95):
        exact = beta.ppf(p)
        tolerance = 4 * np.sqrt(p * (1 - p) / n) / beta.pdf(exact)
        assert abs(np.quantile(shares, p) - exact) < tolerance, p


@st.composite
def two_producers(draw):
    n = draw(st.integers(1, 12))
    weights = draw(uniform(n, 0, 1e4)) * draw(mask(n))
    groups = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    return weights, groups


@given(two_producers(), st.sampled_from([1e-3, 0.5, 10.0, 1e4]), st.integers(0, 2**32 - 1))
def test_each_producers_total_is_conserved(case, concentration, seed) -> None:
    weights, groups = case
    rng = np.random.default_rng(seed)
    totals = np.bincount(groups, weights=weights, minlength=2)
    for _ in range(3):
        new = dirichlet_weights(rng, weights, groups, concentration)
        assert (new >= 0).all()
        np.testing.assert_array_equal(new[weights == 0], 0.0)
        np.testing.assert_allclose(
            np.bincount(groups, weights=new, minlength=2), totals, rtol=1e-12
        )
        for group in (0, 1):
            if (groups == group).sum() == 1:  # a single point keeps its weight exactly
                np.testing.assert_array_equal(new[groups == group], weights[groups == group])


def test_small_concentrations_do_not_lose_a_total() -> None:
    # concentration * share = 1e-6: plain Gamma draws would be 0 for every point of the group
    weights = np.full(5, 1.0)
    new = dirichlet_weights(np.random.default_rng(0), weights, np.zeros(5, dtype=int), 5e-6)
    assert new.sum() == pytest.approx(5.0, rel=1e-12)
    assert new.max() == pytest.approx(5.0, rel=1e-6)  # nearly all on one point, as expected


def test_vanishing_shares_neither_warn_nor_turn_nan() -> None:
    # concentration * share = 2e-311: ln(U) / a overflows to -inf (a Gamma draw of 0)
    weights = np.array([2.2e-308, 1.0, 0.0])
    new = dirichlet_weights(np.random.default_rng(0), weights, np.zeros(3, dtype=int), 1e-3)
    assert np.isfinite(new).all()
    assert new.sum() == pytest.approx(1.0, rel=1e-14)


def test_groups_of_total_zero_stay_zero_and_indices_may_skip() -> None:
    weights = np.array([0.0, 0.0, 4.0, 1.0])
    groups = np.array([3, 3, 7, 7])
    new = dirichlet_weights(np.random.default_rng(0), weights, groups, 2.0)
    np.testing.assert_array_equal(new[:2], 0.0)
    assert new[2:].sum() == pytest.approx(5.0, rel=1e-14)


def test_same_seed_same_draws() -> None:
    def run(seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [
            lognormal_factors(rng, 5, 0.2),
            perturb(rng, np.arange(-2.0, 3.0), 0.4),
            dirichlet_weights(rng, np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1]), 5.0),
        ]

    for first, second in zip(run(7), run(7), strict=True):
        np.testing.assert_array_equal(first, second)
    assert not np.array_equal(run(7)[0], run(8)[0])


@pytest.mark.parametrize("cv", [-0.1, np.nan, np.inf])
def test_bad_cv_is_refused(cv) -> None:
    with pytest.raises(ValueCheckError, match="coefficient of variation"):
        lognormal_factors(np.random.default_rng(0), 2, cv)


def test_bad_values_and_weights_are_refused() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueCheckError, match="NaN"):
        perturb(rng, np.array([1.0, np.nan]), 0.1)
    with pytest.raises(ValueCheckError, match="negative"):
        dirichlet_weights(rng, np.array([1.0, -1.0]), np.array([0, 0]), 1.0)
    with pytest.raises(ValueCheckError, match="integer"):
        dirichlet_weights(rng, np.array([1.0, 1.0]), np.array([0.0, 1.0]), 1.0)
    with pytest.raises(ValueCheckError, match="integer"):
        dirichlet_weights(rng, np.array([1.0, 1.0]), np.array([0, -1]), 1.0)
    with pytest.raises(ValueCheckError, match="same length"):
        dirichlet_weights(rng, np.array([1.0, 1.0]), np.array([0]), 1.0)
    for concentration in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueCheckError, match="concentration"):
            dirichlet_weights(rng, np.array([1.0]), np.array([0]), concentration)


def test_dirichlet_per_point_keeps_a_points_spread_whatever_the_group_size():
    """Equal shares: per point the share's cv is sqrt((n - 1) / (c n + 1)), about 1/sqrt(c)
    for any n; a group-wide concentration lets it grow like sqrt(n / c)."""
    rng = np.random.default_rng(5)
    c = 25.0
    for n in (4, 400):
        weights = np.ones(n)
        groups = np.zeros(n, dtype=int)
        draws = np.stack(
            [dirichlet_weights(rng, weights, groups, c, per_point=True) for _ in range(400)]
        )
        cv = draws.std(axis=0).mean() / draws.mean()
        expected = np.sqrt((n - 1) / (c * n + 1))
        assert cv == pytest.approx(expected, rel=0.15)
        np.testing.assert_allclose(draws.sum(axis=1), n, rtol=1e-12)
    wide = np.stack(
        [dirichlet_weights(rng, np.ones(400), np.zeros(400, dtype=int), c) for _ in range(200)]
    )
    assert wide.std(axis=0).mean() / wide.mean() > 3  # sqrt(399 / 26) = 3.9


@given(
    st.integers(1, 6),
    st.integers(1, 8),
    st.integers(0, 2**32 - 1),
    st.floats(0.0, 0.5),
)
def test_perturb_rows_keeps_every_rows_total_and_sign(rows, columns, seed, cv):
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(rows, columns)) * rng.integers(0, 2, size=(rows, columns))
    drawn = perturb_rows(np.random.default_rng(seed + 1), table, cv)
    np.testing.assert_allclose(drawn.sum(axis=1), table.sum(axis=1), atol=1e-12)
    assert np.all(np.sign(drawn) == np.sign(table))


def test_perturb_rows_keeps_a_near_cancelling_row_whole():
    """WIOD's LTU/sec19: purchases and a large inventory draw-down nearly cancel; drawn
    entrywise its total (and output) fell from 22 to 1.3."""
    table = np.array([[400.0, 300.0, -678.0]])
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert perturb_rows(rng, table, 0.05).sum() == pytest.approx(22.0, rel=1e-12)
