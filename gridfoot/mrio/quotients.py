"""Location quotients: regional input coefficients estimated from a national table.

Without a sub-national table, a region's input coefficients are estimated from the nation's
(DESIGN 2b): a region produces only part of what its industries buy, the rest comes from
other regions, and location quotients say how much. Everything here is a pure function of
output arrays (regions x sectors), with no labels; the results are estimates and the caller
labels them so.

Notation: ``x_rs`` the output of sector ``s`` in region ``r``, ``x_r = Σ_s x_rs`` the region's
total, ``x_Ns`` and ``x_N`` the national ones (by default the sums over the regions given).

- Simple location quotient ``SLQ_rs = (x_rs / x_r) / (x_Ns / x_N)``: how concentrated sector
  ``s`` is in region ``r``.
- Cross-industry quotient ``CILQ_r[i, j] = SLQ_ri / SLQ_rj`` for a supplying sector ``i`` and
  a buying sector ``j``, with ``SLQ_ri`` on the diagonal (Flegg's convention, after Smith &
  Morrison 1974, since ``SLQ_ri / SLQ_ri`` would always be 1).
- Flegg's quotient (Flegg, Webber & Elliott 1995; Flegg & Webber 1997)
  ``FLQ_r[i, j] = CILQ_r[i, j] · λ_r``, ``λ_r = [log2(1 + x_r / x_N)]^δ`` with ``0 <= δ < 1``:
  small regions import more, whatever their specialisation.

A regional coefficient is the national one times ``min(quotient, 1)``: a quotient of 1 or more
says the region can supply all it needs of that input itself.

Zeros: a sector with no national output, or a region with no output at all, gets quotient 0.
A sector absent from a region (``SLQ_rj = 0``) makes ``CILQ_r[i, j] = SLQ_ri / 0`` undefined;
it is set to 0, because the sector does not exist in that region and so has no local
purchases. Row ``i`` of an absent supplier is 0 as well: nothing of it is bought locally.
"""

from __future__ import annotations

import numpy as np

from gridfoot.checks import check_finite, check_number
from gridfoot.errors import ValueCheckError

__all__ = ["cilq", "flq", "flq_lambda", "regional_coefficients", "slq"]


def slq(regional_output: np.ndarray, national_output: np.ndarray | None = None) -> np.ndarray:
    """Simple location quotients ``(x_rs / x_r) / (x_Ns / x_N)``, shape (regions, sectors).

    Parameters
    ----------
    regional_output : (regions, sectors) array
        Output (or another size measure, such as employment) of each sector in each region;
        non-negative.
    national_output : (sectors,) array, optional
        National output by sector; by default the sum over the regions given.

    Examples
    --------
    Region a makes 30 of sector 1 and 10 of sector 2, region b 20 and 40: a holds 75% of its
    output in sector 1 against 50% nationally, so its quotient for sector 1 is 1.5.

    >>> slq(np.array([[30.0, 10.0], [20.0, 40.0]])).round(4)
    array([[1.5   , 0.5   ],
           [0.6667, 1.3333]])
    """
    x, national = _outputs(regional_output, national_output)
    region_total = x.sum(axis=1)
    # x_rs x_N / (x_r x_Ns): one division, zero where the region or the national sector is
    # empty (then the numerator's own shares are undefined).
    denominator = region_total[:, None] * national[None, :]
    numerator = x * national.sum()
    return np.divide(numerator, denominator, out=np.zeros_like(x), where=denominator > 0)


def cilq(regional_output: np.ndarray, national_output: np.ndarray | None = None) -> np.ndarray:
    """Cross-industry quotients ``SLQ_ri / SLQ_rj``, shape (regions, sectors, sectors).

    ``[r, i, j]`` is for supplying sector ``i`` and buying sector ``j`` in region ``r``. The
    diagonal holds ``SLQ_ri`` (Flegg's convention). Where ``SLQ_rj = 0`` (sector ``j`` absent
    from the region) the column is 0: the sector has no local purchases there. Parameters as
    :func:`slq`.

    Examples
    --------
    >>> cilq(np.array([[30.0, 10.0], [20.0, 40.0]]))[0].round(4)
    array([[1.5   , 3.    ],
           [0.3333, 0.5   ]])
    """
    quotients = slq(regional_output, national_output)
    buyer = np.broadcast_to(quotients[:, None, :], (*quotients.shape, quotients.shape[1]))
    result = np.divide(quotients[:, :, None], buyer, out=np.zeros(buyer.shape), where=buyer > 0)
    diagonal = np.arange(quotients.shape[1])
    result[:, diagonal, diagonal] = quotients
    return result


def flq_lambda(
    regional_output: np.ndarray,
    national_output: np.ndarray | None = None,
    *,
    delta: float = 0.3,
) -> np.ndarray:
    """Flegg's regional size weight ``λ_r = [log2(1 + x_r / x_N)]^δ``, shape (regions,).

    Parameters as :func:`slq`; ``delta`` in ``[0, 1)`` (Flegg & Webber suggest about 0.3;
    larger values mean more imports). A nation with no output gives every region
    ``x_r / x_N = 0``.

    Examples
    --------
    A region with a tenth of national output: ``[log2(1.1)]^0.3``.

    >>> flq_lambda(np.array([[10.0]]), np.array([100.0])).round(4)
    array([0.5514])
    """
    delta = check_number(delta, "delta", low=0, high=1, high_open=True)
    x, national = _outputs(regional_output, national_output)
    total = national.sum()
    share = x.sum(axis=1) / total if total > 0 else np.zeros(x.shape[0])
    return np.log2(1.0 + share) ** delta


def flq(
    regional_output: np.ndarray,
    national_output: np.ndarray | None = None,
    *,
    delta: float = 0.3,
) -> np.ndarray:
    """Flegg's location quotients ``CILQ_r[i, j] · λ_r``, shape (regions, sectors, sectors).

    See :func:`cilq` for the cross-industry quotient (diagonal ``SLQ_ri``, zero columns for
    absent sectors) and :func:`flq_lambda` for ``λ_r`` and ``delta``.

    Examples
    --------
    >>> flq(np.array([[30.0, 10.0], [20.0, 40.0]]))[0].round(4)
    array([[1.2076, 2.4152],
           [0.2684, 0.4025]])
    """
    weight = flq_lambda(regional_output, national_output, delta=delta)
    return cilq(regional_output, national_output) * weight[:, None, None]


def regional_coefficients(national_A: np.ndarray, quotients: np.ndarray) -> np.ndarray:
    """Regional input coefficients ``A[i, j] · min(q_r[i, j], 1)``, shape (regions, n, n).

    Parameters
    ----------
    national_A : (n, n) array
        National technical coefficients (total or domestic), supplier ``i`` by buyer ``j``.
    quotients : (regions, n, n) or (regions, n) array
        Cross-industry quotients (:func:`cilq`, :func:`flq`), or simple ones (:func:`slq`),
        which apply to every buyer alike: ``q_r[i, j] = SLQ_ri``.

    Examples
    --------
    >>> A = np.array([[0.2, 0.1], [0.3, 0.4]])
    >>> regional_coefficients(A, cilq(np.array([[30.0, 10.0], [20.0, 40.0]])))[0]
    array([[0.2, 0.1],
           [0.1, 0.2]])
    """
    A = check_finite(national_A, "national_A")
    q = check_finite(quotients, "quotients")
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueCheckError(f"national_A: expected a square matrix, got shape {A.shape}")
    n = A.shape[0]
    if q.ndim == 2 and q.shape[1] == n:
        q = q[:, :, None]  # SLQ of the supplying sector, for every buyer
    elif not (q.ndim == 3 and q.shape[1:] == (n, n)):
        raise ValueCheckError(
            f"quotients: expected shape (regions, {n}, {n}) or (regions, {n}) for the "
            f"{n} sectors of national_A, got {q.shape}"
        )
    if (q < 0).any():
        raise ValueCheckError(f"quotients: {int((q < 0).sum())} negative values")
    return A[None, :, :] * np.minimum(q, 1.0)


def _outputs(
    regional_output: np.ndarray, national_output: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Checked ``(x, x_N)``: non-negative and finite, (regions, sectors) and (sectors,)."""
    x = check_finite(regional_output, "regional_output")
    if x.ndim != 2:
        raise ValueCheckError(
            f"regional_output: expected a (regions, sectors) array, got shape {x.shape}"
        )
    if national_output is None:
        national = x.sum(axis=0)
    else:
        national = check_finite(national_output, "national_output")
        if national.shape != (x.shape[1],):
            raise ValueCheckError(
                f"national_output: expected {x.shape[1]} values, one per sector of "
                f"regional_output, got shape {national.shape}"
            )
    for name, values in (("regional_output", x), ("national_output", national)):
        if (values < 0).any():
            raise ValueCheckError(f"{name}: {int((values < 0).sum())} negative values")
    return x, national
