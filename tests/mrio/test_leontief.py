"""The pure Leontief math against textbook values and a dense-inverse reference."""

from __future__ import annotations

import numpy as np
import pytest

from gridfoot.errors import NonProductiveError
from gridfoot.mrio import leontief

# Miller & Blair (2009), Table 2.3 and the example after it.
MB_Z = np.array([[150.0, 500.0], [200.0, 100.0]])
MB_X = np.array([1000.0, 2000.0])
MB_A = np.array([[0.15, 0.25], [0.20, 0.05]])
MB_L = np.array([[1.25412541, 0.330033], [0.2640264, 1.12211221]])


def test_technical_coefficients_match_miller_blair() -> None:
    np.testing.assert_allclose(leontief.technical_coefficients(MB_Z, MB_X), MB_A, rtol=1e-15)


def test_solves_reproduce_the_leontief_inverse_without_forming_it() -> None:
    fac = leontief.factor(MB_Z, MB_X)
    np.testing.assert_allclose(fac.solve(np.eye(2)), MB_L, rtol=1e-7)
    np.testing.assert_allclose(fac.solve(np.eye(2), transposed=True), MB_L.T, rtol=1e-7)
    # Final demand of Table 2.3 gives back gross output.
    np.testing.assert_allclose(fac.solve(np.array([350.0, 1700.0])), MB_X, rtol=1e-12)


def test_multipliers_are_s_times_l() -> None:
    S = np.array([[0.3, 0.25], [1.0, 0.0]])
    result = leontief.multipliers(leontief.factor(MB_Z, MB_X), S)
    np.testing.assert_allclose(result, S @ np.linalg.inv(np.eye(2) - MB_A), rtol=1e-12)


def test_zero_output_producers_get_zero_coefficients() -> None:
    Z = np.array([[1.0, 5.0], [2.0, 3.0]])
    A = leontief.technical_coefficients(Z, np.array([10.0, 0.0]))
    np.testing.assert_array_equal(A[:, 1], [0.0, 0.0])
    np.testing.assert_array_equal(
        leontief.intensities(np.array([[4.0, 9.0]]), np.array([8.0, -1.0])), [[0.5, 0.0]]
    )


def test_destination_footprint_sums_to_direct_emissions_for_balanced_output() -> None:
    Y = np.array([[300.0, 50.0], [200.0, 1500.0]])
    x = MB_Z.sum(axis=1) + Y.sum(axis=1)
    F = np.array([[100.0, 60.0]])
    fac = leontief.factor(MB_Z, x)
    driven = leontief.destination_footprint(
        leontief.intensities(F, x), leontief.output_by_demand(fac, Y)
    )
    assert driven.shape == (1, 2, 2)
    np.testing.assert_allclose(driven.sum(axis=2), F, rtol=1e-13)


def test_composition_is_one_column_of_l_per_product() -> None:
    fac = leontief.factor(MB_Z, MB_X)
    S = np.array([[0.1, 0.03]])
    result = leontief.composition(fac, S, np.array([7.0]), np.array([1]))
    expected = S[0] * MB_L[:, 1] * 7.0
    np.testing.assert_allclose(result[0, :, 0], expected, rtol=1e-7)


def test_non_productive_system_is_refused_naming_the_producers() -> None:
    # A = [[0, 1.5], [1.5, 0]]: spectral radius 1.5, both columns sum to 1.5.
    Z = np.array([[0.0, 15.0], [15.0, 0.0]])
    with pytest.raises(NonProductiveError, match=r"not productive.*a, b"):
        leontief.factor(Z, np.array([10.0, 10.0]), labels=["a", "b"])


def test_singular_system_is_refused() -> None:
    # A = [[0.5, 0.5], [0.5, 0.5]]: I - A is singular.
    Z = np.array([[5.0, 5.0], [5.0, 5.0]])
    with pytest.raises(NonProductiveError, match="singular"):
        leontief.factor(Z, np.array([10.0, 10.0]), labels=["a", "b"])


def test_a_column_summing_above_one_is_fine_when_the_system_is_productive() -> None:
    # Column sums 0.1 and 2 (negative value added in b), yet spectral radius sqrt(0.2) < 1.
    Z = np.array([[0.0, 20.0], [1.0, 0.0]])
    fac = leontief.factor(Z, np.array([10.0, 10.0]))
    A = np.array([[0.0, 2.0], [0.1, 0.0]])
    np.testing.assert_allclose(fac.solve(np.eye(2)), np.linalg.inv(np.eye(2) - A), rtol=1e-12)


def test_solves_from_several_threads_at_once_agree_with_one_at_a_time() -> None:
    """Threads share one factor (the draws of an uncertainty analysis): scipy shifts the
    pivots in place during a solve, so without a copy per call their answers go wrong."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(3)
    n = 300
    Z = rng.random((n, n)) * (rng.random((n, n)) < 0.3)
    x = Z.sum(axis=1) + rng.random(n) * n
    fac = leontief.factor(Z, x)
    demands = [rng.random((n, 3)) for _ in range(64)]
    alone = [fac.solve(d) for d in demands]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(fac.solve, demands))
    for one, other in zip(alone, together, strict=True):
        np.testing.assert_array_equal(one, other)
