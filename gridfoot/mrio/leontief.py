"""The Leontief model as small pure functions on numpy arrays.

Nothing here knows about labels, files or xarray; :mod:`gridfoot.mrio.accounts` puts labels on
the results. The Leontief inverse ``L = (I - A)^-1`` is never formed: ``I - A`` is factored once
(dense LU) and every quantity is a solve against that factorisation. For the sizes of real MRIO
tables (1,000-10,000 producers) this is several times faster than ``inv`` followed by products
and needs a third of the memory; a sparse LU does not help because the fill-in is near-dense.

Notation follows pymrio: ``Z`` (n x n) intermediate flows, ``Y`` (n x m) final demand, ``x``
gross output, ``A = Z diag(1/x)``, ``F`` (stressors x n) direct emissions, ``S = F diag(1/x)``.
Producers with ``x <= 0`` get zero coefficients in ``A`` and ``S``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy.linalg.lapack import get_lapack_funcs

from gridfoot.errors import NonProductiveError, format_labels

__all__ = [
    "LeontiefFactor",
    "composition",
    "destination_footprint",
    "factor",
    "intensities",
    "multipliers",
    "output_by_demand",
    "technical_coefficients",
]


def _safe_output(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(producing, divisor)``: mask of x > 0 and x with non-positive entries set to 1."""
    producing = x > 0
    return producing, np.where(producing, x, 1.0)


def technical_coefficients(Z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Technical coefficients ``A = Z diag(1/x)``, with zero columns where ``x <= 0``.

    Examples
    --------
    >>> technical_coefficients(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([10.0, 0.0]))
    array([[0.1, 0. ],
           [0.3, 0. ]])
    """
    producing, divisor = _safe_output(np.asarray(x, dtype=float))
    A = np.asarray(Z, dtype=float) / divisor
    A[:, ~producing] = 0.0
    return A


def intensities(F: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Direct intensities ``S = F diag(1/x)``, zero where ``x <= 0``.

    Examples
    --------
    >>> intensities(np.array([[5.0, 7.0]]), np.array([10.0, 0.0]))
    array([[0.5, 0. ]])
    """
    producing, divisor = _safe_output(np.asarray(x, dtype=float))
    S = np.asarray(F, dtype=float) / divisor
    S[:, ~producing] = 0.0
    return S


@dataclass(frozen=True, eq=False, repr=False)
class LeontiefFactor:
    """LU factorisation of ``I - A``; solves against it replace every use of ``L``.

    Build it with :func:`factor`. ``solve(B)`` returns ``L @ B``; ``solve(B, transposed=True)``
    returns ``L.T @ B``.
    """

    lu: np.ndarray
    pivots: np.ndarray
    rcond: float

    @property
    def size(self) -> int:
        """Number of producers."""
        return self.lu.shape[0]

    def solve(self, rhs: np.ndarray, transposed: bool = False) -> np.ndarray:
        """Solve ``(I - A) X = rhs`` (or ``(I - A)^T X = rhs``), i.e. return ``L @ rhs``.

        Safe from several threads at once: scipy's ``lu_solve`` (its f2py wrapper of
        LAPACK's getrs) turns the pivots 1-based in place for the call and back after it, so
        two threads sharing them get wrong solutions, silently (scipy 1.17); each call
        passes its own copy (``n`` integers).
        """
        return scipy.linalg.lu_solve(
            (self.lu, self.pivots.copy()), rhs, trans=1 if transposed else 0, check_finite=False
        )

    def __repr__(self) -> str:
        return f"LeontiefFactor(n={self.size}, rcond={self.rcond:.3g})"


def factor(Z: np.ndarray, x: np.ndarray, labels: object = None) -> LeontiefFactor:
    """Factor ``I - A`` for ``A = Z diag(1/x)`` without ever forming ``A`` and ``I - A`` twice.

    The matrix is built directly in Fortran order and factored in place, so the only
    ``n x n`` array allocated is the factorisation itself.

    Parameters
    ----------
    Z : (n, n) array
        Intermediate flows.
    x : (n,) array
        Gross output; producers with ``x <= 0`` get zero coefficients.
    labels : sequence, optional
        Producer labels, used to name producers in error messages.

    Raises
    ------
    NonProductiveError
        If ``I - A`` is singular (to working precision) or ``A`` is not productive, i.e. the
        Leontief inverse has a negative entry; the message names the producers whose
        coefficient columns sum to one or more.

    Examples
    --------
    Miller & Blair (2009), section 2.3: two sectors.

    >>> Z = np.array([[150.0, 500.0], [200.0, 100.0]])
    >>> fac = factor(Z, np.array([1000.0, 2000.0]))
    >>> fac.solve(np.array([350.0, 1700.0]))
    array([1000., 2000.])
    """
    Z = np.asarray(Z, dtype=float)
    x = np.asarray(x, dtype=float)
    n = Z.shape[0]
    producing, divisor = _safe_output(x)
    column_sums = np.where(producing, Z.sum(axis=0) / divisor, 0.0)

    matrix = np.empty((n, n), dtype=float, order="F")
    np.divide(Z, divisor, out=matrix)
    matrix[:, ~producing] = 0.0
    diagonal = matrix.diagonal().copy()
    np.negative(matrix, out=matrix)
    matrix.flat[:: n + 1] += 1.0
    # 1-norm of I - A from its column sums (A >= 0): the condition estimate needs it.
    anorm = float(np.max(column_sums - diagonal + np.abs(1.0 - diagonal), initial=0.0))

    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
        try:
            lu, pivots = scipy.linalg.lu_factor(matrix, overwrite_a=True, check_finite=False)
        except scipy.linalg.LinAlgWarning:
            lu, pivots = None, None
    if lu is None:
        raise NonProductiveError(
            "I - A is exactly singular"
            + _name_producers(labels, column_sums >= 1.0, "; coefficient columns summing to >= 1: ")
        )
    (gecon,) = get_lapack_funcs(("gecon",), (lu,))
    rcond, _ = gecon(lu, anorm, norm="1")
    if not rcond > np.finfo(float).eps * n:
        raise NonProductiveError(
            f"I - A is singular to working precision (reciprocal condition number {rcond:.2e})"
            + _name_producers(labels, column_sums >= 1.0, "; coefficient columns summing to >= 1: ")
        )
    result = LeontiefFactor(lu=lu, pivots=pivots, rcond=float(rcond))
    # For A >= 0, I - A is a non-singular M-matrix (A productive, L >= 0) exactly when
    # (I - A) v = 1 has a positive solution v; v = L·1 then. One extra solve settles it.
    if not np.all(result.solve(np.ones(n)) > 0):
        raise NonProductiveError(
            "A is not productive: the Leontief inverse would have negative entries"
            + _name_producers(labels, column_sums >= 1.0, "; coefficient columns summing to >= 1: ")
        )
    return result


def _name_producers(labels: object, mask: np.ndarray, prefix: str) -> str:
    if not mask.any():
        return ""
    index = np.flatnonzero(mask)
    names = [labels[i] for i in index] if labels is not None else list(index)
    return prefix + format_labels(names)


def multipliers(fac: LeontiefFactor, S: np.ndarray) -> np.ndarray:
    """Total (direct + indirect) multipliers ``M = S L``, as the solve ``(I - A)^T M^T = S^T``.

    Examples
    --------
    >>> Z = np.array([[150.0, 500.0], [200.0, 100.0]])
    >>> x = np.array([1000.0, 2000.0])
    >>> multipliers(factor(Z, x), np.array([[0.5, 0.0]])).round(4)
    array([[0.6271, 0.165 ]])
    """
    return np.atleast_2d(fac.solve(np.asarray(S, dtype=float).T, transposed=True).T)


def output_by_demand(fac: LeontiefFactor, Y: np.ndarray) -> np.ndarray:
    """Gross output driven by each final-demand column: ``X = L Y`` in one multi-column solve."""
    return fac.solve(np.asarray(Y, dtype=float))


def destination_footprint(S: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Emissions of each producer driven by each final-demand column.

    ``driven[k, i, c] = S[k, i] * X[i, c]`` for stressor ``k``, producer ``i`` and final-demand
    column ``c``. Summed over ``c`` it returns ``F`` exactly when ``x`` is balanced
    (``x = Z·1 + Y·1``).
    """
    S = np.asarray(S, dtype=float)
    return S[:, :, None] * X[None, :, :]


def composition(
    fac: LeontiefFactor, S: np.ndarray, product_demand: np.ndarray, products: np.ndarray
) -> np.ndarray:
    """Emissions of every producer driven by final demand for chosen products.

    ``result[k, i, j] = S[k, i] * L[i, products[j]] * product_demand[j]``: one column solve per
    chosen product, never the full inverse.

    Parameters
    ----------
    fac : LeontiefFactor
    S : (stressors, n) array
    product_demand : (len(products),) array
        Final demand for each chosen product.
    products : (len(products),) integer array
        Positions of the chosen products among the n producers.
    """
    n = fac.size
    rhs = np.zeros((n, len(products)))
    rhs[np.asarray(products), np.arange(len(products))] = product_demand
    return destination_footprint(S, fac.solve(rhs))
