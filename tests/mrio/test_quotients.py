"""Location quotients on a hand-worked two-region example, Flegg's λ against a textbook number,
zeros, regions that are scaled copies of the nation, and refusals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfoot.errors import ConfigError, ValueCheckError
from gridfoot.mrio.quotients import cilq, flq, flq_lambda, regional_coefficients, slq
from tests.strategies import floats_between, uniform

# Two regions, two sectors. Region a: 30 and 10 (total 40); region b: 20 and 40 (total 60).
# Nation: 50 and 50, total 100, so each sector is half of national output.
OUTPUT = np.array([[30.0, 10.0], [20.0, 40.0]])
A = np.array([[0.2, 0.1], [0.3, 0.4]])


def test_slq_by_hand() -> None:
    # a: (30/40) / (50/100) = 0.75 / 0.5 = 1.5;  (10/40) / 0.5 = 0.25 / 0.5 = 0.5
    # b: (20/60) / 0.5 = 2/3;                     (40/60) / 0.5 = 4/3
    expected = np.array([[1.5, 0.5], [2 / 3, 4 / 3]])
    np.testing.assert_allclose(slq(OUTPUT), expected, rtol=1e-15)
    np.testing.assert_allclose(slq(OUTPUT, np.array([50.0, 50.0])), expected, rtol=1e-15)


def test_cilq_by_hand_with_slq_on_the_diagonal() -> None:
    # CILQ[i, j] = SLQ_i / SLQ_j off the diagonal, SLQ_i on it (Flegg's convention).
    # a: [[1.5 (SLQ_1), 1.5 / 0.5 = 3], [0.5 / 1.5 = 1/3, 0.5 (SLQ_2)]]
    # b: [[2/3 (SLQ_1), (2/3) / (4/3) = 1/2], [(4/3) / (2/3) = 2, 4/3 (SLQ_2)]]
    expected = np.array([[[1.5, 3.0], [1 / 3, 0.5]], [[2 / 3, 0.5], [2.0, 4 / 3]]])
    np.testing.assert_allclose(cilq(OUTPUT), expected, rtol=1e-15)


def test_flq_by_hand() -> None:
    # λ_a = [log2(1 + 40/100)]^0.3: log2(1.4) = ln 1.4 / ln 2 = 0.336472 / 0.693147 = 0.485427;
    #   ln 0.485427 = -0.722727, times 0.3 = -0.216818, exp(-0.216818) = 0.805076.
    # λ_b = [log2(1.6)]^0.3: log2(1.6) = 0.470004 / 0.693147 = 0.678072;
    #   ln 0.678072 = -0.388502, times 0.3 = -0.116551, exp(-0.116551) = 0.889985.
    np.testing.assert_allclose(flq_lambda(OUTPUT), [0.805076, 0.889985], rtol=2e-6)
    # FLQ_a = CILQ_a · 0.805076 = [[1.207615, 2.415229], [0.268359, 0.402538]]
    np.testing.assert_allclose(
        flq(OUTPUT)[0], [[1.207615, 2.415229], [0.268359, 0.402538]], rtol=2e-6
    )
    np.testing.assert_allclose(flq(OUTPUT), cilq(OUTPUT) * flq_lambda(OUTPUT)[:, None, None])


def test_flegg_webber_lambda_for_a_region_with_a_tenth_of_national_output() -> None:
    # [log2(1.1)]^0.3: log2(1.1) = ln 1.1 / ln 2 = 0.0953102 / 0.6931472 = 0.1375035;
    # ln 0.1375035 = -1.984106, times 0.3 = -0.595232, exp(-0.595232) = 0.551435.
    weight = flq_lambda(np.array([[10.0, 0.0]]), np.array([60.0, 40.0]), delta=0.3)
    np.testing.assert_allclose(weight, [0.551435], rtol=2e-6)
    assert flq_lambda(np.array([[10.0, 0.0]]), np.array([60.0, 40.0]), delta=0.0)[0] == 1.0


def test_regional_coefficients_by_hand() -> None:
    # With CILQ: a: A · min(CILQ_a, 1) = A · [[1, 1], [1/3, 0.5]] = [[0.2, 0.1], [0.1, 0.2]]
    #            b: A · [[2/3, 1/2], [1, 1]] = [[0.133333, 0.05], [0.3, 0.4]]
    np.testing.assert_allclose(
        regional_coefficients(A, cilq(OUTPUT)),
        [[[0.2, 0.1], [0.1, 0.2]], [[0.2 * 2 / 3, 0.05], [0.3, 0.4]]],
        rtol=1e-15,
    )
    # With FLQ, region a: A · [[1, 1], [0.268359, 0.402538]] = [[0.2, 0.1], [0.080508, 0.161015]]
    np.testing.assert_allclose(
        regional_coefficients(A, flq(OUTPUT))[0], [[0.2, 0.1], [0.080508, 0.161015]], rtol=1e-5
    )
    # With SLQ, the supplier's quotient for every buyer: a: rows times min(1.5, 1), min(0.5, 1)
    np.testing.assert_allclose(
        regional_coefficients(A, slq(OUTPUT))[0], [[0.2, 0.1], [0.15, 0.2]], rtol=1e-15
    )


# -- zeros ---------------------------------------------------------------------------------------


def test_a_sector_absent_from_a_region_buys_and_sells_nothing_locally() -> None:
    output = np.array([[30.0, 0.0, 10.0], [20.0, 40.0, 10.0]])  # sector 1 absent from region 0
    quotients = slq(output)
    assert quotients[0, 1] == 0.0
    cross = cilq(output)
    np.testing.assert_array_equal(cross[0, :, 1], 0.0)  # as a buyer: SLQ_i / 0 set to 0
    np.testing.assert_array_equal(cross[0, 1, :], 0.0)  # as a supplier: 0 / SLQ_j
    coefficients = regional_coefficients(np.full((3, 3), 0.1), flq(output))
    np.testing.assert_array_equal(coefficients[0, :, 1], 0.0)
    np.testing.assert_array_equal(coefficients[0, 1, :], 0.0)
    assert (coefficients[0][np.ix_([0, 2], [0, 2])] > 0).all()


def test_sectors_without_national_output_and_regions_without_output_get_zero() -> None:
    output = np.array([[30.0, 10.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(slq(output)[:, 2], 0.0)  # no national output of sector 2
    np.testing.assert_array_equal(slq(output)[1], 0.0)  # region 1 produces nothing
    np.testing.assert_array_equal(flq(output)[1], 0.0)
    assert flq_lambda(output)[1] == 0.0
    # A national table that records none of sector 1 although the region does: quotient 0.
    assert slq(np.array([[5.0, 5.0]]), np.array([10.0, 0.0]))[0, 1] == 0.0
    np.testing.assert_array_equal(slq(np.zeros((2, 2))), 0.0)
    np.testing.assert_array_equal(flq_lambda(np.zeros((2, 2))), 0.0)


# -- regions that are scaled copies of the nation ----------------------------------------------


@st.composite
def proportional_regions(draw):
    """National output, and regions holding shares α_r (summing to 1) of every sector."""
    sectors, regions = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    national = draw(uniform(sectors, 0.1, 1e4))
    weights = draw(uniform(regions, 0.01, 1))
    shares = weights / weights.sum()
    return shares[:, None] * national, national, shares


@settings(max_examples=60, deadline=None)
@given(proportional_regions(), floats_between(0, 0.99))
def test_regions_with_the_national_mix_have_unit_quotients_and_flq_lambda(problem, delta) -> None:
    output, national, shares = problem
    sectors = national.size
    np.testing.assert_allclose(slq(output), 1.0, rtol=1e-12)
    np.testing.assert_allclose(slq(output, national), 1.0, rtol=1e-12)
    np.testing.assert_allclose(cilq(output), 1.0, rtol=1e-12)
    weight = np.log2(1 + shares) ** delta
    np.testing.assert_allclose(flq_lambda(output, delta=delta), weight, rtol=1e-12)
    expected = np.broadcast_to(weight[:, None, None], (shares.size, sectors, sectors))
    np.testing.assert_allclose(flq(output, delta=delta), expected, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(proportional_regions(), floats_between(0, 0.99), uniform((6, 6), 0, 0.2))
def test_regional_coefficients_never_exceed_the_national_ones(problem, delta, full_A) -> None:
    output, national, _ = problem
    national_A = full_A[: national.size, : national.size]
    coefficients = regional_coefficients(national_A, flq(output, delta=delta))
    assert (coefficients >= 0).all()
    assert (coefficients <= national_A + 1e-15).all()


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: slq(np.array([[1.0, -2.0]])), ValueCheckError, "regional_output: 1 negative"),
        (lambda: slq(np.array([[1.0, np.nan]])), ValueCheckError, "regional_output: 1 NaN"),
        (lambda: slq(np.array([1.0, 2.0])), ValueCheckError, r"expected a \(regions, sectors\)"),
        (
            lambda: slq(OUTPUT, np.array([1.0, 2.0, 3.0])),
            ValueCheckError,
            "national_output: expected 2 values, one per sector",
        ),
        (lambda: slq(OUTPUT, np.array([1.0, -1.0])), ValueCheckError, "national_output: 1 neg"),
        (lambda: flq(OUTPUT, delta=1.0), ConfigError, r"delta: must be a number in \[0, 1\)"),
        (lambda: flq_lambda(OUTPUT, delta=-0.1), ConfigError, "delta: must be a number in"),
        (
            lambda: regional_coefficients(np.ones((2, 3)), cilq(OUTPUT)),
            ValueCheckError,
            r"national_A: expected a square matrix, got shape \(2, 3\)",
        ),
        (
            lambda: regional_coefficients(np.ones((3, 3)), cilq(OUTPUT)),
            ValueCheckError,
            r"quotients: expected shape \(regions, 3, 3\) or \(regions, 3\)",
        ),
        (
            lambda: regional_coefficients(A, -cilq(OUTPUT)),
            ValueCheckError,
            "quotients: 8 negative values",
        ),
        (
            lambda: regional_coefficients(A, np.full((1, 2), np.inf)),
            ValueCheckError,
            "quotients: 2 NaN or infinite",
        ),
    ],
)
def test_unusable_inputs_are_refused(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()
