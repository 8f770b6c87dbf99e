"""Vector files: the polygons of boundaries and zones, and the tables of point sources.

:func:`read_polygons` reads (or checks) the (multi)polygons every polygon input of gridfoot
goes through -- boundaries, cities, zones of :func:`gridfoot.hotspots.zonal_totals` -- and
:func:`read_geotable` a GeoPackage, shapefile, GeoParquet or plain Parquet table of point
sources. Every failure names the file.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from gridfoot.errors import GridfootWarning, InputFileError, MissingFileError, format_labels

__all__ = ["check_crs", "polygonal", "read_geotable", "read_polygons"]


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


def polygonal(polygons: Any, source: str) -> Any:
    """Only the non-empty (multi)polygons; others are dropped with a warning naming them."""
    kinds = polygons.geom_type.fillna("null geometry")
    empty = polygons.geometry.is_empty.fillna(True).to_numpy() if len(polygons) else []
    kinds = kinds.where(~np.asarray(empty, dtype=bool), "empty " + kinds)
    area = kinds.isin(_POLYGONAL).to_numpy()
    counts = ", ".join(f"{n} {kind}" for kind, n in kinds[~area].value_counts().items())
    if not area.any():
        holds = f"only {counts} feature(s)" if len(polygons) else "no features at all"
        raise InputFileError(
            f"{source}: holds no (multi)polygons ({holds}); boundaries and zones need polygon "
            "features"
        )
    if not area.all():
        warnings.warn(
            f"{source}: {int((~area).sum())} feature(s) that are not polygons are ignored "
            f"({counts}; rows {format_labels(np.flatnonzero(~area))})",
            GridfootWarning,
            stacklevel=3,
        )
        polygons = polygons[area]
    return polygons


def check_crs(polygons: Any, source: str) -> None:
    """A CRS, and coordinates that fit it when it is geographic."""
    if polygons.crs is None:
        raise InputFileError(
            f"{source}: no CRS; give the file one (a .prj beside a shapefile, a crs member "
            "in GeoJSON) or re-export it, e.g. ogr2ogr -a_srs EPSG:4326 (or the CRS it is in)"
        )
    if not polygons.crs.is_geographic:
        return
    west, south, east, north = polygons.total_bounds
    if max(abs(west), abs(east)) > 180 or max(abs(south), abs(north)) > 90:
        raise InputFileError(
            f"{source}: coordinates reach x {max(abs(west), abs(east)):.6g}, y "
            f"{max(abs(south), abs(north)):.6g}, outside longitude/latitude, but the CRS is "
            f"{polygons.crs.to_string()} (a GeoJSON without a crs member is read as "
            "EPSG:4326): the CRS is missing or wrong; add a crs member naming the projected "
            "CRS, or re-export in longitude/latitude (ogr2ogr -t_srs EPSG:4326)"
        )


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


def read_geotable(
    path: str | Path, *, layer: str | None = None, encoding: str | None = None, what: str
) -> Any:
    """A GeoPackage, shapefile, GeoJSON, ... (``layer`` of it) or a (Geo)Parquet table.

    GeoParquet becomes a GeoDataFrame, plain Parquet (no geometry metadata) a DataFrame.

    Raises
    ------
    InputFileError
        The file cannot be read; the message names it and ``what`` it holds.
    """
    import geopandas as gpd
    import pandas as pd

    path = Path(path)
    try:
        if path.name.lower().endswith((".parquet", ".geoparquet", ".pq")):
            try:
                return gpd.read_parquet(path)
            except ValueError:  # plain Parquet, no geometry metadata
                return pd.read_parquet(path)
        return gpd.read_file(path, layer=layer, encoding=encoding)
    except (OSError, ValueError) as error:
        raise InputFileError(f"{path}: cannot read it ({what}): {error}") from None
