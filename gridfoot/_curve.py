"""Reading a concentration curve: pure numpy, shared by the statistics and the figure.

The curve's vertices are the cumulative share of land (``land_share``, ascending) and of the
total (``value_share``) of the cells ranked by value. :mod:`gridfoot.hotspots.concentration`
answers with these functions and :func:`gridfoot.plot.charts.concentration_figure` marks the
same answers on its curve, so the two cannot drift apart. A base module: numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["land_at", "share_at"]


def share_at(land_share: np.ndarray, value_share: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Share of the total held by the top ``area`` of land (upper value on vertical steps).

    Examples
    --------
    >>> share_at(np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.9, 1.0]), np.array([0.25]))
    array([0.45])
    """
    last = np.searchsorted(land_share, area, side="right") - 1
    nxt = np.minimum(last + 1, land_share.size - 1)
    width = land_share[nxt] - land_share[last]
    step = np.divide(area - land_share[last], width, out=np.zeros_like(area), where=width > 0)
    return value_share[last] + step * (value_share[nxt] - value_share[last])


def land_at(land_share: np.ndarray, value_share: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Smallest share of land whose top cells hold ``share`` of the total (interpolated).

    Examples
    --------
    >>> land_at(np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.9, 1.0]), np.array([0.45]))
    array([0.25])
    """
    first = np.searchsorted(value_share, share, side="left")
    before = np.maximum(first - 1, 0)
    rise = value_share[first] - value_share[before]
    step = np.divide(share - value_share[before], rise, out=np.zeros_like(share), where=rise > 0)
    return land_share[before] + step * (land_share[first] - land_share[before])
