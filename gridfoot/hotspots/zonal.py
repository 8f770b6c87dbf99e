"""Totals of grid layers within polygons (provinces, cities), area-weighted at borders.

A cell's value is taken to be spread evenly over its land, so a polygon receives the share of
the cell's land it covers: ``weight[p, c] = coverage[p, c] / max(land_fraction[c],
sum_p coverage[p, c])`` with ``coverage`` the share of the cell's area inside polygon ``p``
(:func:`gridfoot.spatial.cell_coverage`). Where the polygons are the land (provinces of the
boundary the land fraction came from), a coastal cell's whole value goes to its provinces;
where they cover part of the land (cities), the rest stays outside. Values in cells no polygon
touches (offshore) are reported as outside. Polygons with the same name are one zone; zones
should not overlap (if they do, each gets its share and the outside share is a lower bound).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from gridfoot.errors import (
    GridfootWarning,
    LabelError,
    format_labels,
)
from gridfoot.hotspots.layers import SPATIAL_DIMS, as_layer, land_area, per_layer
from gridfoot.io.vector import read_polygons

__all__ = ["zonal_totals", "zone_weights"]


#: Polygons of two regions overlapping by more than this share of the smaller region's area
#: are warned about (slivers from digitising stay quiet).
OVERLAP_SHARE = 0.01


def warn_overlaps(frame: Any, attribute: str, source: str, label: str | None = None) -> None:
    """Warn (one line) when the polygons of different regions overlap beyond slivers.

    The regions' polygons are merged per value of ``attribute``; a pair overlapping by more
    than :data:`OVERLAP_SHARE` of the smaller one's area is named with the overlap's area.
    ``label`` names the attribute in the message (default ``attribute``).
    Points in an overlap go to one of the two regions (the first polygon in the file's order).
    """
    import shapely

    geometries = frame.geometry
    if frame.crs is not None and frame.crs.is_geographic:
        geometries = geometries.to_crs("EPSG:6933")  # equal-area: areas in m2
    labels = frame[attribute].astype(str).to_numpy()
    names = list(pd.unique(labels))
    if len(names) < 2:
        return
    array = np.asarray(geometries.values)
    merged = np.array([shapely.union_all(array[labels == name]) for name in names])
    left, right = shapely.STRtree(merged).query(merged, predicate="intersects")
    pairs = []
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        overlap = shapely.intersection(merged[i], merged[j]).area
        smaller = min(merged[i].area, merged[j].area)
        if smaller > 0 and overlap > OVERLAP_SHARE * smaller:
            pairs.append(
                f"{names[i]} and {names[j]} ({overlap / 1e6:,.4g} km2, "
                f"{overlap / smaller:.0%} of the smaller)"
            )
    if pairs:
        warnings.warn(
            f"{source}: the polygons of {len(pairs)} pair(s) of regions ({label or attribute}) "
            "overlap: "
            f"{format_labels(pairs, 5)}; points in an overlap go to one region only (the first "
            "polygon in the file's order), while both regions' fallback spreads over it",
            GridfootWarning,
            stacklevel=2,
        )


def zone_names(polygons: Any, name_field: str | None) -> pd.Index:
    """Zone name of each polygon: the ``name_field`` column, or the index without one.

    Errors name the file the polygons were read from (``attrs["source"]``) when known.
    """
    source = polygons.attrs.get("source", "the polygons")
    if name_field is None:
        names = polygons.index.to_series()
    elif name_field not in polygons.columns:
        raise LabelError(
            f"{source}: no column {name_field!r} to name the zones; columns: "
            f"{format_labels([c for c in polygons.columns if c != 'geometry'], 20)}"
        )
    else:
        names = polygons[name_field]
    missing = names.isna().to_numpy()
    if missing.any():
        raise LabelError(
            f"{source}: {int(missing.sum())} polygon(s) have no {name_field or 'index'} value: "
            f"rows {format_labels(np.flatnonzero(missing))}"
        )
    return pd.Index(names.astype(str), name="zone")


def zone_weights(
    grid: xr.DataArray | xr.Dataset, polygons: Any, name_field: str | None = None
) -> tuple[pd.Index, sp.csr_matrix]:
    """Zones and the share of each cell's value each zone receives.

    Returns
    -------
    names : Index
        Unique zone names, in order of first appearance.
    weights : csr_matrix ``(n_zones, ny * nx)``
        Row-major cells; see the module documentation. Column sums are at most 1 where zones
        do not overlap.
    """
    from gridfoot.spatial.grid import Grid, cell_coverage

    layer = as_layer(grid)
    polygons = read_polygons(polygons)
    names = zone_names(polygons, name_field)
    coverage = cell_coverage(Grid.from_dataarray(layer), polygons)
    codes, unique = pd.factorize(names)
    by_zone = sp.csr_matrix(
        (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(unique), len(codes))
    )
    coverage = (by_zone @ coverage).tocsr()
    land_fraction = (
        layer.coords["land_fraction"].transpose(*SPATIAL_DIMS).values.ravel()
        if "land_fraction" in layer.coords
        else np.ones(coverage.shape[1])
    )
    spread = np.maximum(land_fraction, np.asarray(coverage.sum(axis=0)).ravel())
    scale = np.divide(1.0, spread, out=np.zeros_like(spread), where=spread > 0)
    return pd.Index(unique, name="zone"), (coverage @ sp.diags(scale)).tocsr()


def _zone_sums(values: np.ndarray, weights: sp.csr_matrix, inside: np.ndarray) -> np.ndarray:
    """``[zone totals..., outside]`` of every ``(..., y, x)`` layer."""
    layers = np.nan_to_num(values.reshape(-1, weights.shape[1]), nan=0.0)
    totals = np.asarray(weights @ layers.T).T
    outside = layers @ (1.0 - inside)
    return np.column_stack([totals, outside]).reshape((*values.shape[:-2], -1))


def zonal_totals(
    grid: xr.DataArray | xr.Dataset, polygons: Any, name_field: str | None = None
) -> xr.Dataset:
    """Totals of every layer within each zone, and what falls outside every zone.

    Parameters
    ----------
    grid : DataArray or Dataset
        A grid layer ``(..., y, x)`` with a CRS.
    polygons : GeoDataFrame, GeoSeries or path
        (Multi)polygons with a CRS (reprojected to the grid's).
    name_field : str, optional
        Column naming the zones; the index by default.

    Returns
    -------
    Dataset
        ``total`` (..., zone), ``share`` of the layer's total (..., zone), ``outside`` and
        ``outside_share`` (...), and ``land_area`` (zone) of each zone on the grid; lazy
        when the grid is. ``gridfoot.io.tidy`` makes a table of it.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from gridfoot.spatial import Grid
    >>> grid = Grid.from_bounds((0, 0, 30_000, 10_000), "EPSG:3035")
    >>> layer = grid.wrap(np.array([[6.0, 4.0, 2.0]]), units="t")
    >>> zones = gpd.GeoDataFrame({"name": ["west", "east"]},
    ...     geometry=[box(0, 0, 15_000, 10_000), box(15_000, 0, 25_000, 10_000)], crs=3035)
    >>> result = zonal_totals(layer, zones, "name")
    >>> result.total.values.tolist(), float(result.outside)
    ([8.0, 3.0], 1.0)
    """
    layer = as_layer(grid)
    names, weights = zone_weights(layer, polygons, name_field)
    if weights.sum() == 0:
        warnings.warn(
            f"none of the {len(names)} zone(s) overlaps the grid: every total falls outside "
            "them (are the polygons for this study area, in the right CRS?)",
            GridfootWarning,
            stacklevel=2,
        )
    inside = np.minimum(np.asarray(weights.sum(axis=0)).ravel(), 1.0)
    sums = per_layer(
        _zone_sums, layer, out=("zone", len(names) + 1), weights=weights, inside=inside
    )
    totals = sums.isel(zone=slice(None, -1)).assign_coords(zone=names.to_numpy())
    outside = sums.isel(zone=-1, drop=True)
    grand_total = totals.sum("zone") + outside
    units = {"units": layer.attrs["units"]} if "units" in layer.attrs else {}
    land = land_area(layer)
    zone_land = weights @ land.values.ravel()
    return xr.Dataset(
        {
            "total": totals.assign_attrs(long_name="total within the zone", **units),
            "share": (totals / grand_total).assign_attrs(
                long_name="share of the layer's total within the zone", units="1"
            ),
            "outside": outside.assign_attrs(long_name="total outside every zone", **units),
            "outside_share": (outside / grand_total).assign_attrs(
                long_name="share of the layer's total outside every zone", units="1"
            ),
            "land_area": xr.DataArray(
                zone_land,
                dims="zone",
                coords={"zone": names.to_numpy()},
                attrs={"long_name": "land of the zone on the grid", **land.attrs},
            ),
        }
    )
