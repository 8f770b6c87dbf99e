"""Hubs: connected groups of hotspot cells, ranked by their total, with the zones they cover.

A hub is a connected component of the :func:`~gridfoot.hotspots.hotspot_mask` (8-connectivity
by default: cells touching at a corner belong together; 4: only cells sharing an edge). Hubs
are numbered by rank, 1 holding the largest total; among equal totals the hub met first in
raster order ranks first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import xarray as xr
from scipy import ndimage

from gridfoot.hotspots.concentration import _layer_mask
from gridfoot.hotspots.layers import SPATIAL_DIMS, as_layer, grid_crs, land_area, per_layer
from gridfoot.hotspots.options import check_connectivity, check_share

if TYPE_CHECKING:
    from gridfoot.spatial.zones import ZoneCoverage, Zones

__all__ = ["hub_labels", "hubs", "rank_components"]

Connectivity = Literal[4, 8]


def _structure(connectivity: int) -> np.ndarray:
    check_connectivity(connectivity)
    return ndimage.generate_binary_structure(2, 1 if connectivity == 4 else 2)


def rank_components(values: np.ndarray, mask: np.ndarray, connectivity: Connectivity = 8):
    """Connected components of ``mask``, numbered by their total of ``values``, descending.

    Pure numpy on one 2-D layer.

    Returns
    -------
    labels : int32 ndarray
        0 outside the mask, k for the hub of rank k.
    totals : ndarray
        Total of each hub, by rank.

    Examples
    --------
    Two blobs touching at a corner are one hub with 8-connectivity, two with 4:

    >>> values = np.array([[5.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    >>> rank_components(values, values > 0, 8)[1].tolist()
    [8.0]
    >>> labels, totals = rank_components(values, values > 0, 4)
    >>> labels.tolist(), totals.tolist()
    ([[1, 0, 0], [0, 2, 2], [0, 2, 0]], [5.0, 3.0])
    """
    labels, count = ndimage.label(mask, structure=_structure(connectivity))
    sums = np.bincount(labels.ravel(), weights=np.nan_to_num(values).ravel(), minlength=count + 1)
    order = np.argsort(-sums[1:], kind="stable")
    rank = np.zeros(count + 1, dtype=np.int32)
    rank[order + 1] = np.arange(1, count + 1, dtype=np.int32)
    return rank[labels], sums[1:][order]


def _layer_hub_labels(values: np.ndarray, share: float, connectivity: int) -> np.ndarray:
    masks = _layer_mask(values, share)
    layers = values.reshape(-1, *values.shape[-2:])
    labels = np.empty(layers.shape, dtype=np.int32)
    for index, (layer, mask) in enumerate(zip(layers, masks.reshape(layers.shape), strict=True)):
        labels[index] = rank_components(layer, mask.astype(bool), connectivity)[0]
    return labels.reshape(values.shape)


def hub_labels(
    layer: xr.DataArray | xr.Dataset, share: float = 0.75, connectivity: Connectivity = 8
) -> xr.DataArray:
    """Hub rank of every cell (0 outside the hotspot), for every layer.

    Examples
    --------
    >>> grid = xr.DataArray([[5.0, 0.0, 4.0], [0.0, 0.0, 3.0]], dims=("y", "x"))
    >>> hub_labels(grid, 0.9).values.tolist()
    [[2, 0, 1], [0, 0, 1]]
    """
    level = check_share(share)
    check_connectivity(connectivity)
    layer = as_layer(layer)
    labels = per_layer(
        _layer_hub_labels, layer, dtype=np.int32, share=level, connectivity=connectivity
    )
    # a label raster (no units, nothing to sum), not the layer's quantity
    return (
        labels.rename("hub")
        .drop_attrs(deep=False)
        .assign_attrs(
            long_name=f"rank of the hub (connected hotspot cells holding {level:.4g} of the total)",
            comment="label raster: 1 is the hub holding most, 2 the next, ...; 0 outside",
            connectivity=connectivity,
        )
    )


def _lonlat_of(layer: xr.DataArray):
    """A function mapping the grid's x, y to lon, lat (NaN without a CRS)."""
    crs = grid_crs(layer)
    if crs is None:
        return lambda x, y: (np.full(np.shape(x), np.nan), np.full(np.shape(y), np.nan))
    import pyproj

    return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform


def _hub_table(
    layer: xr.DataArray,
    land: np.ndarray,
    share: float,
    connectivity: int,
    zones: ZoneCoverage | None,
    land_fraction: np.ndarray | None,
    to_lonlat,
    ranks: np.ndarray | None = None,
) -> pd.DataFrame:
    values = np.nan_to_num(layer.values)
    if ranks is None:
        mask = _layer_mask(values, share).astype(bool)
        labels, totals = rank_components(values, mask, connectivity)
    else:  # hub_labels of this layer: ranked already, no second sort
        labels = np.asarray(ranks, dtype=np.int32)
        count = int(labels.max(initial=0))
        totals = np.bincount(labels.ravel(), weights=values.ravel(), minlength=count + 1)[1:]
    count = totals.size
    flat = labels.ravel()

    def per_hub(weights: np.ndarray) -> np.ndarray:
        return np.bincount(flat, weights=weights.ravel(), minlength=count + 1)[1:]

    xx, yy = np.meshgrid(layer["x"].values, layer["y"].values)
    with np.errstate(invalid="ignore", divide="ignore"):
        x, y = per_hub(values * xx) / totals, per_hub(values * yy) / totals
    lon, lat = to_lonlat(x, y)
    table = pd.DataFrame(
        {
            "rank": np.arange(1, count + 1),
            "total": totals,
            "share": totals / values.sum(),
            "n_cells": per_hub(np.ones(values.shape)).astype(int),
            "land_area_km2": per_hub(land) / 1e6,
            "x": x,
            "y": y,
            "lon": lon,
            "lat": lat,
        }
    )
    if zones is not None:
        names = zones.names.to_numpy()
        overlap = zones.overlap(values, labels, land_fraction)  # (zone, hub): totals in zones
        regions, shares = [], []
        for column, total in zip(overlap.T, totals, strict=True):
            order = np.argsort(-column, kind="stable")
            order = order[column[order] > 0]
            regions.append("; ".join(names[order]))
            shares.append("; ".join(f"{value / total:.3f}" for value in column[order]))
        table["regions"], table["region_shares"] = regions, shares
    return table


def hubs(
    layer: xr.DataArray | xr.Dataset,
    share: float = 0.75,
    zones: Zones | ZoneCoverage | None = None,
    connectivity: Connectivity = 8,
    *,
    labels: xr.DataArray | None = None,
) -> pd.DataFrame:
    """The hubs of the hotspot holding ``share`` of the total, ranked, as a table.

    Parameters
    ----------
    layer : DataArray or Dataset
        A grid layer ``(..., y, x)``; extra dims give one block of rows per layer.
    share : float
        Share of the total the hotspot holds (see :func:`hotspot_mask`).
    zones : Zones or ZoneCoverage, optional
        Zones (provinces, cities) whose display names are given for each hub
        (:meth:`Zones.from_frame(frame, label=..., name=...)
        <gridfoot.spatial.Zones.from_frame>`), or their coverage of the layer's grid built
        once (:meth:`~gridfoot.spatial.Zones.coverage`). A GeoDataFrame or GeoSeries is
        taken as zones labelled by its index.
    connectivity : {8, 4}
        8: cells touching at a corner are connected; 4: only along an edge.
    labels : DataArray, optional
        :func:`hub_labels` of ``grid`` with the same ``share`` and ``connectivity``, when
        already computed: the hubs are then read off them, without ranking the cells again.

    Returns
    -------
    DataFrame
        One row per hub (and layer): the layer's labels, ``rank`` (1 = largest total),
        ``total``, ``share`` (of the layer's total), ``n_cells``, ``land_area_km2`` (NaN when
        cell areas are unknown), the value-weighted centroid ``x``, ``y`` (grid CRS) and
        ``lon``, ``lat`` (WGS84; NaN without a CRS); with ``zones``: ``regions``, the names
        of the zones the hub overlaps, the one holding most of its total first, and
        ``region_shares``, the share of the hub's total in each (cells split between zones
        by area, as in :func:`~gridfoot.hotspots.zonal_totals`).

    Examples
    --------
    >>> grid = xr.DataArray([[5.0, 0.0, 4.0], [0.0, 0.0, 3.0]], dims=("y", "x"),
    ...                     coords={"y": [15.0, 5.0], "x": [5.0, 15.0, 25.0]})
    >>> hubs(grid, 0.9)[["rank", "total", "share", "n_cells", "x", "y"]]
       rank  total   share  n_cells     x          y
    0     1    7.0  0.5833        2  25.0  10.714286
    1     2    5.0  0.4167        1   5.0  15.000000
    """
    from gridfoot.hotspots.zonal import _coverage, _land_fraction

    level = check_share(share)
    check_connectivity(connectivity)
    layer = as_layer(layer)
    land = land_area(layer)
    # land in m2 when cell areas are known, else unknown (not a count of cells)
    land_m2 = land.values if land.attrs["units"] == "m2" else np.full(land.shape, np.nan)
    # built once (or checked to be of this grid) for every layer of the cube
    coverage = _coverage(layer, zones) if zones is not None else None
    land_fraction = _land_fraction(layer) if zones is not None else None
    to_lonlat = _lonlat_of(layer)
    extra = [dim for dim in layer.dims if dim not in SPATIAL_DIMS]
    if labels is not None:
        labels = labels.transpose(*layer.dims)
    if not extra:
        ranks = None if labels is None else labels.values
        return _hub_table(
            layer.compute(), land_m2, level, connectivity, coverage, land_fraction, to_lonlat, ranks
        )
    tables = []
    # one block per label of the first extra dim in memory at a time (a cube's chunking)
    for position in range(layer.sizes[extra[0]]):
        block = layer.isel({extra[0]: position}).compute()
        stacked = block.expand_dims(extra[0]).stack(layer=extra)
        ranked = None
        if labels is not None:
            ranked = labels.isel({extra[0]: [position]}).stack(layer=extra)
        for index in range(stacked.sizes["layer"]):
            one = stacked.isel(layer=index)
            ranks = None if ranked is None else ranked.isel(layer=index).values
            table = _hub_table(
                one, land_m2, level, connectivity, coverage, land_fraction, to_lonlat, ranks
            )
            names = {dim: one[dim].item() for dim in extra}
            tables.append(table.assign(**names)[[*extra, *table.columns]])
    return pd.concat(tables, ignore_index=True)
