"""Concentration of a grid on land: the curve, "top 1% of land holds X%", "Y% needs Z% of land",
the Gini index and the hotspot mask.

The concentration curve of a layer ranks its cells by value, descending, and plots the
cumulative share of the layer's total against the cumulative share of its **land area**
(``land_fraction x cell_area``, so a coastal cell counts for its land only). Between vertices
the curve is a straight line, so both questions are answered by linear interpolation inside the
cell where the curve crosses the asked-for level.

Conventions, chosen so that results do not depend on the order of cells in the raster:

- Cells with equal values form one step of the curve (one straight segment), whatever their
  land fractions.
- Cells without value (zero) come last; cells with NaN values are outside the study area: no
  value and no land.
- Cells with value but no land (a plant offshore or on reclaimed land outside the coastline
  polygons) keep their value in the total and take no land: they add a vertical step to the
  curve, at their rank.
- A layer whose total or land is zero has no curve: its statistics are NaN.
- Negative values raise :class:`~gridfoot.errors.ValueCheckError`.

Every function takes a grid layer with any extra dims (destination, sector, ...) in front of
``(y, x)``; each layer is handled separately, lazily when the grid is a dask array (chunks are
merged along y and x, which the cube's chunking already has).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from gridfoot._curve import land_at, share_at
from gridfoot.errors import ValueCheckError, format_labels
from gridfoot.hotspots.layers import SPATIAL_DIMS, as_layer, land_area, per_layer
from gridfoot.hotspots.options import check_area, check_land_share, check_share, check_shares

__all__ = [
    "area_for_share",
    "concentration",
    "concentration_curve",
    "curve_vertices",
    "gini",
    "hotspot_mask",
    "share_in_top_area",
]

MASK_FLAGS = {
    "flag_values": np.array([0, 1], dtype=np.uint8),
    "flag_meanings": "outside_hotspot hotspot",
    "flag_colors": "#f0f0f0 #d7301f",  # not CF: the hotspot red, the rest pale grey
}


# -- pure numpy -------------------------------------------------------------------------------


def _check_values(values: np.ndarray) -> None:
    negative = values < 0
    if negative.any():
        raise ValueCheckError(
            f"the grid has {int(negative.sum())} negative value(s) (smallest "
            f"{values[negative].min():.6g}); concentration needs values >= 0"
        )


def curve_vertices(values: np.ndarray, land: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices ``(land_share, value_share)`` of the concentration curve of one layer.

    Parameters
    ----------
    values : ndarray
        Cell values (any shape; NaN = outside the study area).
    land : ndarray
        Land area of each cell, same shape.

    Returns
    -------
    land_share, value_share : ndarray
        Non-decreasing, from ``(0, 0)`` to ``(1, 1)``; one vertex per group of equal values.
        Empty arrays when the layer's total or land is zero.

    Examples
    --------
    Four equal cells, one holding 3 of 4 tonnes; the other three tie:

    >>> curve_vertices(np.array([3.0, 1.0, 0.0, 0.0]), np.ones(4))
    (array([0.  , 0.25, 0.5 , 1.  ]), array([0.  , 0.75, 1.  , 1.  ]))
    """
    land_share, value_share, _, _ = _curve(values, land)
    return land_share, value_share


def _curve(values: np.ndarray, land: np.ndarray):
    """Vertices of the curve, the layer's total and its land (NaN cells left out)."""
    values = np.asarray(values, dtype=float).ravel()
    land = np.asarray(land, dtype=float).ravel()
    outside = np.isnan(values)
    if outside.any():
        values, land = values[~outside], land[~outside]
    _check_values(values)
    positive = values > 0
    total_land = land.sum()
    if not positive.any() or total_land <= 0:
        return np.empty(0), np.empty(0), values.sum(), total_land
    ranked = values[positive]
    order = np.argsort(-ranked)
    ranked = ranked[order]
    ranked_land = land[positive][order]
    # one vertex at the end of each run of equal values, so ties never depend on raster order
    ends = np.append(np.flatnonzero(ranked[1:] != ranked[:-1]), ranked.size - 1)
    cum_value = np.cumsum(ranked)[ends]
    cum_land = np.cumsum(ranked_land)[ends]
    value_share = np.concatenate([[0.0], cum_value / cum_value[-1], [1.0]])
    land_share = np.concatenate([[0.0], np.minimum(cum_land / total_land, 1.0), [1.0]])
    return land_share, value_share, cum_value[-1], total_land


def _gini(land_share: np.ndarray, value_share: np.ndarray) -> float:
    """Twice the area between the curve and the diagonal: 0 uniform, -> 1 for one hot cell."""
    area = np.sum(np.diff(land_share) * (value_share[1:] + value_share[:-1]) / 2)
    return 2 * area - 1


def _layer_statistics(
    values: np.ndarray, land: np.ndarray, top_area: np.ndarray, share: np.ndarray
) -> np.ndarray:
    """Stack ``[share_in_top_area..., area_for_share..., gini, total, land]`` for every layer.

    ``values`` is ``(..., y, x)``, ``land`` ``(y, x)``; the result is ``(..., n_statistics)``.
    """
    layers = values.reshape(-1, values.shape[-2] * values.shape[-1])
    flat_land = np.broadcast_to(land, values.shape[-2:]).ravel()
    result = np.full((layers.shape[0], top_area.size + share.size + 3), np.nan)
    for index, layer in enumerate(layers):
        land_share, value_share, total, total_land = _curve(layer, flat_land)
        result[index, -2:] = total, total_land
        if land_share.size == 0:
            continue
        result[index, :-2] = np.concatenate(
            [
                share_at(land_share, value_share, top_area),
                land_at(land_share, value_share, share),
                [_gini(land_share, value_share)],
            ]
        )
    return result.reshape((*values.shape[:-2], result.shape[-1]))


def _layer_mask(values: np.ndarray, share: float) -> np.ndarray:
    """The fewest cells of each ``(..., y, x)`` layer holding ``share`` of its total."""
    layers = values.reshape(-1, values.shape[-2] * values.shape[-1])
    mask = np.zeros(layers.shape, dtype=np.uint8)
    for index, layer in enumerate(layers):
        layer = np.where(np.isnan(layer), 0.0, layer)
        _check_values(layer)
        cells = np.flatnonzero(layer > 0)
        if cells.size == 0 or share <= 0:
            continue
        # stable: among equal values the first in raster order is taken first
        cells = cells[np.argsort(-layer[cells], kind="stable")]
        cumulative = np.cumsum(layer[cells])
        # a cumulative share short of ``share`` by rounding only (1e-12) has reached it
        reached = cumulative / cumulative[-1] >= share * (1 - 1e-12)
        needed = int(np.argmax(reached)) + 1
        mask[index, cells[:needed]] = 1
    return mask.reshape(values.shape)


# -- xarray front end ---------------------------------------------------------------------------


def _levels(value: float | Sequence[float], name: str, *, land: bool) -> np.ndarray:
    """The asked-for shares as a 1-D array; shares of land may be 0, shares of the total not."""
    if np.ndim(value) == 0:
        checked = (check_land_share if land else check_share)(value, name)
    else:
        checked = (check_area if land else check_shares)(value, name)
    return np.atleast_1d(np.asarray(checked, dtype=float))


def _statistics(
    layer: xr.DataArray | xr.Dataset,
    top_area: np.ndarray,
    share: np.ndarray,
    land: xr.DataArray | None = None,
) -> xr.DataArray:
    layer = as_layer(layer)
    land = land_area(layer) if land is None else land
    size = top_area.size + share.size + 3
    return per_layer(
        _layer_statistics, layer, land, out=("statistic", size), top_area=top_area, share=share
    )


def _pick(
    stats: xr.DataArray, start: int, levels: np.ndarray, scalar: bool, dim: str
) -> xr.DataArray:
    picked = stats.isel(statistic=slice(start, start + levels.size)).rename(statistic=dim)
    picked = picked.assign_coords({dim: levels})
    return picked.isel({dim: 0}, drop=True) if scalar else picked


def share_in_top_area(
    layer: xr.DataArray | xr.Dataset, area: float | Sequence[float] = 0.01
) -> xr.DataArray:
    """Share of each layer's total held by its top cells covering ``area`` of its land.

    Parameters
    ----------
    layer : DataArray or Dataset
        A grid layer ``(..., y, x)``; see :mod:`gridfoot.hotspots.layers`.
    area : float or list of float
        Share of land, 0..1 (``0.01`` = the top 1% of land). A list adds a ``top_area`` dim.

    Raises
    ------
    ConfigError
        ``area`` outside [0, 1], NaN or not a number.

    Returns
    -------
    DataArray
        Shares (0..1), one per layer (NaN for layers with no total or no land).

    Examples
    --------
    100 equal cells, one holding 75 t and 25 holding 1 t each:

    >>> values = np.zeros((10, 10)); values[0, 0] = 75.0; values[5:, 5:] = 1.0
    >>> grid = xr.DataArray(values, dims=("y", "x"))
    >>> float(share_in_top_area(grid, 0.01))
    0.75
    >>> share_in_top_area(grid, [0.01, 0.02]).values.round(4).tolist()
    [0.75, 0.76]
    """
    levels = _levels(area, "area", land=True)
    stats = _statistics(layer, levels, np.empty(0))
    result = _pick(stats, 0, levels, np.ndim(area) == 0, "top_area")
    return result.assign_attrs(
        long_name="share of the total held by the top cells covering a share of land", units="1"
    ).rename("share_in_top_area")


def area_for_share(
    layer: xr.DataArray | xr.Dataset, share: float | Sequence[float] = 0.75
) -> xr.DataArray:
    """Smallest share of land whose top cells hold ``share`` of each layer's total.

    Interpolated inside the cell where the concentration curve crosses ``share``, so the
    answer varies continuously with ``share``; the :func:`hotspot_mask` takes whole cells and
    covers at least this much land.

    Parameters
    ----------
    layer : DataArray or Dataset
        A grid layer ``(..., y, x)``.
    share : float or list of float
        Share of the total, in (0, 1] (``0.75`` = 75%). A list adds a ``share`` dim.

    Raises
    ------
    ConfigError
        ``share`` outside (0, 1], NaN or not a number.

    Examples
    --------
    >>> values = np.zeros((10, 10)); values[0, 0] = 75.0; values[5:, 5:] = 1.0
    >>> grid = xr.DataArray(values, dims=("y", "x"))
    >>> float(area_for_share(grid, 0.75))
    0.01
    >>> float(area_for_share(grid, 0.80))  # 5 of the 1-t cells more
    0.06

    Uniform values need as much land as the share asked for:

    >>> float(area_for_share(xr.ones_like(grid), 0.75))
    0.75
    """
    levels = _levels(share, "share", land=False)
    stats = _statistics(layer, np.empty(0), levels)
    result = _pick(stats, 0, levels, np.ndim(share) == 0, "share")
    return result.assign_attrs(
        long_name="smallest share of land holding a share of the total", units="1"
    ).rename("area_for_share")


def gini(layer: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """Gini index of each layer's concentration on land.

    Twice the area between the concentration curve and the diagonal: 0 when value is spread
    in proportion to land, ``1 - 1/n`` when one of ``n`` equal cells holds everything.

    Examples
    --------
    >>> values = np.zeros((10, 10)); values[3, 4] = 1.0
    >>> float(gini(xr.DataArray(values, dims=("y", "x"))))
    0.99
    """
    stats = _statistics(layer, np.empty(0), np.empty(0))
    return (
        stats.isel(statistic=-3, drop=True)
        .assign_attrs(long_name="Gini index of concentration on land", units="1")
        .rename("gini")
    )


def concentration(
    layer: xr.DataArray | xr.Dataset,
    share: float | Sequence[float] = 0.75,
    top_area: float | Sequence[float] = 0.01,
) -> xr.Dataset:
    """All concentration statistics of every layer in one pass (one sort per layer).

    Returns
    -------
    Dataset
        ``share_in_top_area``, ``area_for_share`` and ``gini`` as in the functions of the same
        names, plus ``total`` (sum of the layer) and ``land_area`` (land of the study area).

    Examples
    --------
    >>> values = np.zeros((10, 10)); values[0, 0] = 75.0; values[5:, 5:] = 1.0
    >>> stats = concentration(xr.DataArray(values, dims=("y", "x")))
    >>> {name: round(float(v), 4) for name, v in stats.data_vars.items()}
    {'share_in_top_area': 0.75, 'area_for_share': 0.01, 'gini': 0.925,
     'total': 100.0, 'land_area': 100.0}
    """
    shares = _levels(share, "share", land=False)
    areas = _levels(top_area, "top_area", land=True)
    layer = as_layer(layer)
    land = land_area(layer)
    stats = _statistics(layer, areas, shares, land)
    result = xr.Dataset(
        {
            "share_in_top_area": _pick(stats, 0, areas, np.ndim(top_area) == 0, "top_area"),
            "area_for_share": _pick(stats, areas.size, shares, np.ndim(share) == 0, "share"),
            "gini": stats.isel(statistic=-3, drop=True),
            "total": stats.isel(statistic=-2, drop=True),
            "land_area": stats.isel(statistic=-1, drop=True),
        }
    )
    result["share_in_top_area"].attrs.update(
        units="1", long_name="share of the total held by the top cells covering a share of land"
    )
    result["area_for_share"].attrs.update(
        units="1", long_name="smallest share of land holding a share of the total"
    )
    result["gini"].attrs.update(units="1", long_name="Gini index of concentration on land")
    result["total"].attrs.update(long_name="total of the layer", **_units(layer))
    result["land_area"].attrs.update(
        long_name="land area of the study area", units=land.attrs["units"]
    )
    return result


def _units(layer: xr.DataArray) -> dict[str, str]:
    return {"units": layer.attrs["units"]} if "units" in layer.attrs else {}


def concentration_curve(
    layer: xr.DataArray | xr.Dataset, land_share: Sequence[float] | None = None
) -> xr.Dataset | xr.DataArray:
    """The concentration curve: cumulative share of the total against cumulative land share.

    Parameters
    ----------
    layer : DataArray or Dataset
        A grid layer.
    land_share : list of float, optional
        Where to evaluate the curves of many layers (e.g. ``np.linspace(0, 1, 101)``); gives
        a DataArray ``(..., top_area)``, like :func:`share_in_top_area`. Without it the grid
        must be one 2-D layer and the exact vertices are returned.

    Returns
    -------
    Dataset or DataArray
        Without ``land_share``: a Dataset with dim ``vertex`` and variables ``land_share`` and
        ``value_share``, from (0, 0) to (1, 1), one vertex per group of equal cell values
        (ready for ``plt.plot(curve.land_share, curve.value_share)``).

    Examples
    --------
    >>> grid = xr.DataArray([[3.0, 1.0], [0.0, 0.0]], dims=("y", "x"))
    >>> curve = concentration_curve(grid)
    >>> curve.land_share.values.tolist(), curve.value_share.values.tolist()
    ([0.0, 0.25, 0.5, 1.0], [0.0, 0.75, 1.0, 1.0])
    """
    layer = as_layer(layer)
    if land_share is not None:
        return share_in_top_area(layer, list(np.atleast_1d(land_share)))
    extra = [dim for dim in layer.dims if dim not in SPATIAL_DIMS and layer.sizes[dim] > 1]
    if extra:
        raise ValueCheckError(
            f"the grid has several layers (dims {format_labels(extra)}): select one, or pass "
            "land_share= to evaluate every layer's curve at common points"
        )
    values = layer.squeeze([d for d in layer.dims if d not in SPATIAL_DIMS]).values
    land_shares, value_shares = curve_vertices(values, land_area(layer).values)
    return xr.Dataset(
        {
            "land_share": ("vertex", land_shares, {"long_name": "cumulative share of land"}),
            "value_share": ("vertex", value_shares, {"long_name": "cumulative share of total"}),
        },
        attrs={"description": "concentration curve: cells ranked by value, descending"},
    )


def hotspot_mask(layer: xr.DataArray | xr.Dataset, share: float = 0.75) -> xr.DataArray:
    """The fewest cells of each layer that together hold ``share`` of its total.

    Cells are taken by value, descending, up to and including the cell where the cumulative
    share reaches ``share``; among equal values, in raster order.

    Returns
    -------
    DataArray
        ``uint8`` flags ``(..., y, x)``, 1 in the hotspot, with CF ``flag_values`` and
        ``flag_meanings``; the grid's coordinates (CRS, land fraction) are kept.

    Examples
    --------
    >>> grid = xr.DataArray([[5.0, 1.0], [3.0, 1.0]], dims=("y", "x"))
    >>> hotspot_mask(grid, 0.75).values.tolist()
    [[1, 0], [1, 0]]
    """
    level = check_share(share)
    layer = as_layer(layer)
    mask = per_layer(_layer_mask, layer, dtype=np.uint8, share=level)
    return _as_mask(mask, level)


def mask_of_hubs(labels: xr.DataArray, share: float) -> xr.DataArray:
    """The hotspot mask read off hub labels (:func:`~gridfoot.hotspots.hub_labels` with the
    same ``share``): every hotspot cell belongs to a hub, so no second ranking of the cells.

    Examples
    --------
    >>> from gridfoot.hotspots import hub_labels
    >>> grid = xr.DataArray([[5.0, 1.0], [3.0, 1.0]], dims=("y", "x"))
    >>> mask_of_hubs(hub_labels(grid, 0.75), 0.75).equals(hotspot_mask(grid, 0.75))
    True
    """
    return _as_mask((labels > 0).astype(np.uint8), check_share(share))


def _as_mask(mask: xr.DataArray, level: float) -> xr.DataArray:
    return (
        mask.rename("hotspot")
        .drop_attrs(deep=False)
        .assign_attrs(
            long_name=f"fewest cells holding {level:.4g} of the total",
            share=level,
            **MASK_FLAGS,
        )
    )
