"""Balancing a matrix to known row and column totals with GRAS, as a pure numpy function.

GRAS (generalised RAS; Junius & Oosterhaven 2003) adjusts a prior matrix ``X0`` that may hold
negative entries (net taxes, changes in inventories, re-exports) so that its rows sum to ``u``
and its columns to ``v``, changing it as little as possible in the sense of an entropy measure
on ``|X0|``. The prior is split into its positive and negative parts, ``X0 = P - N`` with
``P, N >= 0``, and the result is

    X = r̂ P ŝ - r̂⁻¹ N ŝ⁻¹

for positive row factors ``r`` and column factors ``s``: every entry keeps the sign of the
prior, and zeros stay zero. For a prior without negative entries this is RAS.

The factors are found by alternating, as in RAS: given ``s``, row ``i`` needs
``r_i p_i - n_i / r_i = u_i`` with ``p_i = Σ_j P_ij s_j`` and ``n_i = Σ_j N_ij / s_j``, whose
positive root is ``r_i = (u_i + sqrt(u_i² + 4 p_i n_i)) / (2 p_i)``; a row without positive
entries (``p_i = 0``) has ``r_i = -n_i / u_i`` (Lenzen, Wood & Gallego 2007). Columns likewise,
given ``r``. Temurshoev, Miller & Bouwmeester (2013) give the method in this form.

Dense arrays only: every step is a matrix-vector product over the full prior, so a
5,000 x 5,000 matrix costs a few tens of milliseconds per iteration. Sparse matrices are not
accepted (convert them with ``.toarray()``); the trade blocks GRAS reconciles here are dense.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridfoot.checks import check_finite, check_number
from gridfoot.errors import BalanceError, format_labels

__all__ = ["GrasResult", "gras"]


@dataclass(frozen=True, eq=False, repr=False)
class GrasResult:
    """A balanced matrix and how it was reached; returned by :func:`gras`.

    Attributes
    ----------
    X : (m, n) array
        The balanced matrix, ``r̂ P ŝ - r̂⁻¹ N ŝ⁻¹``.
    r : (m,) array
        Row factors, all positive; 1 for rows of zeros.
    s : (n,) array
        Column factors, all positive; 1 for columns of zeros.
    iterations : int
        Row-and-column steps taken; 0 when the prior already met its margins.
    residual : float
        Largest absolute gap between a row or column sum of ``X`` and its target, in the
        units of the margins, measured on the returned ``X``.
    converged : bool
        Always True: :func:`gras` raises instead of returning an unconverged result.
    """

    X: np.ndarray
    r: np.ndarray
    s: np.ndarray
    iterations: int
    residual: float
    converged: bool = True

    def __repr__(self) -> str:
        m, n = self.X.shape
        return (
            f"GrasResult({m} x {n}, iterations={self.iterations}, "
            f"residual={self.residual:.3g}, converged={self.converged})"
        )


def gras(
    prior: np.ndarray,
    row_totals: np.ndarray,
    column_totals: np.ndarray,
    *,
    tolerance: float = 1e-10,
    max_iterations: int = 10_000,
) -> GrasResult:
    """Scale ``prior`` to the given row and column totals, keeping every sign and zero (GRAS).

    Parameters
    ----------
    prior : (m, n) array
        The matrix to adjust, ``X0``; entries of either sign. Dense only.
    row_totals : (m,) array
        Targets ``u`` for the row sums.
    column_totals : (n,) array
        Targets ``v`` for the column sums.
    tolerance : float
        Relative tolerance. The iteration stops once every row sum and every column sum is
        within ``tolerance * max(1, scale)`` of its target, ``scale`` being the largest absolute
        target, ``max(|u|, |v|)``. The same bound is allowed between ``Σu`` and ``Σv``.
    max_iterations : int
        Row-and-column steps allowed before giving up.

    Returns
    -------
    GrasResult
        ``X``, the factors ``r`` and ``s``, the iterations taken and the residual gap.

    Raises
    ------
    BalanceError
        If the shapes disagree; if ``Σu`` and ``Σv`` differ by more than the tolerance; if a
        row or column cannot reach its target with the signs it has (all zero with a non-zero
        target, only positive entries with a target <= 0, only negative entries with a
        target >= 0); if the margins are not met after ``max_iterations`` steps; or if the
        factors overflow (both mean the margins are jointly infeasible, or the problem is
        scaled beyond what ``tolerance`` allows in floating point).
    ValueCheckError
        If any input is NaN or infinite.
    ConfigError
        If ``tolerance`` is not positive or ``max_iterations`` not a whole number >= 0.

    Notes
    -----
    A row with only positive entries cannot sum to 0 without losing them, so a zero target is
    refused rather than met by zeroing the row; zero such rows in the prior first if that is
    what is meant. Rows and columns of zeros with a zero target are left alone (factor 1).
    Margins can be feasible row by row and column by column and still be jointly infeasible
    (a block-diagonal prior whose blocks' totals disagree); that shows as non-convergence or
    divergence, which can take hundreds of iterations to appear.

    Only the proportions of a one-signed prior matter, as in RAS. With mixed signs they do not:
    GRAS weighs each entry by ``|X0|``, and scaling the prior by ``c`` adds ``-ln(c) Σ|x|``
    to its objective, which the margins do not fix; so ``gras(c * X0, u, v)`` differs from
    ``gras(X0, u, v)``. A change of units, ``gras(c * X0, c * u, c * v)``, returns ``c`` times
    the result, with the same factors.

    Examples
    --------
    A prior with a negative entry; the result keeps its sign and meets both margins.

    >>> result = gras(np.array([[4.0, 2.0], [3.0, -1.0]]), [7.0, 1.0], [5.0, 3.0])
    >>> result.X.round(4)
    array([[ 3.2539,  3.7461],
           [ 1.7461, -0.7461]])
    >>> result.X.sum(axis=1).round(9), result.X.sum(axis=0).round(9)
    (array([7., 1.]), array([5., 3.]))

    A row of positive entries cannot sum to a negative target:

    >>> gras(np.array([[1.0, 2.0], [3.0, 4.0]]), [-1.0, 11.0], [4.0, 6.0])
    Traceback (most recent call last):
    ...
    gridfoot.errors.BalanceError: rows with only positive entries cannot reach a target <= 0 \
(GRAS keeps signs): row 0 (target -1)
    """
    tolerance = check_number(tolerance, "tolerance", low=0, low_open=True)
    max_iterations = check_number(max_iterations, "max_iterations", low=0, integer=True)
    X0 = check_finite(prior, "prior")
    if X0.ndim != 2:
        raise BalanceError(f"prior must be a 2-D matrix, got an array of shape {X0.shape}")
    m, n = X0.shape
    u = _margin(row_totals, "row totals", m, "rows")
    v = _margin(column_totals, "column totals", n, "columns")

    scale = max(float(np.max(np.abs(u), initial=0.0)), float(np.max(np.abs(v), initial=0.0)))
    limit = tolerance * max(1.0, scale)
    if abs(u.sum() - v.sum()) > limit:
        raise BalanceError(
            f"row totals sum to {u.sum():.12g} but column totals sum to {v.sum():.12g}; "
            f"GRAS needs equal sums (to within {limit:.3g})"
        )

    positive, negative = X0 > 0, X0 < 0
    fixed_rows = _check_reachable(positive.any(axis=1), negative.any(axis=1), u, limit, "row")
    fixed_columns = _check_reachable(positive.any(axis=0), negative.any(axis=0), v, limit, "column")
    P = np.where(positive, X0, 0.0)
    # Most blocks of an IO table have no negative entries: then N is never formed and each
    # step is two matrix-vector products instead of four.
    N = np.where(negative, -X0, 0.0) if negative.any() else None

    r, s = np.ones(m), np.ones(n)
    row_p, row_n = _parts(P, N, s, transpose=False)
    column_p, column_n = _parts(P, N, r, transpose=True)
    gap = _largest_gap(r, s, row_p, row_n, column_p, column_n, u, v, iterations=0)
    iterations = 0
    # Margins that are jointly infeasible (each row and column reachable alone, not all of them
    # together) drive some factors to 0 and others to infinity; overflow is caught by
    # _largest_gap, so numpy's warnings about it are not wanted.
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        while gap > limit:
            if iterations == max_iterations:
                raise BalanceError(
                    f"GRAS did not converge in {max_iterations} iterations: the largest margin "
                    f"gap is {gap:.3g}, above the tolerance {limit:.3g} (the margins may be "
                    "jointly infeasible for the prior's signs and zeros)"
                )
            r = _factors(row_p, row_n, u, fixed_rows)
            column_p, column_n = _parts(P, N, r, transpose=True)
            s = _factors(column_p, column_n, v, fixed_columns)
            row_p, row_n = _parts(P, N, s, transpose=False)
            iterations += 1
            gap = _largest_gap(r, s, row_p, row_n, column_p, column_n, u, v, iterations)

    # X = r̂ P ŝ - r̂⁻¹ N ŝ⁻¹, built in place of P and N (our own copies), so the largest
    # allocation of the whole call stays at two matrices besides the prior.
    X = np.multiply(P, r[:, None], out=P)
    X *= s
    if N is not None:
        np.divide(N, r[:, None], out=N)
        N /= s
        X -= N
    residual = max(
        float(np.max(np.abs(X.sum(axis=1) - u), initial=0.0)),
        float(np.max(np.abs(X.sum(axis=0) - v), initial=0.0)),
    )
    return GrasResult(X=X, r=r, s=s, iterations=iterations, residual=residual)


def _margin(values: object, name: str, size: int, along: str) -> np.ndarray:
    array = check_finite(values, name)
    if array.shape != (size,):
        raise BalanceError(
            f"{name}: expected {size} values, one per {along[:-1]} of the prior "
            f"({size} {along}), got an array of shape {array.shape}"
        )
    return array


def _check_reachable(
    has_positive: np.ndarray, has_negative: np.ndarray, target: np.ndarray, limit: float, kind: str
) -> np.ndarray:
    """Refuse targets a row (column) cannot reach with the signs of its entries.

    Returns the mask of rows (columns) of zeros, whose factor stays 1. A row with entries of
    both signs reaches any target: ``r p - n / r`` runs over all reals as ``r`` runs over
    ``(0, inf)``. With one sign only it reaches targets of that sign only.
    """
    zero = ~has_positive & ~has_negative
    refusals = [
        (zero & (np.abs(target) > limit), f"all-zero {kind}s cannot reach a non-zero target"),
        (
            has_positive & ~has_negative & (target <= 0),
            f"{kind}s with only positive entries cannot reach a target <= 0 (GRAS keeps signs)",
        ),
        (
            ~has_positive & has_negative & (target >= 0),
            f"{kind}s with only negative entries cannot reach a target >= 0 (GRAS keeps signs)",
        ),
    ]
    for bad, reason in refusals:
        if bad.any():
            where = [f"{kind} {i} (target {target[i]:.6g})" for i in np.flatnonzero(bad)]
            raise BalanceError(f"{reason}: {format_labels(where, limit=5)}")
    return zero


def _parts(
    P: np.ndarray, N: np.ndarray | None, factors: np.ndarray, transpose: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``p = P f`` and ``n = N (1/f)`` (``Pᵀ`` and ``Nᵀ`` with ``transpose``)."""
    if transpose:
        p = factors @ P
        n = (1.0 / factors) @ N if N is not None else np.zeros(P.shape[1])
    else:
        p = P @ factors
        n = N @ (1.0 / factors) if N is not None else np.zeros(P.shape[0])
    return p, n


def _factors(p: np.ndarray, n: np.ndarray, target: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """The positive root ``f`` of ``f p - n / f = target``, elementwise; 1 where ``fixed``.

    ``(t + sqrt(t² + 4pn)) / (2p)`` loses every digit to cancellation when ``t < 0`` and
    ``4pn << t²``; there the same root is written ``2n / (sqrt(t² + 4pn) - t)``, which has no
    cancellation and gives Lenzen's ``-n / t`` at ``p = 0``.
    """
    root = np.hypot(target, 2.0 * np.sqrt(p) * np.sqrt(n))
    with np.errstate(divide="ignore", invalid="ignore"):
        factors = np.where(target >= 0, (target + root) / (2.0 * p), 2.0 * n / (root - target))
    factors[fixed] = 1.0
    return factors


def _largest_gap(
    r: np.ndarray,
    s: np.ndarray,
    row_p: np.ndarray,
    row_n: np.ndarray,
    column_p: np.ndarray,
    column_n: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    iterations: int,
) -> float:
    """Largest margin gap of the current ``X``, or refuse if the factors have overflowed.

    Row gaps ``|r p - n / r - u|`` use ``p, n`` of the latest ``s``; column gaps use those of
    the ``r`` that ``s`` was solved against: both are margins of ``r̂ P ŝ - r̂⁻¹ N ŝ⁻¹``, found
    without another pass over the matrix.
    """
    gaps = np.concatenate([r * row_p - row_n / r - u, s * column_p - column_n / s - v])
    if not np.isfinite(gaps).all():
        raise BalanceError(
            f"GRAS diverged after {iterations} iterations (factors overflowed): the margins "
            "cannot be met with the signs and zeros of the prior"
        )
    return float(np.max(np.abs(gaps), initial=0.0))
