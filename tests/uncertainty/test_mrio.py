"""MRIO draws: refinement against the unperturbed factorisation agrees with a dense solve,
refuses what it cannot reach, and a draw conserves each producer's emissions and reproduces
the exact footprint without perturbation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridfoot.errors import ValueCheckError
from gridfoot.mrio import leontief
from gridfoot.uncertainty.draws import lognormal_factors
from gridfoot.uncertainty.mrio import MrioDraw, draw_mrio, solve_near
from tests.strategies import mask, uniform

# Miller & Blair (2009), Table 2.3: x = [1000, 2000], so Y's row sums are [350, 1700].
MB_Z = np.array([[150.0, 500.0], [200.0, 100.0]])
MB_Y = np.array([[300.0, 50.0], [200.0, 1500.0]])
MB_L = np.array([[1.25412541, 0.330033], [0.2640264, 1.12211221]])
MB_F = np.array([100.0, 60.0])


def _random_system(rng: np.random.Generator, n: int, columns: int, column_sum: float):
    """A productive system (columns of A sum to at most ``column_sum``), balanced ``Z, Y, x``."""
    A = rng.random((n, n)) * (rng.random((n, n)) < 0.5)
    A *= rng.uniform(0.05, column_sum, n) / np.maximum(A.sum(axis=0), 1e-12)
    Y = rng.uniform(1.0, 100.0, (n, columns))
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    return A * x, Y, x


# -- solve_near --------------------------------------------------------------------------------


def test_solve_near_matches_a_dense_solve_of_a_perturbed_system() -> None:
    rng = np.random.default_rng(5)
    Z, Y, x = _random_system(rng, 30, 4, 0.8)
    fac = leontief.factor(Z, x)
    A = leontief.technical_coefficients(Z, x) * lognormal_factors(rng, (30, 30), 0.05)
    X, steps = solve_near(fac, A, Y)
    assert 0 < steps < 20
    assert np.abs(Y - (X - A @ X)).max() <= 1e-10 * np.abs(Y).max()
    np.testing.assert_allclose(X, np.linalg.solve(np.eye(30) - A, Y), rtol=1e-9)
    # one right-hand side as a vector: the same answer, the same shape
    x_one, _ = solve_near(fac, A, Y[:, 0])
    assert x_one.shape == (30,)
    np.testing.assert_allclose(x_one, X[:, 0], rtol=1e-9)


def test_solve_near_on_the_factored_matrix_takes_no_step() -> None:
    fac = leontief.factor(MB_Z, MB_Z.sum(1) + MB_Y.sum(1))
    A = leontief.technical_coefficients(MB_Z, MB_Z.sum(1) + MB_Y.sum(1))
    X, steps = solve_near(fac, A, MB_Y)
    assert steps == 0
    np.testing.assert_array_equal(X, fac.solve(MB_Y))


def _uniform_system(n: int, column_sum: float):
    """``A0 = (column_sum / n) J``: the residual of a solve with ``A = c A0`` shrinks by
    exactly ``(c - 1) column_sum / (1 - column_sum)`` per refinement step."""
    A0 = np.full((n, n), column_sum / n)
    x = np.ones(n)
    return leontief.factor(A0 * x, x), A0


def test_slow_refinement_is_refused_then_reached_with_more_steps() -> None:
    # c = 1.5, column sum 0.6: A is productive (spectral radius 0.9) but far from A0; the
    # residual shrinks by 0.75 a step, about 70 steps to 1e-10 (0.75^70 = 2e-9, relative to
    # terms a few times rhs): not within 50.
    fac, A0 = _uniform_system(6, 0.6)
    A, rhs = 1.5 * A0, np.arange(1.0, 7.0)
    with pytest.raises(ValueCheckError, match=r"did not converge in 50.*smaller coefficient"):
        solve_near(fac, A, rhs)
    X, steps = solve_near(fac, A, rhs, max_iter=200)
    assert 60 < steps < 90
    # the forward error is at most the backward error (1e-10) times the Leontief inverse's
    # size, 10 here (spectral radius 0.9)
    np.testing.assert_allclose(X, np.linalg.solve(np.eye(6) - A, rhs), rtol=1e-8)


def test_diverging_refinement_is_refused() -> None:
    # c = 2: A is not productive (spectral radius 1.2); the residual grows by 1.5 a step
    fac, A0 = _uniform_system(4, 0.6)
    with pytest.raises(ValueCheckError, match="too far"):
        solve_near(fac, 2 * A0, np.ones(4))


def test_solve_near_refusals() -> None:
    fac, A0 = _uniform_system(3, 0.5)
    with pytest.raises(ValueCheckError, match="3 producers"):
        solve_near(fac, A0[:2, :2], np.ones(2))
    with pytest.raises(ValueCheckError, match="rhs of shape"):
        solve_near(fac, A0, np.ones(4))
    with pytest.raises(ValueCheckError, match="rtol"):
        solve_near(fac, A0, np.ones(3), rtol=0.0)
    with pytest.raises(ValueCheckError, match="max_iter"):
        solve_near(fac, A0, np.ones(3), max_iter=-1)


# -- draw_mrio ---------------------------------------------------------------------------------


def test_miller_blair_without_perturbation_by_hand() -> None:
    x = MB_Z.sum(1) + MB_Y.sum(1)
    np.testing.assert_array_equal(x, [1000.0, 2000.0])
    draw = draw_mrio(np.random.default_rng(0), MB_Z, MB_Y, MB_F, leontief.factor(MB_Z, x))
    assert isinstance(draw, MrioDraw) and draw.iterations == 0
    np.testing.assert_array_equal(draw.x, x)
    # S = [0.1, 0.03]; driven = S_i (L Y)_ic with L from the textbook (8 digits)
    expected = np.array([0.1, 0.03])[:, None] * (MB_L @ MB_Y)
    np.testing.assert_allclose(draw.driven, expected, rtol=1e-7)
    np.testing.assert_allclose(draw.driven.sum(axis=1), MB_F, rtol=1e-13)
    assert repr(draw) == "MrioDraw(n=2, demand columns=2, rows=2, iterations=0)"


def test_zero_cv_reproduces_the_exact_footprint() -> None:
    rng = np.random.default_rng(11)
    Z, Y, x = _random_system(rng, 12, 5, 0.9)
    x = Z.sum(1) + Y.sum(1)
    F = rng.uniform(0, 1e3, 12)
    fac = leontief.factor(Z, x)
    draw = draw_mrio(np.random.default_rng(0), Z, Y, F, fac)
    exact = leontief.destination_footprint(
        leontief.intensities(F[None, :], x), leontief.output_by_demand(fac, Y)
    )[0]
    np.testing.assert_array_equal(draw.driven, exact)
    np.testing.assert_array_equal(draw.Z, Z)
    np.testing.assert_array_equal(draw.F, F)


@st.composite
def systems(draw):
    n = draw(st.integers(1, 6))
    columns = draw(st.integers(1, 3))
    # productive by construction: columns of A sum to at most 0.5, so 10% noise on Z and
    # 20% on Y keep the refinement contracting
    A = draw(uniform((n, n), 0, 1)) * draw(mask((n, n)))
    A *= draw(uniform(n, 0.0, 0.5)) / np.maximum(A.sum(axis=0), 1e-12)
    Y = draw(uniform((n, columns), 0, 1e4)) * draw(mask((n, columns)))
    Y[:, 0] += 1.0  # every producer delivers some final demand: x > 0
    if columns > 1:  # an inventory column: negative, small beside the first column
        Y[:, -1] = -draw(uniform(n, 0, 0.1)) * Y[:, 0]
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    Z = A * x
    F = draw(uniform(n, 0, 1e5)) * draw(mask(n))
    return Z, Y, F


@given(
    systems(),
    st.sampled_from([0.0, 0.05, 0.1]),
    st.sampled_from([0.0, 0.2]),
    st.sampled_from([0.0, 0.5]),
    st.integers(0, 2**32 - 1),
)
def test_a_draw_conserves_each_producers_emissions(system, cv_Z, cv_Y, cv_F, seed) -> None:
    Z, Y, F = system
    fac = leontief.factor(Z, Z.sum(1) + Y.sum(1))
    draw = draw_mrio(np.random.default_rng(seed), Z, Y, F, fac, cv_Z=cv_Z, cv_Y=cv_Y, cv_F=cv_F)
    np.testing.assert_array_equal(draw.x, draw.Z.sum(1) + draw.Y.sum(1))
    assert (draw.x > 0).all()
    scale = float(draw.F.max(initial=0.0)) + 1.0
    np.testing.assert_allclose(draw.driven.sum(axis=1), draw.F, rtol=1e-9, atol=1e-12 * scale)
    # the same answer as factoring the perturbed system itself
    A = leontief.technical_coefficients(draw.Z, draw.x)
    dense = (draw.F / draw.x)[:, None] * np.linalg.solve(np.eye(len(F)) - A, draw.Y)
    np.testing.assert_allclose(draw.driven, dense, rtol=1e-8, atol=1e-12 * scale)
    # perturbation keeps signs and zeros (inventories stay negative)
    np.testing.assert_array_equal(np.sign(draw.Y), np.sign(Y))
    np.testing.assert_array_equal(draw.Z == 0, Z == 0)
    # rows picks rows of the same draw (same seed, same random numbers)
    rows = np.arange(len(F))[::-2]
    subset = draw_mrio(
        np.random.default_rng(seed), Z, Y, F, fac, cv_Z=cv_Z, cv_Y=cv_Y, cv_F=cv_F, rows=rows
    )
    np.testing.assert_array_equal(subset.driven, draw.driven[rows])


def test_a_small_producer_beside_a_large_one_is_solved_to_its_own_accuracy() -> None:
    # Found by hypothesis: with the residual bounded relative to max|Y| (195) alone, producer
    # 0 (final demand 1) conserved its emissions only to 2e-8
    Z = np.array([[1.0, 0.0], [0.0, 0.0]])
    Y = np.array([[1.0], [195.0]])
    fac = leontief.factor(Z, Z.sum(1) + Y.sum(1))
    draw = draw_mrio(np.random.default_rng(0), Z, Y, np.array([1.0, 0.0]), fac, cv_Y=0.2)
    assert abs(draw.driven[0].sum() - 1.0) < 1e-9


def test_producers_without_output_get_no_footprint() -> None:
    # producer 2 neither sells nor buys, yet reports 5 t: x = 0, so its intensity is zero
    Z = np.zeros((3, 3))
    Z[:2, :2] = MB_Z
    Y = np.zeros((3, 2))
    Y[:2] = MB_Y
    F = np.array([100.0, 60.0, 5.0])
    fac = leontief.factor(Z, Z.sum(1) + Y.sum(1))
    draw = draw_mrio(np.random.default_rng(1), Z, Y, F, fac, cv_Z=0.05, cv_Y=0.1, cv_F=0.2)
    assert draw.x[2] == 0.0
    np.testing.assert_array_equal(draw.driven[2], 0.0)
    np.testing.assert_allclose(draw.driven[:2].sum(axis=1), draw.F[:2], rtol=1e-9)


def test_same_seed_same_draw() -> None:
    rng = np.random.default_rng(2)
    Z, Y, _ = _random_system(rng, 8, 3, 0.7)
    F = rng.uniform(0, 10, 8)
    fac = leontief.factor(Z, Z.sum(1) + Y.sum(1))

    def run(seed: int) -> MrioDraw:
        return draw_mrio(np.random.default_rng(seed), Z, Y, F, fac, cv_Z=0.1, cv_Y=0.1, cv_F=0.3)

    first, second = run(9), run(9)
    for name in ("Z", "Y", "F", "x", "driven"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    assert not np.array_equal(first.driven, run(10).driven)


def test_too_large_a_cv_is_refused_with_advice() -> None:
    rng = np.random.default_rng(4)
    Z, Y, _ = _random_system(rng, 10, 2, 0.95)
    fac = leontief.factor(Z, Z.sum(1) + Y.sum(1))
    with pytest.raises(ValueCheckError, match="smaller coefficient of variation"):
        draw_mrio(np.random.default_rng(0), Z, Y, np.ones(10), fac, cv_Z=3.0)


def test_draw_mrio_refusals() -> None:
    fac = leontief.factor(MB_Z, MB_Z.sum(1) + MB_Y.sum(1))
    rng = np.random.default_rng(0)
    with pytest.raises(ValueCheckError, match="one stressor"):
        draw_mrio(rng, MB_Z, MB_Y, MB_F[None, :], fac)
    with pytest.raises(ValueCheckError, match="2 producers"):
        draw_mrio(rng, MB_Z, MB_Y[:1], MB_F, fac)
    with pytest.raises(ValueCheckError, match="rows"):
        draw_mrio(rng, MB_Z, MB_Y, MB_F, fac, rows=np.array([2]))
    with pytest.raises(ValueCheckError, match="rows"):
        draw_mrio(rng, MB_Z, MB_Y, MB_F, fac, rows=np.array([0.0]))
    with pytest.raises(ValueCheckError, match="coefficient of variation"):
        draw_mrio(rng, MB_Z, MB_Y, MB_F, fac, cv_F=-1.0)
