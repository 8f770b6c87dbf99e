"""Totals of grid layers within zones (provinces, cities), area-weighted at borders.

A cell's value is taken to be spread evenly over its land, so a zone receives the share of
the cell's land it covers: ``weight[z, c] = coverage[z, c] / max(land_fraction[c],
sum_z coverage[z, c])`` with ``coverage`` the share of the cell's area inside zone ``z``
(:meth:`gridfoot.spatial.ZoneCoverage.weights`). Where the zones are the land (provinces of the
boundary the land fraction came from), a coastal cell's whole value goes to its provinces;
where they cover part of the land (cities), the rest stays outside. Values in cells no zone
touches (offshore) are reported as outside. Polygons with the same label are one zone; zones
should not overlap (if they do, each gets its share and the outside share is a lower bound).

Zones are :class:`gridfoot.spatial.Zones` (``Zones.from_frame(read_polygons(path),
label="name")``) or their :class:`~gridfoot.spatial.ZoneCoverage` of the layer's grid, built
once and reused.
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
    format_labels,
)
from gridfoot.hotspots.layers import SPATIAL_DIMS, as_layer, land_area, per_layer
from gridfoot.spatial.zones import ZoneCoverage, as_coverage

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


def zone_weights(layer: xr.DataArray | xr.Dataset, zones: Any) -> tuple[pd.Index, sp.csr_matrix]:
    """Zones and the share of each cell's value each zone receives.

    Parameters
    ----------
    layer : DataArray or Dataset
        A grid layer ``(..., y, x)`` with a CRS; its ``land_fraction`` (if any) splits cells.
    zones : Zones or ZoneCoverage
        See :func:`zonal_totals`.

    Returns
    -------
    labels : Index
        The zones, in order of first appearance.
    weights : csr_matrix ``(n_zones, ny * nx)``
        Row-major cells; see the module documentation. Column sums are at most 1 where zones
        do not overlap.
    """
    layer = as_layer(layer)
    coverage = _coverage(layer, zones)
    return coverage.labels, coverage.weights(_land_fraction(layer))


def _coverage(layer: xr.DataArray, zones: Any) -> ZoneCoverage:
    """The zones' coverage of the layer's grid (built, or checked to be of this grid)."""
    from gridfoot.spatial.grid import Grid

    return as_coverage(zones, Grid.from_dataarray(layer))


def _land_fraction(layer: xr.DataArray) -> np.ndarray | None:
    """The layer's land fraction, flat (None: every cell is land)."""
    if "land_fraction" not in layer.coords:
        return None
    return layer.coords["land_fraction"].transpose(*SPATIAL_DIMS).values.ravel()


def _zone_sums(values: np.ndarray, coverage: ZoneCoverage, land: np.ndarray | None) -> np.ndarray:
    """``[zone totals..., outside]`` of every ``(..., y, x)`` layer."""
    totals, outside = coverage.totals(values, land)
    return np.concatenate([totals, outside[..., None]], axis=-1)


def zonal_totals(layer: xr.DataArray | xr.Dataset, zones: Any) -> xr.Dataset:
    """Totals of every layer within each zone, and what falls outside every zone.

    Parameters
    ----------
    layer : DataArray or Dataset
        A grid layer ``(..., y, x)`` with a CRS.
    zones : Zones or ZoneCoverage
        The zones (:meth:`Zones.from_frame <gridfoot.spatial.Zones.from_frame>`; polygons
        reprojected to the grid's CRS), or their coverage of the layer's grid built once
        (:meth:`Zones.coverage <gridfoot.spatial.Zones.coverage>`). A GeoDataFrame or
        GeoSeries is taken as zones labelled by its index.

    Returns
    -------
    Dataset
        ``total`` (..., zone), ``share`` of the layer's total (..., zone), ``outside`` and
        ``outside_share`` (...), and ``land_area`` (zone) of each zone on the grid; lazy
        when the grid is; ``zone`` holds the zones' labels, the coordinate ``zone_name``
        their display names. ``gridfoot.io.tidy`` makes a table of it.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from gridfoot.spatial import Grid, Zones
    >>> grid = Grid.from_bounds((0, 0, 30_000, 10_000), "EPSG:3035")
    >>> layer = grid.wrap(np.array([[6.0, 4.0, 2.0]]), units="t")
    >>> frame = gpd.GeoDataFrame({"name": ["west", "east"]},
    ...     geometry=[box(0, 0, 15_000, 10_000), box(15_000, 0, 25_000, 10_000)], crs=3035)
    >>> result = zonal_totals(layer, Zones.from_frame(frame, label="name"))
    >>> result.total.values.tolist(), float(result.outside)
    ([8.0, 3.0], 1.0)
    """
    layer = as_layer(layer)
    coverage = _coverage(layer, zones)
    land_fraction = _land_fraction(layer)
    weights = coverage.weights(land_fraction)
    names = {"zone": coverage.labels.to_numpy(), "zone_name": ("zone", coverage.names.to_numpy())}
    if weights.sum() == 0:
        warnings.warn(
            f"none of the {len(coverage.labels)} zone(s) overlaps the grid: every total falls "
            "outside them (are the polygons for this study area, in the right CRS?)",
            GridfootWarning,
            stacklevel=2,
        )
    sums = per_layer(
        _zone_sums,
        layer,
        out=("zone", len(coverage.labels) + 1),
        coverage=coverage,
        land=land_fraction,
    )
    totals = sums.isel(zone=slice(None, -1)).assign_coords(names)
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
                coords=names,
                attrs={"long_name": "land of the zone on the grid", **land.attrs},
            ),
        }
    )
