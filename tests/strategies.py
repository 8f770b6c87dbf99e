"""Hypothesis strategies for the property tests' arrays: drawn value by value, so shrinkable.

A strategy that draws a seed and fills arrays from numpy's generator cannot shrink: a failure
is reported as an opaque seed. Drawn with :func:`hypothesis.extra.numpy.arrays`, a failing
system shrinks towards small, zero-filled, round-valued arrays that show what went wrong.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays


def floats_between(low: float, high: float) -> st.SearchStrategy[float]:
    """Finite floats in [low, high], without subnormals (they only test the FPU)."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def uniform(shape: int | tuple[int, ...], low: float, high: float) -> st.SearchStrategy:
    """A float64 array of ``shape`` with values in [low, high] (shrinks towards ``low``)."""
    return arrays(np.float64, shape, elements=floats_between(low, high))


def mask(shape: int | tuple[int, ...]) -> st.SearchStrategy:
    """A boolean array of ``shape``: which entries of a sparse array are kept."""
    return arrays(np.bool_, shape)
