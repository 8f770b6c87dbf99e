"""GRAS against a published example, hand-checkable identities, random feasible problems, and
every refusal."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfoot.errors import BalanceError, ConfigError, ValueCheckError
from gridfoot.mrio.gras import GrasResult, gras
from tests.strategies import floats_between, mask, uniform

# The example of Junius & Oosterhaven (2003) as Temurshoev, Miller & Bouwmeester (2013) use it.
EXAMPLE_U = np.array([15.0, 26.0, -1.0])
EXAMPLE_V = np.array([9.0, 16.0, 17.0, -2.0])


def _limit(u: np.ndarray, v: np.ndarray, tolerance: float = 1e-10) -> float:
    """The bound gras promises on every margin gap: tolerance * max(1, largest |target|)."""
    return tolerance * max(1.0, float(np.abs(u).max(initial=0)), float(np.abs(v).max(initial=0)))


def _assert_balanced(result: GrasResult, prior, u, v) -> None:
    """Margins met to the promised bound, every sign and zero of the prior kept."""
    limit = _limit(u, v)
    assert result.converged
    assert np.abs(result.X.sum(axis=1) - u).max(initial=0) <= limit
    assert np.abs(result.X.sum(axis=0) - v).max(initial=0) <= limit
    assert result.residual <= limit
    np.testing.assert_array_equal(np.sign(result.X), np.sign(prior))


def _assert_factors_solve_their_equations(result: GrasResult, prior, u, v) -> None:
    """X is r̂ P ŝ - r̂⁻¹ N ŝ⁻¹ for the returned factors, and each factor f solves its row
    (column) equation f p - n / f = target, with p and n recomputed here from the other side's
    factors; factors are positive, and 1 for rows (columns) of zeros."""
    P, N = np.maximum(prior, 0), np.maximum(-prior, 0)
    r, s = result.r, result.s
    np.testing.assert_allclose(
        result.X, r[:, None] * P * s - N / r[:, None] / s, rtol=1e-14, atol=1e-14
    )
    for factors, p, n, target in ((r, P @ s, N @ (1 / s), u), (s, r @ P, (1 / r) @ N, v)):
        assert (factors > 0).all()
        np.testing.assert_array_equal(factors[(p == 0) & (n == 0)], 1.0)
        assert np.abs(factors * p - n / factors - target).max() <= _limit(u, v)


# -- the published example ----------------------------------------------------------------------


def test_temurshoev_example_with_small_entries_meets_margins_and_keeps_signs() -> None:
    """Temurshoev, Miller & Bouwmeester (2013), ESR 25(3): 361-367, with the zeros of the
    prior replaced by small positive entries (0.1, 0.1, 0.001), as the brief gives it.

    The paper's table of results for this variant was not available offline, so what is
    checked is what a hand can check: margins to 1e-10, every sign of X0 kept, and the factor
    equations solved by the returned r and s. The variant with zeros is checked against
    published numbers below.
    """
    prior = np.array([[7, 3, 5, -3], [2, 9, 8, 0.1], [-2, 0.1, 2, 0.001]])
    result = gras(prior, EXAMPLE_U, EXAMPLE_V)
    _assert_balanced(result, prior, EXAMPLE_U, EXAMPLE_V)
    _assert_factors_solve_their_equations(result, prior, EXAMPLE_U, EXAMPLE_V)


def test_temurshoev_example_matches_the_reference_solution() -> None:
    """The example with zeros, X0 = [[7, 3, 5, -3], [2, 9, 8, 0], [-2, 0, 2, 0]], against the
    solution in the test suite of the R package riot (Oliver Reiter; github.com/zauster/riot,
    tests/testthat/test_doGRAS.R at commit 50b7f353c1f040c705cbc293dc71fd6b2c0d97c8), which
    calls it "the example from the papers" (Junius & Oosterhaven 2003; Temurshoev, Miller &
    Bouwmeester 2013). The paper's own table was not available offline.

    riot prints 9 decimals but stopped short of convergence (its X[0, 3] is -2.000000263,
    where column 3 holds that single entry and must sum to exactly -2), so its numbers are good
    to about 1e-6: compared at that precision. Column 3 has only a negative entry, so its
    factor is Lenzen, Wood & Gallego's s = -n / v.
    """
    prior = np.array([[7.0, 3, 5, -3], [2, 9, 8, 0], [-2, 0, 2, 0]])
    riot = np.array(
        [
            [8.424340881, 3.375237362, 5.200422021, -2.000000263],
            [3.000997078, 12.624763744, 10.374239178, 0],
            [-2.425339135, 0, 1.425339135, 0],
        ]
    )
    result = gras(prior, EXAMPLE_U, EXAMPLE_V)
    np.testing.assert_allclose(result.X, riot, rtol=0, atol=1e-6)
    _assert_balanced(result, prior, EXAMPLE_U, EXAMPLE_V)
    _assert_factors_solve_their_equations(result, prior, EXAMPLE_U, EXAMPLE_V)
    assert result.s[3] == pytest.approx(3 / 2 / result.r[0])  # -n / v with n = 3 / r_0


def test_rows_and_columns_of_zeros_with_zero_targets_are_left_alone() -> None:
    prior = np.array([[1.0, 0, 2], [0, 0, 0], [3, 0, -1]])
    u, v = np.array([4.0, 0, 3]), np.array([5.0, 0, 2])
    result = gras(prior, u, v)
    _assert_balanced(result, prior, u, v)
    assert result.r[1] == 1.0 and result.s[1] == 1.0
    np.testing.assert_array_equal(result.X[1], 0.0)
    np.testing.assert_array_equal(result.X[:, 1], 0.0)


def test_a_negative_target_far_beyond_the_positive_part_keeps_the_positive_entries() -> None:
    """Row 0 must sum to -1e9 while its positive entries shrink to ~1e-9: its factor solves
    r p - n / r = u with 4pn / u² ~ 1e-18, where the textbook root (u + sqrt(u² + 4pn)) / 2p
    cancels to exactly 0 (the row's positive entries vanish and 1 / r overflows). The
    cancellation-free form keeps them positive."""
    prior = np.array([[1.0, 1.0, -1.0], [1.0, 1.0, 1.0]])
    true = np.array([[1e-9, 2e-9, -1e9], [1.0, 2.0, 3.0]])
    u, v = true.sum(axis=1), true.sum(axis=0)
    result = gras(prior, u, v)
    _assert_balanced(result, prior, u, v)
    _assert_factors_solve_their_equations(result, prior, u, v)
    assert 0 < result.r[0] < 1e-8


def test_result_reports_itself() -> None:
    result = gras(np.array([[1.0, 1.0], [1.0, 1.0]]), [3.0, 1.0], [2.0, 2.0])
    assert repr(result).startswith("GrasResult(2 x 2, iterations=")
    with pytest.raises(AttributeError):
        result.iterations = 0  # type: ignore[misc]


# -- properties on random feasible problems ------------------------------------------------------


@st.composite
def problems(draw, signed: bool = True):
    """A prior with some zeros (and negative entries when ``signed``) and margins feasible by
    construction: those of a "true" matrix with the same signs and zeros, its entries the
    prior's moved by factors in [0.2, 5]."""
    m, n = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    prior = draw(uniform((m, n), 0.1, 10)) * draw(mask((m, n)))
    if signed:
        prior = np.where(draw(mask((m, n))), -prior, prior)
    true = prior * draw(uniform((m, n), 0.2, 5))
    return prior, true.sum(axis=1), true.sum(axis=0)


def _ras(prior: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Textbook RAS: scale rows to u, then columns to v, until both hold."""
    X = prior.copy()
    limit = _limit(u, v, 1e-12)
    for _ in range(100_000):
        rows = X.sum(axis=1)
        X *= np.divide(u, rows, out=np.ones_like(u), where=rows > 0)[:, None]
        columns = X.sum(axis=0)
        X *= np.divide(v, columns, out=np.ones_like(v), where=columns > 0)
        if np.abs(X.sum(axis=1) - u).max() <= limit:
            return X
    raise AssertionError("the reference RAS did not converge")


@settings(max_examples=80, deadline=None)
@given(problems())
def test_random_signed_priors_meet_their_margins_and_keep_signs_and_zeros(problem) -> None:
    prior, u, v = problem
    result = gras(prior, u, v)
    _assert_balanced(result, prior, u, v)
    _assert_factors_solve_their_equations(result, prior, u, v)


@settings(max_examples=50, deadline=None)
@given(problems(signed=False))
def test_a_positive_prior_gives_the_ras_solution(problem) -> None:
    prior, u, v = problem
    result = gras(prior, u, v)
    np.testing.assert_allclose(result.X, _ras(prior, u, v), rtol=1e-8, atol=_limit(u, v, 1e-8))


@settings(max_examples=50, deadline=None)
@given(problems(signed=False), floats_between(1e-3, 1e3), st.booleans())
def test_scaling_a_one_signed_prior_does_not_change_the_result(problem, c: float, flip) -> None:
    """RAS's invariance: only the prior's proportions matter (for an all-negative prior too)."""
    prior, u, v = problem
    if flip:
        prior, u, v = -prior, -u, -v
    np.testing.assert_allclose(
        gras(c * prior, u, v).X, gras(prior, u, v).X, rtol=1e-8, atol=_limit(u, v, 1e-8)
    )


@settings(max_examples=50, deadline=None)
@given(problems(), floats_between(1e-3, 1e3))
def test_a_change_of_units_scales_the_result(problem, c: float) -> None:
    """Prior and margins in other units (times c): the same factors, the result times c, to
    what each run promises (margins below 1 are met to 1e-10 absolute, not relative)."""
    prior, u, v = problem
    result, scaled = gras(prior, u, v), gras(c * prior, c * u, c * v)
    atol = 10 * max(_limit(c * u, c * v), c * _limit(u, v))
    np.testing.assert_allclose(scaled.X, c * result.X, rtol=1e-8, atol=atol)


def test_scaling_a_signed_prior_alone_changes_the_result() -> None:
    """Not a bug: GRAS minimises Σ|x0| z (ln z - 1) over z = x / x0, and scaling x0 by c adds
    -ln(c) Σ|x|, which the margins fix only when every entry has the same sign. So RAS is
    invariant to the scale of its prior and GRAS with mixed signs is not: here X0 meets its
    margins and is returned as is, while X0 / 2 is balanced to a different matrix."""
    prior, u, v = np.array([[-1.0, 1.0], [1.0, 1.0]]), np.array([0.0, 2.0]), np.array([0.0, 2.0])
    same, halved = gras(prior, u, v), gras(prior / 2, u, v)
    np.testing.assert_array_equal(same.X, prior)
    _assert_balanced(halved, prior, u, v)
    assert np.abs(halved.X - prior).max() > 0.1


@settings(max_examples=50, deadline=None)
@given(problems())
def test_a_prior_that_meets_its_margins_comes_back_unchanged(problem) -> None:
    prior, _, _ = problem
    result = gras(prior, prior.sum(axis=1), prior.sum(axis=0))
    assert result.iterations <= 1
    np.testing.assert_allclose(result.X, prior, rtol=1e-12, atol=1e-12)


# -- refusals ------------------------------------------------------------------------------------

SQUARE = np.array([[1.0, 2.0], [3.0, 4.0]])


def test_margins_with_different_sums_are_refused_naming_both_sums() -> None:
    with pytest.raises(BalanceError, match=r"row totals sum to 10 but column totals sum to 11"):
        gras(SQUARE, [3.0, 7.0], [4.0, 7.0])


@pytest.mark.parametrize(
    ("prior", "u", "v", "message"),
    [
        (
            [[1.0, 2.0], [0.0, 0.0]],
            [1.0, 2.0],
            [1.0, 2.0],
            r"all-zero rows cannot reach a non-zero target: row 1 \(target 2\)",
        ),
        (
            [[1.0, 0.0], [2.0, 0.0]],
            [1.0, 2.0],
            [0.5, 2.5],
            r"all-zero columns cannot reach a non-zero target: column 1 \(target 2.5\)",
        ),
        (
            SQUARE,
            [-1.0, 11.0],
            [4.0, 6.0],
            r"rows with only positive entries cannot reach a target <= 0 .*: row 0 \(target -1\)",
        ),
        (
            SQUARE,
            [0.0, 10.0],
            [4.0, 6.0],
            r"rows with only positive entries cannot reach a target <= 0 .*: row 0 \(target 0\)",
        ),
        (
            -SQUARE,
            [1.0, -11.0],
            [-4.0, -6.0],
            r"rows with only negative entries cannot reach a target >= 0 .*: row 0 \(target 1\)",
        ),
        (
            -SQUARE,
            [-10.0, 0.0],
            [-4.0, -6.0],
            r"rows with only negative entries cannot reach a target >= 0 .*: row 1 \(target 0\)",
        ),
    ],
)
def test_targets_a_row_or_column_cannot_reach_are_refused_naming_it(prior, u, v, message) -> None:
    with pytest.raises(BalanceError, match=message):
        gras(np.array(prior), np.array(u), np.array(v))


def test_a_column_of_one_sign_with_a_target_of_the_other_is_refused() -> None:
    prior = np.array([[1.0, -1.0], [1.0, -1.0]])
    with pytest.raises(BalanceError, match=r"columns with only negative entries .*: column 1"):
        gras(prior, [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(BalanceError, match=r"columns with only positive entries .*: column 0"):
        gras(prior, [-1.0, -1.0], [-1.0, -1.0])


def test_margins_that_are_jointly_infeasible_do_not_converge() -> None:
    """Every row and column can reach its target alone, but the diagonal prior needs u = v."""
    with pytest.raises(
        BalanceError, match=r"did not converge in 50 iterations: the largest margin gap is"
    ):
        gras(np.eye(2), [1.0, 2.0], [2.0, 1.0], max_iterations=50)


def test_margins_that_drive_factors_to_overflow_are_refused_as_divergence() -> None:
    """The diagonal prior again: s_0 doubles at every step until it overflows (no numpy
    warning escapes on the way: the test suite turns gridfoot's warnings into errors)."""
    with pytest.raises(BalanceError, match=r"GRAS diverged after \d+ iterations"):
        gras(np.diag([1.0, 2.0]), [1.0, 3.0], [3.0, 1.0])


def test_no_iterations_allowed_is_non_convergence_unless_the_prior_already_fits() -> None:
    with pytest.raises(BalanceError, match="did not converge in 0 iterations"):
        gras(SQUARE, [4.0, 6.0], [5.0, 5.0], max_iterations=0)
    assert gras(SQUARE, [3.0, 7.0], [4.0, 6.0], max_iterations=0).iterations == 0


@pytest.mark.parametrize(
    ("prior", "u", "v", "message"),
    [
        ([[1.0, np.nan], [3.0, 4.0]], [3.0, 7.0], [4.0, 6.0], r"prior: 1 NaN or infinite"),
        (SQUARE, [3.0, np.inf], [4.0, 6.0], r"row totals: 1 NaN or infinite"),
        (SQUARE, [3.0, 7.0], [-np.inf, 6.0], r"column totals: 1 NaN or infinite"),
    ],
)
def test_nan_and_infinite_inputs_are_refused(prior, u, v, message) -> None:
    with pytest.raises(ValueCheckError, match=message):
        gras(np.array(prior), np.array(u), np.array(v))


@pytest.mark.parametrize(
    ("prior", "u", "v", "message"),
    [
        ([1.0, 2.0], [3.0], [3.0], r"prior must be a 2-D matrix, got an array of shape \(2,\)"),
        (SQUARE, [3.0, 7.0, 0.0], [4.0, 6.0], r"row totals: expected 2 values, one per row"),
        (SQUARE, [3.0, 7.0], [[4.0, 6.0]], r"column totals: expected 2 values, one per column"),
    ],
)
def test_shapes_that_disagree_are_refused(prior, u, v, message) -> None:
    with pytest.raises(BalanceError, match=message):
        gras(np.array(prior), np.array(u), np.array(v))


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"tolerance": 0.0}, "tolerance: must be a number > 0"),
        ({"max_iterations": 2.5}, "max_iterations: must be a whole number >= 0"),
    ],
)
def test_bad_options_are_refused(option, message) -> None:
    with pytest.raises(ConfigError, match=message):
        gras(SQUARE, [3.0, 7.0], [4.0, 6.0], **option)
