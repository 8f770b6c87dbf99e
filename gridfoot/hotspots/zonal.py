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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from gridfoot.errors import (
    GridfootWarning,
    InputFileError,
    MissingFileError,
    format_labels,
)
from gridfoot.hotspots.layers import SPATIAL_DIMS, as_layer, land_area, per_layer
from gridfoot.spatial.zones import ZoneCoverage, as_coverage, check_crs, polygonal

__all__ = ["read_polygons", "zonal_totals", "zone_weights"]


_POLYGONAL = ("Polygon", "MultiPolygon")
_VECTOR_FORMATS = "GeoJSON, GeoPackage, shapefile, FlatGeobuf or GeoParquet"


def read_polygons(polygons: Any) -> Any:
    """A GeoDataFrame of valid (multi)polygons with a CRS, from a GeoDataFrame/GeoSeries or file.

    Other features (boundary lines, points: the Tianditu province file carries 8 lines) and
    empty geometries are dropped with a :class:`~gridfoot.errors.GridfootWarning` naming them.
    Invalid polygons read from a file (a self-intersecting "bow-tie" ring) are repaired with
    :func:`shapely.make_valid`, keeping their polygonal parts, with a warning naming the file
    and how many; a GeoDataFrame passed in is used as given (repair it with ``make_valid``).

    Raises
    ------
    MissingFileError
        The file does not exist.
    InputFileError
        The file is not a vector file, holds no (multi)polygons, has no CRS, or has
        coordinates outside the longitude/latitude range while its CRS is geographic (a
        GeoJSON in metres without a ``crs`` member is read as EPSG:4326). The message names
        the file and what it holds.
    """
    import geopandas as gpd

    if isinstance(polygons, gpd.GeoSeries | gpd.GeoDataFrame):
        # the caller's own objects: checked, never changed behind their back
        frame = polygons.to_frame("geometry") if isinstance(polygons, gpd.GeoSeries) else polygons
        frame = polygonal(frame, "the polygons")
        check_crs(frame, "the polygons")
        return frame
    source = str(polygons)
    frame = polygonal(_read_vector(Path(polygons)), source)
    check_crs(frame, source)
    frame = _repaired(frame, source)
    frame.attrs["source"] = source  # so later errors (a missing name column) name the file
    return frame


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


def _read_vector(path: Path) -> Any:
    """A vector file as a GeoDataFrame; anything else is an error naming the file."""
    import geopandas as gpd

    if not path.exists():
        raise MissingFileError(f"{path}: no such file (polygons)")
    try:
        reader = gpd.read_parquet if path.suffix.lower() == ".parquet" else gpd.read_file
        frame = reader(path)
    except Exception as error:  # pyogrio raises DataSourceError, pyarrow ArrowInvalid, ...
        detail = str(error).strip().split(";")[0].splitlines()[0] if str(error).strip() else ""
        raise InputFileError(
            f"{path}: not a vector file gridfoot can read ({_VECTOR_FORMATS}): "
            f"{detail or type(error).__name__}"
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame):  # a CSV or other table without geometries
        raise InputFileError(
            f"{path}: holds a table without geometries ({len(frame)} rows; columns "
            f"{format_labels(frame.columns)}), not polygons; give a {_VECTOR_FORMATS} file"
        )
    return frame


def _repaired(polygons: Any, source: str) -> Any:
    """Invalid polygons made valid (polygonal parts kept), with a warning saying how many."""
    import shapely

    geometries = np.asarray(polygons.geometry.array, dtype=object)
    invalid = ~shapely.is_valid(geometries)
    if not invalid.any():
        return polygons
    fixed = shapely.make_valid(geometries[invalid], method="structure", keep_collapsed=False)
    fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
    collapsed = shapely.is_empty(fixed)
    rows = np.flatnonzero(invalid)
    if collapsed.any():
        raise InputFileError(
            f"{source}: feature(s) in rows {format_labels(rows[collapsed])} are invalid "
            "polygons with no area once repaired; fix or remove them"
        )
    polygons = polygons.copy()
    polygons.loc[polygons.index[invalid], polygons.geometry.name] = fixed
    warnings.warn(
        f"{source}: {int(invalid.sum())} invalid (e.g. self-intersecting) polygon(s) repaired "
        f"with shapely.make_valid, rows {format_labels(rows)}; check their outlines",
        GridfootWarning,
        stacklevel=3,
    )
    return polygons


def _polygonal_part(geometry: Any) -> Any:
    """The polygons of a repaired geometry (a collection may also hold lines or points)."""
    import shapely

    if geometry.geom_type in _POLYGONAL:
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in _POLYGONAL]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def zone_weights(grid: xr.DataArray | xr.Dataset, zones: Any) -> tuple[pd.Index, sp.csr_matrix]:
    """Zones and the share of each cell's value each zone receives.

    Parameters
    ----------
    grid : DataArray or Dataset
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
    layer = as_layer(grid)
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


def zonal_totals(grid: xr.DataArray | xr.Dataset, zones: Any) -> xr.Dataset:
    """Totals of every layer within each zone, and what falls outside every zone.

    Parameters
    ----------
    grid : DataArray or Dataset
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
    layer = as_layer(grid)
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
