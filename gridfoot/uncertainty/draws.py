"""Random perturbations for uncertainty draws: lognormal factors and Dirichlet shares.

Every function takes a :class:`numpy.random.Generator`, so a run is reproduced from its seed,
and draws from it in a fixed order.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from gridfoot.checks import check_finite
from gridfoot.errors import ValueCheckError

__all__ = ["dirichlet_weights", "lognormal_factors", "perturb", "perturb_rows"]


def _check_cv(cv: object) -> np.ndarray:
    """``cv`` as a float array, finite and >= 0."""
    values = np.asarray(cv, dtype=float)
    if not (np.isfinite(values).all() and (values >= 0).all()):
        raise ValueCheckError(f"cv: a coefficient of variation must be finite and >= 0, got {cv!r}")
    return values


def lognormal_factors(
    rng: np.random.Generator, size: int | tuple[int, ...], cv: float | np.ndarray
) -> np.ndarray:
    """Multiplicative factors with expectation 1 and coefficient of variation ``cv``.

    ``exp(sigma z - sigma^2 / 2)`` with ``z`` standard normal and ``sigma^2 = ln(1 + cv^2)``:
    a lognormal whose mean is exactly 1 (so perturbed values are unbiased) and whose standard
    deviation is ``cv``.

    Parameters
    ----------
    rng : numpy.random.Generator
    size : int or tuple of int
        Shape of the result.
    cv : float or array broadcastable to ``size``
        Coefficient of variation, finite and >= 0. Where it is 0 the factor is exactly 1;
        when it is 0 everywhere no random numbers are drawn (an MRIO draw that leaves ``Z``
        alone does not pay for ``n^2`` normals).

    Examples
    --------
    >>> lognormal_factors(np.random.default_rng(0), 3, 0.0)
    array([1., 1., 1.])
    >>> lognormal_factors(np.random.default_rng(0), 3, 0.1).round(3)
    array([1.008, 0.982, 1.061])
    """
    cv = _check_cv(cv)
    if not cv.any():
        return np.ones(np.broadcast_shapes(np.shape(np.empty(size, dtype=bool)), cv.shape))
    sigma = np.sqrt(np.log1p(cv * cv))
    z = rng.standard_normal(size)
    return np.exp(sigma * z - 0.5 * sigma * sigma)


def perturb(rng: np.random.Generator, values: np.ndarray, cv: float | np.ndarray) -> np.ndarray:
    """``values`` times independent :func:`lognormal_factors`, entry by entry.

    The factors are positive, so signs and zeros are kept: a negative inventory change stays
    negative, an empty flow stays empty. Each entry keeps its expectation.

    Raises
    ------
    ValueCheckError
        If ``values`` holds NaN or infinite entries, or ``cv`` is negative or not finite.

    Examples
    --------
    >>> perturb(np.random.default_rng(0), np.array([2.0, 0.0, -3.0]), 0.1).round(3)
    array([ 2.015,  0.   , -3.182])
    """
    values = check_finite(values, "values")
    return values * lognormal_factors(rng, values.shape, cv)


def perturb_rows(rng: np.random.Generator, values: np.ndarray, cv: float) -> np.ndarray:
    """:func:`perturb` a 2-D table's entries, then give each row back its own total.

    A row's change is spread over its entries in proportion to their size (``|value|``), so
    each row's total is kept exactly and only the split across columns is drawn. Final demand
    needs this: a row whose positive and negative entries (purchases and a large inventory
    draw-down) nearly cancel would otherwise see its total, and the producer's output,
    swing by many times.

    Examples
    --------
    >>> table = np.array([[10.0, -9.0, 1.0], [2.0, 2.0, 0.0]])
    >>> drawn = perturb_rows(np.random.default_rng(1), table, 0.2)
    >>> drawn.sum(axis=1).round(12).tolist(), bool(((drawn < 0) == (table < 0)).all())
    ([2.0, 4.0], True)
    """
    values = check_finite(values, "values")
    drawn = perturb(rng, values, cv)
    size = np.abs(drawn).sum(axis=1, keepdims=True)
    change = values.sum(axis=1, keepdims=True) - drawn.sum(axis=1, keepdims=True)
    ratio = np.divide(change, size, out=np.zeros_like(change), where=size > 0)
    # a change as large as the row's whole size would flip the signs of some entries: such a
    # draw (cv near 1) leaves the row as it was
    kept = np.abs(ratio) < 1
    return np.where(kept, drawn + ratio * np.abs(drawn), values)


def dirichlet_weights(
    rng: np.random.Generator,
    weights: np.ndarray,
    groups: np.ndarray,
    concentration: float,
    per_point: bool = False,
) -> np.ndarray:
    """Redraw the shares of each group's (producer's) points, keeping each group's total.

    Within a group of total ``T`` with shares ``s_i`` the new weights are ``T p`` with
    ``p ~ Dirichlet(a * s)``: ``E[p_i] = s_i`` and ``Var[p_i] = s_i (1 - s_i) / (a + 1)``,
    where ``a`` is ``concentration``, or with ``per_point`` ``concentration`` times the
    group's number of points of positive weight. A group-wide ``a`` lets a point's share
    vary more the more points share it (equal shares: coefficient of variation about
    ``sqrt(n / a)``); per point it is about ``1 / sqrt(concentration)`` whatever ``n``.

    Parameters
    ----------
    rng : numpy.random.Generator
    weights : (points,) array
        Non-negative weights (emissions or proxies) of the points.
    groups : (points,) integer array
        Group (producer) index of each point, >= 0.
    concentration : float
        Finite and > 0; the larger, the closer the draws stay to the given shares.
    per_point : bool
        Scale the concentration by each group's number of points (see above).

    Returns
    -------
    (points,) array
        New weights; each group's total equals its given total to rounding. Zero-weight
        points stay 0, a group's only point keeps its weight, groups of total 0 stay 0.

    Notes
    -----
    Dirichlet draws are normalised Gamma draws, all points at once. Each Gamma is drawn in
    logarithms, ``ln G = ln G' + ln(U) / a`` with ``G' ~ Gamma(a + 1)`` and ``U`` uniform on
    (0, 1] (Marsaglia & Tsang's boost, exact for any ``a > 0``), and exponentiated relative
    to its group's largest: with small ``concentration * s_i`` plain Gamma draws underflow to
    0 and a group could lose its whole total. Two arrays of random numbers are drawn, over
    the points of positive weight, in the order given.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> new = dirichlet_weights(rng, np.array([1.0, 3.0, 0.0, 5.0]), np.array([0, 0, 0, 1]), 10.0)
    >>> new.round(3)
    array([0.862, 3.138, 0.   , 5.   ])
    >>> float(new[:3].sum())
    4.0
    """
    weights = check_finite(weights, "weights")
    groups = np.asarray(groups)
    if weights.ndim != 1 or groups.shape != weights.shape:
        raise ValueCheckError(
            f"dirichlet_weights: weights and groups must be 1-D of the same length, got shapes "
            f"{weights.shape} and {groups.shape}"
        )
    if (weights < 0).any():
        raise ValueCheckError(
            f"dirichlet_weights: {int((weights < 0).sum())} negative weights; shares need "
            "weights >= 0"
        )
    if groups.size and (groups.dtype.kind not in "iu" or groups.min() < 0):
        raise ValueCheckError(
            "dirichlet_weights: groups must be integer indices >= 0, got "
            f"dtype {groups.dtype}" + (f", min {groups.min()}" if groups.dtype.kind in "iu" else "")
        )
    if not (
        isinstance(concentration, Real)
        and not isinstance(concentration, bool)
        and np.isfinite(concentration)
        and concentration > 0
    ):
        raise ValueCheckError(
            f"dirichlet_weights: concentration must be a finite number > 0, got {concentration!r}"
        )

    totals = np.bincount(groups, weights=weights)
    positive = np.flatnonzero(weights > 0)
    result = np.zeros_like(weights)
    if positive.size == 0:
        return result
    group = groups[positive]
    alpha = float(concentration) * weights[positive] / totals[group]
    if per_point:
        alpha *= np.bincount(group, minlength=totals.size)[group]
    log_gamma = np.log(rng.standard_gamma(alpha + 1.0))
    with np.errstate(over="ignore"):  # ln(U) / a below -1.8e308: a Gamma draw of exactly 0
        log_gamma += np.log(1.0 - rng.random(positive.size)) / alpha  # 1 - U lies in (0, 1]
    # kept finite, so a group whose every draw is 0 to double precision (concentrations
    # near 1e-308) shares its total equally instead of turning NaN
    np.maximum(log_gamma, np.finfo(float).min, out=log_gamma)
    largest = np.full(totals.shape, -np.inf)
    np.maximum.at(largest, group, log_gamma)
    relative = np.exp(log_gamma - largest[group])  # the group's largest is 1: no underflow
    sums = np.bincount(group, weights=relative, minlength=totals.size)
    result[positive] = totals[group] * (relative / sums[group])
    return result
