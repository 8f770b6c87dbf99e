"""Statistics of Monte Carlo draws: per-cell, streamed; and scalar intervals held in full.

A grid study draws a few hundred realisations of a map with ~10^5-10^6 cells; holding them all
to take quantiles would need ``draws x cells x 8`` bytes (200 draws of a 10^6-cell map: 1.6 GB).
:class:`CellStatistics` keeps instead, per cell, only the order statistics that numpy's
"linear" quantile reads, plus Welford's running mean and sum of squared deviations, and still
returns exactly what ``np.quantile`` / ``np.mean`` / ``np.std`` of the stacked draws would.
Draws taken in parts (batches on dask's workers) are merged into the same statistics
(:meth:`CellStatistics.merge`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real

import numpy as np

from gridfoot.errors import ValueCheckError

__all__ = ["CellStatistics", "interval"]


def _check_quantiles(quantiles: Iterable[float], name: str = "quantiles") -> tuple[float, ...]:
    """Quantiles as floats in [0, 1], without duplicates, in the order given."""
    items = tuple(quantiles)
    bad = [
        q
        for q in items
        if not (isinstance(q, Real) and not isinstance(q, bool) and 0.0 <= float(q) <= 1.0)
    ]
    if bad:
        raise ValueCheckError(f"{name}: every quantile must be a number in [0, 1], got {bad}")
    values = tuple(float(q) for q in items)
    if len(set(values)) != len(values):
        raise ValueCheckError(f"{name}: quantiles must not repeat, got {list(values)}")
    return values


def _check_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueCheckError(f"{name}: must be a whole number >= 1, got {value!r}")
    return int(value)


def _position(draws: int, q: float) -> tuple[int, int, float]:
    """``(lower, upper, gamma)``: the order statistics numpy's linear quantile reads, and the
    weight of the upper one.

    Mirrors numpy: virtual index ``h = (N - 1) q`` computed in float64 (so ``0.07 * 99``
    rounds the same way), ``lower = floor(h)``; ``upper = lower + 1`` below the last index,
    where the spec's ``ceil(h)`` would do as well (with ``gamma = 0`` the upper value is
    multiplied by zero), and both are the last index at ``h >= N - 1``.
    """
    h = (draws - 1) * q
    lower = math.floor(h)
    if h >= draws - 1:
        return draws - 1, draws - 1, h - lower
    return lower, lower + 1, h - lower


def _layers(draws: int, quantiles: Sequence[float]) -> tuple[int, int]:
    """Layers kept per cell: ``(smallest, largest)`` values. At least one each, because those
    hold the minimum and the maximum."""
    low, high = 1, 1
    for q in quantiles:
        lower, upper, _ = _position(draws, q)
        if q < 0.5:
            low = max(low, upper + 1)  # order statistics 0 .. upper
        else:
            high = max(high, draws - lower)  # order statistics lower .. N - 1
    return low, high


#: Cells merged at once (:meth:`_Extremes.merge`): 8,192 cells of twice 11 layers (p05 of 200
#: draws) are 1.4 MiB of temporaries, however large the grid.
_MERGE_BLOCK = 8_192


def _index_dtype(layers: int) -> np.dtype:
    """Smallest unsigned integer type that can name a layer of the buffer."""
    return np.min_scalar_type(max(layers - 1, 0))


def _lerp(a: np.ndarray, b: np.ndarray, gamma: float) -> np.ndarray:
    """numpy's own interpolation (``numpy.lib._function_base_impl._lerp``), operation for
    operation, so the result is bitwise what ``np.quantile`` returns."""
    diff = b - a
    if gamma >= 0.5:
        return b - diff * (1 - gamma)
    return a + diff * gamma


class _Extremes:
    """The ``layers`` smallest values seen per cell (flat cells), updated in place.

    The largest values are kept as the smallest of the negated values, so one code path
    serves both ends. Once full, each cell remembers where its largest kept value is: a new
    value replaces it only if smaller, and only replaced cells are searched again. After k
    draws about ``layers / k`` of the cells change, so late draws cost little more than one
    comparison per cell, far less than partitioning ``layers + 1`` values per cell each time.
    """

    def __init__(self, cells: int, layers: int) -> None:
        self.layers = layers
        self.values = np.empty((layers, cells))
        self.worst = np.zeros(cells, dtype=_index_dtype(layers))
        self.filled = 0
        self._cells = np.arange(cells)

    @property
    def nbytes(self) -> int:
        return self.values.nbytes + self.worst.nbytes

    def add(self, values: np.ndarray) -> None:
        if self.filled < self.layers:
            self.values[self.filled] = values
            self.filled += 1
            if self.filled == self.layers:
                self.worst[:] = self.values.argmax(axis=0)
            return
        changed = np.flatnonzero(values < self.values[self.worst, self._cells])
        if changed.size:
            self.values[self.worst[changed], changed] = values[changed]
            self.worst[changed] = self.values[:, changed].argmax(axis=0)

    def merge(self, other: _Extremes) -> None:
        """Keep the ``layers`` smallest of the union of both buffers' values, per cell.

        The ``k`` smallest of a union are among the ``k`` smallest of each part, so a part's
        buffer holds all of the union's that it can: merged buffers equal one buffer that saw
        every value (as a multiset per cell, which is all the quantiles read).
        """
        take = other.values[: other.filled]
        free = self.layers - self.filled
        if take.shape[0] <= free:
            self.values[self.filled : self.filled + take.shape[0]] = take
            self.filled += take.shape[0]
            if take.shape[0] and self.filled == self.layers:
                self.worst[:] = self.values.argmax(axis=0)
            return
        kth = self.layers - 1
        cells = self.values.shape[1]
        # by blocks of cells, so the union of both buffers is never held whole; each cell's
        # values in a row of their own, so the partition runs along memory (several times
        # faster than along the strided layer axis)
        for start in range(0, cells, _MERGE_BLOCK):
            block = slice(start, start + _MERGE_BLOCK)
            union = np.concatenate([self.values[: self.filled, block].T, take[:, block].T], axis=1)
            union.partition(kth, axis=1)
            self.values[:, block] = union[:, : self.layers].T
        self.filled = self.layers
        self.worst[:] = kth  # partitioning put each cell's largest kept value at row kth

    def sorted(self) -> np.ndarray:
        return np.sort(self.values[: self.filled], axis=0)


class CellStatistics:
    """Per-cell statistics of a known number of draws, accumulated one draw at a time, or in
    parts merged afterwards (:meth:`merge`: the draws of several dask tasks).

    Memory does not grow with the draws (except through the quantiles' order statistics, see
    Notes): :meth:`bytes_needed` says before a run how much the statistics will hold.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of one draw (a grid layer ``(y, x)``, or any shape).
    draws : int
        Number of draws that will be added; the quantiles need it in advance.
    quantiles : sequence of float
        Quantiles in [0, 1] that :meth:`quantile` will return.

    Notes
    -----
    For each ``q`` numpy's "linear" quantile interpolates between the order statistics
    ``floor(h)`` and ``floor(h) + 1`` with ``h = (N - 1) q``. For ``q < 0.5`` the
    ``floor(h) + 2`` smallest values per cell are kept, for ``q >= 0.5`` the ``N - floor(h)``
    largest; all quantiles below 0.5 share one buffer, all others another. With
    ``quantiles=(0.05, 0.95)`` and 200 draws that is 11 + 11 layers instead of 200. A median
    (``q = 0.5``) is allowed but needs about ``N / 2`` layers: half of the stacked draws.

    The mean and the standard deviation use Welford's update (running mean and sum of squared
    deviations, float64): no cancellation between large sums, unlike ``sum(x^2) - n mean^2``.
    They, :attr:`minimum` and :attr:`maximum` may be read after any number of draws;
    :meth:`quantile` only after all of them.

    Examples
    --------
    >>> stats = CellStatistics((2,), draws=5, quantiles=(0.25, 0.75))
    >>> for value in [3.0, 1.0, 4.0, 1.0, 5.0]:
    ...     stats.add(np.array([value, -value]))
    >>> stats.quantile(0.25), stats.quantile(0.75)
    (array([ 1., -4.]), array([ 4., -1.]))
    >>> stats.mean, stats.maximum
    (array([ 2.8, -2.8]), array([ 5., -1.]))
    >>> CellStatistics.bytes_needed(cells=1_000_000, draws=200, quantiles=(0.05, 0.95))
    194000000
    """

    def __init__(
        self, shape: int | tuple[int, ...], draws: int, quantiles: Sequence[float] = (0.05, 0.95)
    ) -> None:
        shape = (shape,) if isinstance(shape, Integral) else tuple(shape)
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 0 for s in shape):
            raise ValueCheckError(f"shape: must be whole numbers >= 0, got {shape!r}")
        self.shape: tuple[int, ...] = tuple(int(s) for s in shape)
        self.draws: int = _check_count(draws, "draws")
        self.quantiles: tuple[float, ...] = _check_quantiles(quantiles)
        cells = math.prod(self.shape)
        low, high = _layers(self.draws, self.quantiles)
        self._low = _Extremes(cells, low)
        self._high = _Extremes(cells, high)  # holds negated values
        self._count = 0
        self._mean = np.zeros(cells)
        self._m2 = np.zeros(cells)  # sum of squared deviations from the running mean

    @staticmethod
    def bytes_needed(cells: int, draws: int, quantiles: Sequence[float] = (0.05, 0.95)) -> int:
        """Bytes a :class:`CellStatistics` of ``cells`` cells will hold (its :attr:`nbytes`),
        so a run can be refused before it starts.

        Examples
        --------
        >>> CellStatistics.bytes_needed(cells=10, draws=200, quantiles=(0.05, 0.95))
        1940
        """
        if isinstance(cells, bool) or not isinstance(cells, Integral) or cells < 0:
            raise ValueCheckError(f"cells: must be a whole number >= 0, got {cells!r}")
        draws = _check_count(draws, "draws")
        low, high = _layers(draws, _check_quantiles(quantiles))
        per_cell = 8 * (low + high + 2)  # both buffers, mean and sum of squares
        per_cell += _index_dtype(low).itemsize + _index_dtype(high).itemsize
        return int(cells) * per_cell

    @property
    def count(self) -> int:
        """Draws added so far."""
        return self._count

    @property
    def nbytes(self) -> int:
        """Bytes held by the statistics' arrays."""
        return self._low.nbytes + self._high.nbytes + self._mean.nbytes + self._m2.nbytes

    def add(self, values: np.ndarray) -> None:
        """Add one draw: an array of :attr:`shape`, finite, converted to float64.

        Raises
        ------
        ValueCheckError
            If all :attr:`draws` are already in, the shape differs, or a value is NaN or
            infinite (it would spoil every statistic of its cell silently).
        """
        if self._count >= self.draws:
            raise ValueCheckError(
                f"CellStatistics: all {self.draws} draws are already in; cannot add another"
            )
        values = np.asarray(values, dtype=np.float64)
        if values.shape != self.shape:
            raise ValueCheckError(
                f"CellStatistics: a draw must have shape {self.shape}, got {values.shape}"
            )
        values = values.reshape(-1)
        finite = np.isfinite(values)
        if not finite.all():
            raise ValueCheckError(
                f"CellStatistics: draw {self._count + 1} has {finite.size - int(finite.sum())} "
                "NaN or infinite values"
            )
        self._low.add(values)
        self._high.add(-values)
        self._count += 1
        delta = values - self._mean
        self._mean += delta / self._count
        self._m2 += delta * (values - self._mean)

    def merge(self, other: CellStatistics) -> CellStatistics:
        """Add the draws another part took, in place; return ``self``.

        Draws split into parts (each a :class:`CellStatistics` of the same ``shape``,
        ``draws`` and ``quantiles``, made with the whole run's ``draws`` so that it keeps as
        many order statistics as the whole needs) and merged give what one object that saw
        every draw gives: the same quantiles, minimum and maximum, bit for bit, and the mean
        and standard deviation to rounding (Chan, Golub & LeVeque's pairwise update of the
        mean and the sum of squared deviations). ``other`` is left as it was.

        Parameters
        ----------
        other : CellStatistics
            Another part's statistics.

        Returns
        -------
        CellStatistics
            ``self``, holding both parts' draws.

        Raises
        ------
        ValueCheckError
            If ``other`` is of another shape, number of draws or quantiles, or both parts
            together hold more than :attr:`draws` draws.

        Examples
        --------
        >>> values = [3.0, 1.0, 4.0, 1.0, 5.0]
        >>> first, second = (CellStatistics(1, draws=5, quantiles=(0.25,)) for _ in range(2))
        >>> for value in values[:2]:
        ...     first.add(np.array([value]))
        >>> for value in values[2:]:
        ...     second.add(np.array([value]))
        >>> merged = first.merge(second)
        >>> merged.count, merged.quantile(0.25), merged.mean
        (5, array([1.]), array([2.8]))
        """
        if not isinstance(other, CellStatistics):
            raise ValueCheckError(
                f"CellStatistics.merge: expected a CellStatistics, got {type(other).__name__}"
            )
        mine = (self.shape, self.draws, self.quantiles)
        theirs = (other.shape, other.draws, other.quantiles)
        if mine != theirs:
            raise ValueCheckError(
                "CellStatistics.merge: parts must share shape, draws and quantiles, got "
                f"{mine} and {theirs}"
            )
        n_self, n_other = self._count, other._count
        if n_self + n_other > self.draws:
            raise ValueCheckError(
                f"CellStatistics.merge: {n_self} + {n_other} draws are more than the "
                f"{self.draws} expected"
            )
        if n_other == 0:
            return self
        self._low.merge(other._low)
        self._high.merge(other._high)
        total = n_self + n_other
        # Chan et al. (1979): with delta the difference of the means, the mean moves by
        # delta n_b / n and the sums of squared deviations add up plus delta^2 n_a n_b / n
        delta = other._mean - self._mean
        self._mean += delta * (n_other / total)
        self._m2 += other._m2 + delta * delta * (n_self * n_other / total)
        self._count = total
        return self

    def _need(self, what: str) -> None:
        if self._count == 0:
            raise ValueCheckError(f"CellStatistics: no draws added yet; {what} is undefined")

    def _shaped(self, values: np.ndarray) -> np.ndarray:
        return values.reshape(self.shape)

    @property
    def mean(self) -> np.ndarray:
        """Mean of the draws added so far, per cell."""
        self._need("the mean")
        return self._shaped(self._mean.copy())

    @property
    def std(self) -> np.ndarray:
        """Sample standard deviation (``ddof=1``) per cell; NaN after a single draw."""
        self._need("the standard deviation")
        if self._count < 2:
            return self._shaped(np.full(self._mean.shape, np.nan))
        # Welford's sum is >= 0 in exact arithmetic; clip rounding below zero
        return self._shaped(np.sqrt(np.maximum(self._m2, 0.0) / (self._count - 1)))

    @property
    def cv(self) -> np.ndarray:
        """Coefficient of variation ``std / |mean|`` per cell; NaN where the mean is 0 (a cell
        that is always empty has no relative spread) and after a single draw."""
        std = self.std.reshape(-1)
        magnitude = np.abs(self._mean)
        result = np.full(magnitude.shape, np.nan)
        np.divide(std, magnitude, out=result, where=magnitude != 0)
        return self._shaped(result)

    @property
    def minimum(self) -> np.ndarray:
        """Smallest value per cell (the low buffer always holds it)."""
        self._need("the minimum")
        return self._shaped(self._low.values[: self._low.filled].min(axis=0))

    @property
    def maximum(self) -> np.ndarray:
        """Largest value per cell (the high buffer always holds it, negated)."""
        self._need("the maximum")
        return self._shaped(-self._high.values[: self._high.filled].min(axis=0))

    def quantile(self, q: float) -> np.ndarray:
        """Per-cell quantile ``q`` (one of :attr:`quantiles`), equal to
        ``np.quantile(np.stack(draws), q, axis=0)``.

        Raises
        ------
        ValueCheckError
            If ``q`` is not one of :attr:`quantiles` or not all draws are in yet (the order
            statistics kept are chosen for exactly :attr:`draws` values).
        """
        (q,) = _check_quantiles([q], "q")
        if q not in self.quantiles:
            raise ValueCheckError(
                f"CellStatistics: quantile {q} was not asked for; tracked: {list(self.quantiles)}"
            )
        if self._count != self.draws:
            raise ValueCheckError(
                f"CellStatistics: {self._count} of {self.draws} draws are in; quantiles are "
                "defined only once all draws are added"
            )
        lower, upper, gamma = _position(self.draws, q)
        if q < 0.5:
            kept = self._low.sorted()
            a, b = kept[lower], kept[upper]
        else:
            # the buffer holds the N - m largest values, negated: sorted ascending after
            # negating back, its row j is the order statistic j + N - m
            kept = -self._high.sorted()[::-1]
            offset = self.draws - self._high.layers
            a, b = kept[lower - offset], kept[upper - offset]
        return self._shaped(_lerp(a, b, gamma))


def interval(samples: Iterable[float], quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> dict:
    """Quantiles of a scalar figure's draws, keyed ``"p05"``, ``"p50"``, ``"p95"``.

    For headline figures held in full (a few hundred draws of a few dozen numbers). Keys are
    ``f"p{round(q * 100):02d}"``; values equal ``np.quantile(samples, q)``.

    Raises
    ------
    ValueCheckError
        If ``samples`` is empty or holds NaN or infinite values, or two quantiles share a key.

    Examples
    --------
    >>> interval([1.0, 2.0, 3.0, 4.0, 5.0])
    {'p05': 1.2, 'p50': 3.0, 'p95': 4.8}
    """
    values = np.asarray(samples, dtype=float).reshape(-1)
    if values.size == 0:
        raise ValueCheckError("interval: no samples")
    finite = np.isfinite(values)
    if not finite.all():
        raise ValueCheckError(
            f"interval: {finite.size - int(finite.sum())} NaN or infinite samples of {finite.size}"
        )
    qs = _check_quantiles(quantiles)
    keys = [f"p{round(q * 100):02d}" for q in qs]
    if len(set(keys)) != len(keys):
        raise ValueCheckError(f"interval: quantiles {list(qs)} give repeated keys {keys}")
    return {key: float(np.quantile(values, q)) for key, q in zip(keys, qs, strict=True)}
