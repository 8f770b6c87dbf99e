"""Point sources: read, validate, map sector codes, assign regions.

A point source is a plant, firm or facility with a location, a sector, a region and a weight
(its emissions, or a proxy such as capacity). :func:`read_sources` reads them from a file or a
(Geo)DataFrame with the user's own column names and returns :class:`Sources`: the points that
can be used, one row per point and MRIO sector, and the points that cannot, each with its
weight and the reason. Nothing is dropped silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyproj
import shapely

from gridfoot.checks import check_choice
from gridfoot.errors import (
    ConfigError,
    GridfootError,
    GridfootWarning,
    InputFileError,
    LabelError,
    MissingFileError,
    UnplacedError,
    UnplacedWarning,
    ValueCheckError,
    format_labels,
)
from gridfoot.io.text import read_csv
from gridfoot.io.vector import read_geotable
from gridfoot.spatial.grid import _as_crs, _polygon_array, _reproject, _transformer, albers_for
from gridfoot.spatial.zones import Zones

__all__ = ["Sources", "locate", "read_concordance", "read_sources"]

Invalid = Literal["raise", "report"]
Unplaced = Literal["warn", "raise"]

#: Columns of :attr:`Sources.points`.
POINT_COLUMNS = ["id", "row", "x", "y", "region", "sector", "weight", "source_sector"]
#: Where a warning's points are listed, for API and CLI users.
LISTED = "Sources.unplaced (the run's unplaced.csv)"
#: More than this share of the points (or of their weight) outside every polygon: the warning
#: says to check the CRS and the coordinate columns (all of them outside is an error).
MOST_OUTSIDE = 0.5
#: A point weighing more than this times its sector's median positive weight is flagged ...
EXTREME_RATIO = 1e4
#: ... when the sector has at least this many points with a positive weight ...
EXTREME_MIN_POINTS = 5
#: ... and the point holds more than this share of its producer's (region, sector) weight.
EXTREME_SHARE = 0.5
#: Columns of :attr:`Sources.unplaced` (and of an allocation's unplaced points).
UNPLACED_COLUMNS = ["id", "row", "region", "sector", "weight", "reason"]


@dataclass(frozen=True, eq=False, repr=False)
class Sources:
    """Validated point sources, ready to allocate.

    Attributes
    ----------
    points : DataFrame
        One row per point and MRIO sector (a point whose code maps to several sectors appears
        once per sector, its weight split by the concordance's shares). Columns ``id`` (the
        id column, else the row), ``row`` (position in the table as read, from 0, header
        excluded), ``x``, ``y`` (in ``crs``), ``region``, ``sector`` (MRIO code), ``weight``,
        ``source_sector`` (the code as given).
    crs : pyproj.CRS
        CRS of ``x`` and ``y``.
    unplaced : DataFrame
        Points that cannot be placed: ``id``, ``row``, ``region``, ``sector``, ``weight``,
        ``reason``.
    origin : str
        The file read, or ``"DataFrame"``.
    units : str or None
        Units of the weights (e.g. ``"Mt"``); None for a proxy.
    notes : tuple of str
        How the region and sector were found (column, constant, polygons).
    """

    points: pd.DataFrame
    crs: pyproj.CRS
    unplaced: pd.DataFrame
    origin: str = "DataFrame"
    units: str | None = None
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.points)

    def xy(self, crs: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of the points, in ``crs`` (default: their own)."""
        x, y = self.points["x"].to_numpy(float), self.points["y"].to_numpy(float)
        if crs is None or _as_crs(crs) == self.crs:
            return x, y
        return _transformer(self.crs, _as_crs(crs)).transform(x, y)

    def to_geodataframe(self) -> Any:
        """The usable points as a GeoDataFrame (for maps and checks)."""
        import geopandas as gpd

        x, y = self.xy()
        return gpd.GeoDataFrame(self.points, geometry=gpd.points_from_xy(x, y), crs=self.crs)

    def __repr__(self) -> str:
        units = f" {self.units}" if self.units else ""
        lost = ""
        if len(self.unplaced):
            lost = f", {len(self.unplaced)} unplaced ({self.unplaced['weight'].sum():,.6g}{units})"
        return (
            f"Sources({self.points['row'].nunique():,} points from {self.origin}, "
            f"{self.points['region'].nunique()} regions, {self.points['sector'].nunique()} "
            f"sectors, weight {self.points['weight'].sum():,.6g}{units}{lost}; "
            f"{'; '.join(self.notes)})"
        )


# --------------------------------------------------------------------------- reading
_TEXT_SUFFIXES = (".csv", ".csv.gz", ".txt", ".txt.gz", ".tsv", ".tsv.gz")


def _read_table(
    source: Any,
    layer: str | None,
    *,
    encoding: str | None = None,
    text_columns: Sequence[str | None] = (),
    what: str = "point sources",
) -> tuple[pd.DataFrame, str]:
    """The table and its name; text files through :func:`gridfoot.io.text.read_csv`.

    ``text_columns`` are read as text (codes such as ``"0610"`` keep their leading zero).
    """
    if isinstance(source, pd.DataFrame):
        return source, "DataFrame"
    if isinstance(source, str | Path) and not str(source).strip():
        raise InputFileError(f"no file named for the {what} (an empty path)")
    path = Path(source)
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a table file ({what})")
    if not path.exists():
        raise MissingFileError(f"{path}: no such file ({what})")
    name = path.name.lower()
    if name.endswith(_TEXT_SUFFIXES):
        if layer is not None:
            raise ConfigError(
                f"{path}: layer={layer!r} (sources.layer) names a layer of a GeoPackage or "
                f"similar file; a text table has none: drop it"
            )
        dtypes = {c: "str" for c in text_columns if c is not None}
        sep = "\t" if ".tsv" in name else None
        table = read_csv(
            path, encoding=encoding, sep=sep, what=what, low_memory=False, dtype=dtypes or None
        )
        return table, str(path)
    return read_geotable(path, layer=layer, encoding=encoding, what=what), str(path)


def _where(frame: pd.DataFrame, ids: pd.Series | None, mask: np.ndarray, limit: int = 8) -> str:
    rows = frame.index[mask]
    if ids is None:
        return "row(s) " + format_labels(rows, limit)
    return "row(s) " + format_labels(
        [f"{r} (id {i})" for r, i in zip(rows, ids[mask], strict=True)], limit
    )


def _amount(weights: np.ndarray, mask: np.ndarray, units: str | None) -> str:
    """``weight 12.5 t`` of the masked points, for messages."""
    total = float(np.nansum(weights[mask])) if mask.any() else 0.0
    # Six significant digits, but never exponents for large totals (3e+07 reads badly).
    shown = f"{total:,.0f}" if 1e6 <= abs(total) < 1e15 else f"{total:,.6g}"
    return f"weight {shown}" + (f" {units}" if units else "")


def _column_or_value(
    frame: pd.DataFrame,
    origin: str,
    what: str,
    column: str | None,
    value: Any,
    default: str | None = None,
) -> tuple[pd.Series | None, str]:
    """A column (``what=``), or one value for every point (``what_value=``), never a guess.

    A column name that is absent is an error listing the table's columns: a misspelt column
    must not become a code for every point.
    """
    if column is not None and value is not None:
        raise ConfigError(
            f"{origin}: give {what} (a column) or {what}_value (one value for every point), "
            f"not both; got {what}={column!r} and {what}_value={value!r}"
        )
    if value is not None:
        return pd.Series([value] * len(frame), index=frame.index, dtype=object), (
            f"{what} {value!r} for every point ({what}_value)"
        )
    column = default if column is None else column
    if column is None:
        return None, ""
    if column not in frame.columns:
        raise InputFileError(
            f"{origin}: no column {column!r} for the {what} ({what}=); columns: "
            f"{format_labels(map(str, frame.columns), 20)} ({what}_value= gives one value "
            "for every point)"
        )
    return frame[column], f"{what} from column {column!r}"


def _check_tolerance(tolerance: Any) -> float:
    try:
        value = float(tolerance)
    except (TypeError, ValueError):
        value = np.nan
    if not (np.isfinite(value) and value >= 0):
        raise ValueCheckError(
            f"tolerance= must be a finite distance in metres, >= 0 (0 turns the nearest-polygon "
            f"rule off), got {tolerance!r}"
        )
    return value


def read_concordance(
    concordance: str | Path | pd.DataFrame | Mapping[str, Any],
    code: str = "code",
    sector: str = "sector",
    share: str | None = "share",
    *,
    sectors: Sequence[str] | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """A sector concordance: the user's codes to MRIO sectors, many-to-one or one-to-many.

    Parameters
    ----------
    concordance : path, DataFrame or mapping
        A CSV (any common delimiter, see :func:`gridfoot.io.text.read_csv`) or table with a
        column of codes and a column of MRIO sectors, and (for codes that map to several
        sectors) a column of shares summing to 1 per code; or a mapping ``{code: sector}`` or
        ``{code: {sector: share}}``.
    code, sector, share : str
        Column names. Without a share column every code must map to one sector.
    sectors : sequence of str, optional
        The MRIO's sectors: a row naming any other sector is an error naming the row and code
        (its points would otherwise vanish from the map).
    encoding : str, optional
        Text encoding of a CSV (default UTF-8), e.g. ``"gbk"``.

    Returns
    -------
    DataFrame
        Columns ``code``, ``sector``, ``share`` (strings; shares sum to 1 per code).

    Examples
    --------
    >>> read_concordance({"4411": "secE", "2511": {"secC": 0.25, "sec27t28": 0.75}})
       code    sector  share
    0  4411      secE   1.00
    1  2511      secC   0.25
    2  2511  sec27t28   0.75
    """
    origin = "concordance"
    if isinstance(concordance, Mapping):
        rows = []
        for key, target in concordance.items():
            targets = target if isinstance(target, Mapping) else {target: 1.0}
            rows += [(str(key), str(s), float(v)) for s, v in targets.items()]
        table = pd.DataFrame(rows, columns=["code", "sector", "share"])
    else:
        frame, origin = _read_table(
            concordance, None, encoding=encoding, text_columns=(code, sector), what="concordance"
        )
        origin = f"concordance {origin}"
        missing = [c for c in (code, sector) if c not in frame.columns]
        if missing:
            raise InputFileError(
                f"{origin}: missing column(s) {format_labels(missing)}; "
                f"columns: {format_labels(map(str, frame.columns), 20)}"
            )
        blank = frame[code].isna().to_numpy() | frame[sector].isna().to_numpy()
        if blank.any():
            raise LabelError(
                f"{origin}: row(s) {format_labels(np.flatnonzero(blank))} have no "
                f"{code!r} or no {sector!r}"
            )
        table = pd.DataFrame(
            {
                "code": frame[code].astype(str).str.strip().to_numpy(),
                "sector": frame[sector].astype(str).str.strip().to_numpy(),
                "share": pd.to_numeric(frame[share], errors="coerce").to_numpy()
                if share in frame.columns
                else 1.0,
            }
        )
    if not len(table):
        raise InputFileError(f"{origin}: no rows")
    bad = ~np.isfinite(table["share"].to_numpy(float)) | (table["share"].to_numpy(float) < 0)
    if bad.any():
        raise ValueCheckError(
            f"{origin}: shares must be finite and >= 0; bad for code(s) "
            f"{format_labels(table['code'][bad].unique())}"
        )
    if sectors is not None:
        _check_targets(table, pd.Index(list(map(str, sectors))), origin)
    duplicated = table.duplicated(["code", "sector"])
    if duplicated.any():
        pairs = zip(table["code"][duplicated], table["sector"][duplicated], strict=True)
        raise LabelError(f"{origin}: duplicated code/sector pair(s) {format_labels(pairs)}")
    totals = table.groupby("code", sort=False)["share"].sum()
    off = totals[np.abs(totals - 1) > 1e-9]
    if len(off):
        raise ValueCheckError(
            f"{origin}: the shares of each code must sum to 1 (a code mapping to several "
            f"sectors needs a share column); "
            + format_labels([f"{c} sums to {v:g}" for c, v in off.items()])
        )
    return table.reset_index(drop=True)


def _check_targets(table: pd.DataFrame, sectors: pd.Index, origin: str) -> None:
    """Every row of a concordance must name one of the MRIO's sectors."""
    unknown = ~table["sector"].isin(sectors).to_numpy()
    if not unknown.any():
        return
    rows = [
        f"row {i} (code {c} -> {s})"
        for i, c, s in zip(
            np.flatnonzero(unknown), table["code"][unknown], table["sector"][unknown], strict=True
        )
    ]
    raise LabelError(
        f"{origin}: {format_labels(rows)} name(s) sector(s) "
        f"{format_labels(table['sector'][unknown].unique())} that the MRIO does not have; "
        f"its sectors: {format_labels(sectors, 12)}"
    )


# ------------------------------------------------------------------- point in polygon
def locate(
    x: np.ndarray,
    y: np.ndarray,
    crs: Any,
    zones: Zones,
    tolerance: float = 10_000.0,
) -> pd.DataFrame:
    """The zone each point falls in, or the nearest one within ``tolerance`` metres.

    Points on a shared border go to the first polygon (in the zones' order), and so do points
    where polygons overlap. Points are tested, and distances measured, in the zones' CRS when
    it is projected, else in an Albers equal-area projection fitted to them; an edge is
    straight in that plane, so a point a few metres from a long straight border (one of
    hundreds of kilometres in lon/lat) may fall on the other side than a test in degrees
    would put it (about 2 points in a million among China's provinces).

    Parameters
    ----------
    x, y : arrays
        Point coordinates in ``crs`` (lon, lat for ``"EPSG:4326"``).
    crs : CRS of the points
    zones : Zones
        The polygons; each point takes the label of the one it falls in
        (:meth:`Zones.from_frame(frame, label=...) <gridfoot.spatial.Zones.from_frame>`).
    tolerance : float
        How far (m) outside every polygon a point may lie and still take the nearest one's
        label (plants on the coast, on reclaimed land or islands). 0 turns this off.

    Returns
    -------
    DataFrame
        ``label`` (missing when no polygon is within the tolerance) and ``distance`` (m; 0
        inside a polygon, NaN when unlabelled), one row per point in order.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from gridfoot.spatial import Zones
    >>> squares = gpd.GeoDataFrame({"name": ["W", "E"]},
    ...     geometry=[box(0, 0, 10_000, 10_000), box(10_000, 0, 20_000, 10_000)], crs="EPSG:3035")
    >>> locate(np.array([5_000, 10_000, 20_500, 40_000]), np.array([5_000, 5_000, 5_000, 5_000]),
    ...        "EPSG:3035", Zones.from_frame(squares, label="name"), tolerance=1_000)
      label  distance
    0     W       0.0
    1     W       0.0
    2     E     500.0
    3   NaN       NaN
    """
    tolerance = _check_tolerance(tolerance)
    if not isinstance(zones, Zones):
        raise InputFileError(
            f"locate needs Zones (Zones.from_frame(frame, label=...)), got {type(zones).__name__}"
        )
    geometries, source_crs = _polygon_array(zones.polygons)
    metric = source_crs
    if source_crs.is_geographic:  # distances need metres
        lonlat = _reproject(geometries, source_crs, pyproj.CRS("EPSG:4326"))
        metric = albers_for(*shapely.total_bounds(lonlat))
    polygons = _reproject(geometries, source_crs, metric)
    px, py = _transformer(_as_crs(crs, "points"), metric).transform(
        np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    )
    which = _inside(polygons, px, py)
    distance = np.where(which >= 0, 0.0, np.nan)
    outside = np.flatnonzero((which < 0) & np.isfinite(px) & np.isfinite(py))
    if tolerance > 0 and len(outside):
        pieces, piece_polygon = _boundary_pieces(polygons)
        (near_point, near_piece), gap = shapely.STRtree(pieces).query_nearest(
            shapely.points(px[outside], py[outside]), max_distance=tolerance, return_distance=True
        )
        near_polygon = piece_polygon[near_piece]
        order = np.lexsort((near_polygon, gap, near_point))
        first = np.unique(near_point[order], return_index=True)[1]
        chosen = outside[near_point[order][first]]
        which[chosen] = near_polygon[order][first]
        distance[chosen] = gap[order][first]
    # each point's label taken from the few zones' (-1: missing), not built from a million
    label = pd.array(zones.labels.to_numpy(dtype=object), dtype="str").take(which, allow_fill=True)
    return pd.DataFrame({"label": label, "distance": distance})


def _inside(polygons: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Position of the first polygon each point lies in or on (its boundary counts), else -1.

    Each polygon is prepared once and tests, with ``shapely.intersects_xy``, only the points
    in its bounding box that no earlier polygon took: the points, sorted by x once, give each
    polygon the slice between its west and east edges. (An STRtree of the polygons queried
    with point geometries prepares the points instead, and tests every candidate pair against
    the whole polygon: 50 CPU seconds for a million points in China's provinces against 0.5.)
    The answers are the same, borders included: both count a point on a boundary (an edge, a
    vertex, a hole's ring) as in the polygon, and both give it to the first.
    """
    which = np.full(len(px), -1, dtype=np.int64)
    finite = np.flatnonzero(np.isfinite(px) & np.isfinite(py))
    by_x = finite[np.argsort(px[finite], kind="stable")]
    sorted_x = px[by_x]
    for k, (polygon, (west, south, east, north)) in enumerate(
        zip(polygons, shapely.bounds(polygons), strict=True)
    ):
        start = np.searchsorted(sorted_x, west, side="left")
        stop = np.searchsorted(sorted_x, east, side="right")
        candidates = by_x[start:stop]
        candidates = candidates[(py[candidates] >= south) & (py[candidates] <= north)]
        candidates = candidates[which[candidates] < 0]
        if len(candidates):
            shapely.prepare(polygon)
            hit = shapely.intersects_xy(polygon, px[candidates], py[candidates])
            which[candidates[hit]] = k
    return which


#: Segments per piece of boundary in the nearest-polygon search.
_PIECE_SEGMENTS = 32


def _boundary_pieces(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The polygons' rings (shells and holes) cut into lines of at most ``_PIECE_SEGMENTS``
    segments, and the position of each piece's polygon.

    A point outside every polygon is as far from a polygon as from its nearest boundary
    segment, so the nearest piece names the nearest polygon, at the same distance (GEOS
    measures both from the same segments). An STRtree of pieces measures a point against a
    few short lines, where a tree of whole polygons measures it against every vertex of each
    candidate: a province's coast has thousands.
    """
    parts, part_polygon = shapely.get_parts(polygons, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coordinates, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    vertices = np.bincount(vertex_ring, minlength=len(rings))
    first = np.cumsum(vertices) - vertices
    segments = np.maximum(vertices - 1, 0)
    per_ring = -(-segments // _PIECE_SEGMENTS)
    piece_ring = np.repeat(np.arange(len(rings)), per_ring)
    nth = np.arange(len(piece_ring)) - np.repeat(np.cumsum(per_ring) - per_ring, per_ring)
    start = first[piece_ring] + nth * _PIECE_SEGMENTS
    length = np.minimum((nth + 1) * _PIECE_SEGMENTS, segments[piece_ring]) - nth * _PIECE_SEGMENTS
    length += 1  # vertices: each piece ends on the vertex the next starts from
    piece = np.repeat(np.arange(len(piece_ring)), length)
    vertex = (
        np.repeat(start, length)
        + np.arange(len(piece))
        - np.repeat(np.cumsum(length) - length, length)
    )
    lines = shapely.linestrings(coordinates[vertex], indices=piece)
    return lines, part_polygon[ring_part[piece_ring]]


# -------------------------------------------------------------------------- sources
def read_sources(
    source: str | Path | pd.DataFrame,
    *,
    lon: str = "lon",
    lat: str = "lat",
    sector: str | None = None,
    sector_value: str | None = None,
    weight: str | None = None,
    weight_value: float | None = None,
    region: str | None = None,
    region_value: str | None = None,
    id: str | None = None,
    crs: Any = "EPSG:4326",
    concordance: Any = None,
    zones: Zones | None = None,
    tolerance: float = 10_000.0,
    units: str | None = None,
    where: Mapping[str, Any] | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    sectors: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    invalid: Invalid = "raise",
    unplaced: Unplaced = "warn",
    factor: Any = None,
) -> Sources:
    """Read point sources from a CSV, GeoPackage, GeoParquet or a (Geo)DataFrame.

    The sector, region and weight of each point come from a column (``sector=``,
    ``region=``, ``weight=``) or are one value for every point (``sector_value=``,
    ``region_value=``, ``weight_value=``); never both, and a column that is absent is an
    error listing the table's columns.

    Parameters
    ----------
    source : path or DataFrame
        CSV (any common delimiter, cells may hold newlines), any vector format GDAL reads
        (GeoPackage, GeoJSON, shapefile), (Geo)Parquet, or a DataFrame. Point geometries
        stand in for the coordinate columns when those are absent.
    lon, lat : str
        Coordinate columns (x and y in ``crs``).
    sector : str, optional
        Column of sector codes (MRIO codes, or codes of ``concordance``); default
        ``"sector"`` unless ``sector_value`` is given.
    sector_value : str, optional
        One sector code for every point (e.g. ``"secE"`` for a table of power plants).
    weight : str, optional
        Column of emissions or of a proxy (capacity, output); must be finite and >= 0, and
        not 0 everywhere. Default ``"weight"`` unless ``weight_value`` is given.
    weight_value : float, optional
        One weight for every point (each point counts the same).
    region : str, optional
        Column of MRIO region codes (not with ``zones``).
    region_value : str, optional
        One MRIO region for every point (e.g. ``"CHN"``).
    id : str, optional
        Column of point identifiers; must be unique. Row positions otherwise.
    crs : optional
        CRS of the ``lon``/``lat`` columns (default WGS84 lon/lat). A GeoDataFrame's (or a
        GeoPackage's) own CRS is its geometry's: it is used only when the geometry stands in
        for absent ``lon``/``lat`` columns.
    concordance : path, DataFrame or mapping, optional
        The user's sector codes to MRIO sectors (see :func:`read_concordance`).
    zones : Zones, optional
        Polygons of the regions, labelled by MRIO region code
        (:meth:`Zones.from_frame(frame, label=...) <gridfoot.spatial.Zones.from_frame>`): each
        point takes the label of the polygon it falls in, or of the nearest polygon within
        ``tolerance`` metres (points just off the coast); the rest are unplaced.
    tolerance : float
        Metres, finite and >= 0; see ``zones``.
    units : str, optional
        Units of the weights when they are emissions (``"t"``, ``"kt"``, ``"Mt"``, ...),
        needed for the ``inventory`` allocation mode; any other name is an error (leave it
        out for a proxy such as capacity).
    where : mapping, optional
        Keep only rows whose columns equal the given values (a list means any of them), e.g.
        ``{"Country": "China", "Status": "operating"}``.
    layer : str, optional
        Layer of a multi-layer vector file (an error for a CSV, which has none).
    encoding : str, optional
        Text encoding of a CSV (and of the concordance CSV), default UTF-8; e.g. ``"gbk"``.
    sectors : sequence of str, optional
        The MRIO's sectors. Points whose sector (after the concordance) is not among them are
        invalid, and so is a concordance row naming another sector. Without it, sectors are
        checked only when the points are allocated.
    regions : sequence of str, optional
        The MRIO's regions, to check regions given by ``region`` or ``region_value``.
    invalid : {"raise", "report"}
        Rows with missing or out-of-range coordinates, bad weights, sectors or regions that
        are unknown, or duplicated ids raise an error naming them, or (``"report"``) are set
        aside in ``unplaced`` with the reason, with an
        :class:`~gridfoot.errors.UnplacedWarning` giving their count and weight.
    unplaced : {"warn", "raise"}
        Points outside every boundary polygon: an :class:`~gridfoot.errors.UnplacedWarning`
        (they are listed in ``unplaced``) or an error.
    factor : EmissionFactor or float, optional
        Emissions per unit of weight (:class:`~gridfoot.spatial.EmissionFactor`: one value, or
        by the value of a column such as the steel route), for a weight that is a capacity:
        the points' weights become weight x factor, in ``units``. Rows whose column value
        has no factor are invalid.

    Returns
    -------
    Sources

    Raises
    ------
    InputFileError
        The file cannot be read, has no rows, or lacks a named column.
    LabelError, ValueCheckError
        Invalid rows (``invalid="raise"``), a bad concordance.

    Examples
    --------
    >>> table = pd.DataFrame({"plant": ["a", "b", "c"], "lon": [116.4, 121.5, 113.3],
    ...                       "lat": [39.9, 31.2, 23.1], "co2": [5.0, 3.0, 2.0]})
    >>> sources = read_sources(table, id="plant", weight="co2", sector_value="secE",
    ...                        region_value="CHN", units="Mt")
    >>> sources.points[["id", "region", "sector", "weight"]]
      id region sector  weight
    0  a    CHN   secE     5.0
    1  b    CHN   secE     3.0
    2  c    CHN   secE     2.0
    """
    check_choice(invalid, "invalid", ("raise", "report"))
    check_choice(unplaced, "unplaced", ("warn", "raise"))
    tolerance = _check_tolerance(tolerance)
    check_units(units, "units=")
    if weight_value is not None and not (
        isinstance(weight_value, int | float) and np.isfinite(weight_value) and weight_value > 0
    ):
        raise ValueCheckError(f"weight_value= must be a finite number > 0, got {weight_value!r}")
    if zones is not None and (region is not None or region_value is not None):
        given = f"region={region!r}" if region is not None else f"region_value={region_value!r}"
        raise ConfigError(
            "with zones the region comes from the polygons (the zones' label, "
            f"Zones.from_frame(frame, label=...)); drop {given}"
        )
    # Codes are text: "0610" must not become 610 (nor 3511 a float beside a blank).
    text_columns = [id, sector if sector_value is None else None]
    text_columns.append(sector or "sector" if sector_value is None else None)
    if zones is None and region_value is None:
        text_columns.append(region)
    frame, origin = _read_table(source, layer, encoding=encoding, text_columns=text_columns)
    if not len(frame):
        raise InputFileError(f"{origin}: no points (the table has no rows)")
    # Rows are numbered in the table as read, before where= selects some of them.
    frame = _select_rows(frame.reset_index(drop=True), where, origin)
    frame, crs = _coordinates(frame, lon, lat, crs, origin)
    if id is not None and id not in frame.columns:
        raise InputFileError(
            f"{origin}: no column {id!r} for the id (id=); columns: "
            f"{format_labels(map(str, frame.columns), 20)}"
        )
    weight_column, weight_note = _column_or_value(
        frame, origin, "weight", weight, weight_value, "weight"
    )
    sector_column, sector_note = _column_or_value(
        frame, origin, "sector", sector, sector_value, "sector"
    )
    sector_label = sector if sector_value is None else "sector_value"
    sector_label = sector_label or "sector"
    weight_label = weight if weight_value is None else "weight_value"
    weight_label = weight_label or "weight"
    notes = [sector_note]
    ids = frame[id].astype("str") if id is not None else None
    codes = sector_column.astype("str").str.strip()
    x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(float)
    y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(float)
    weights = pd.to_numeric(weight_column, errors="coerce").to_numpy(float)
    factor = _as_factor(factor)
    factors = factor.per_row(frame, origin) if factor is not None else np.ones(len(frame))

    problems: list[tuple[str, np.ndarray, type[GridfootError]]] = []

    def problem(mask: np.ndarray, reason: str, kind: type[GridfootError]) -> None:
        if mask.any():
            problems.append((reason, np.asarray(mask, dtype=bool), kind))

    no_xy = ~(np.isfinite(x) & np.isfinite(y))
    problem(no_xy, f"missing or non-numeric coordinates ({lon!r}, {lat!r})", ValueCheckError)
    if crs.is_geographic:
        _check_ranges(x, y, no_xy, lon, lat, problem)
    # text that is not a number: a weight given (not blank) that did not convert; only the
    # weights that did not convert are read as text (all of them: 0.7 s a million points)
    text = np.zeros(len(weights), dtype=bool)
    failed = np.flatnonzero(np.isnan(weights))
    if len(failed):
        given = weight_column.iloc[failed]
        text[failed] = given.notna().to_numpy() & (given.astype(str).str.strip() != "").to_numpy()
    if text.any():
        examples = format_labels(pd.unique(weight_column[text].astype(str)), 3)
        problem(
            text,
            f"non-numeric weight ({weight_label!r}: {examples}; a thousands separator or "
            "decimal comma the reader did not expect?)",
            ValueCheckError,
        )
    problem(
        ~np.isfinite(weights) & ~text,
        f"missing or non-finite weight ({weight_label!r})",
        ValueCheckError,
    )
    problem(weights < 0, f"negative weight ({weight_label!r})", ValueCheckError)
    if factor is not None:
        none = np.isnan(factors)
        if none.any():
            values = frame[factor.column].astype("str").str.strip()[none]
            problem(
                none,
                f"no emission factor for {factor.column!r} value(s) "
                f"{format_labels(values.unique())} (factor.values; factor.default for the rest)",
                LabelError,
            )
        weights = weights * np.nan_to_num(factors)
        weight_label = f"{weight_label} x factor"
    has_code = (codes.notna() & (codes != "")).to_numpy()
    problem(~has_code, f"missing sector ({sector_label!r})", LabelError)
    if ids is not None:
        problem(_duplicated(ids), f"duplicated id ({id!r})", LabelError)
        problem(ids.isna().to_numpy(), f"missing id ({id!r})", LabelError)
    table = None
    if concordance is not None:
        table = read_concordance(concordance, sectors=sectors, encoding=encoding)
        unknown = ~codes.isin(table["code"]).to_numpy() & has_code
        problem(
            unknown,
            f"sector code(s) {format_labels(codes[unknown].unique())} ({sector_label!r}) absent "
            "from the concordance",
            LabelError,
        )
    elif sectors is not None:
        unknown = ~codes.isin(list(map(str, sectors))).to_numpy() & has_code
        problem(
            unknown,
            f"sector code(s) {format_labels(codes[unknown].unique())} ({sector_label!r}) that "
            f"are not MRIO sectors ({format_labels(sectors, 12)}); codes of another "
            "classification need a concordance",
            LabelError,
        )

    if zones is not None:
        labels, located, note = _regions_from_polygons(x, y, crs, zones, tolerance, origin)
        # locate() numbers its rows 0..n-1; the table keeps its rows' numbers as read (where=
        # may have kept only some of them), so align by position.
        labels = labels.set_axis(frame.index)
    else:
        if region is None and region_value is None:
            raise InputFileError(
                f"{origin}: say where the region comes from: region= a column, "
                "region_value= one region for every point (e.g. 'CHN'), or zones= polygons "
                "labelled by region"
            )
        column, note = _column_or_value(frame, origin, "region", region, region_value)
        labels = column.astype("str").str.strip()
        located = None
        region_label = region or "region_value"
        problem(labels.isna().to_numpy(), f"missing region ({region_label!r})", LabelError)
        if regions is not None:
            strange = ~labels.isin(list(map(str, regions))).to_numpy() & labels.notna().to_numpy()
            problem(
                strange,
                f"region(s) {format_labels(labels[strange].unique())} ({region_label!r}) that "
                f"are not MRIO regions ({format_labels(regions, 12)})",
                LabelError,
            )
    notes += [note, weight_note]

    invalid_mask = np.zeros(len(frame), dtype=bool)
    for _, mask, _ in problems:
        invalid_mask |= mask
    usable = ~invalid_mask
    if usable.any() and not (weights[usable] > 0).any():
        problem(
            usable,
            f"weight 0 ({weight_label!r}), and no point has more: nothing to spread emissions by",
            ValueCheckError,
        )
    reasons = _judge(problems, invalid, frame, ids, weights, units, origin)
    invalid_mask = reasons.notna().to_numpy()

    lost = ~invalid_mask & labels.isna().to_numpy()
    if located is not None:
        reasons[lost] = f"outside every boundary polygon (farther than {tolerance:g} m)"
    keep = ~(invalid_mask | lost)
    # the text columns as they are (strings): through numpy they would become a million
    # Python objects and back (0.2 s a column)
    base = pd.DataFrame(
        {
            "id": ids.array if ids is not None else frame.index.to_numpy(),
            "row": frame.index.to_numpy(),
            "x": x,
            "y": y,
            "region": labels.array,
            "sector": codes.array,
            "weight": weights,
            "source_sector": codes.array,
        },
        index=frame.index,
    )
    set_aside = base.loc[~keep, UNPLACED_COLUMNS[:-1]].assign(reason=reasons[~keep])
    points = base.loc[keep]
    if table is not None:
        points = points.drop(columns="sector").merge(
            table.rename(columns={"code": "source_sector"}), on="source_sector", how="left"
        )
        points = points.assign(weight=points["weight"] * points["share"])[POINT_COLUMNS]
    points = points.astype({"region": "str", "sector": "str"}).reset_index(drop=True)
    result = Sources(
        points=points[POINT_COLUMNS],
        crs=crs,
        unplaced=set_aside.reset_index(drop=True),
        origin=origin,
        units=units,
        notes=tuple(notes),
    )
    if invalid_mask.any():
        counts = reasons[invalid_mask].value_counts()
        warnings.warn(
            f"{origin}: {int(invalid_mask.sum())} point(s) set aside (invalid='report'), "
            f"{_amount(weights, invalid_mask, units)}: "
            + "; ".join(f"{n} with {r}" for r, n in counts.items())
            + f"; they are listed in {LISTED}",
            UnplacedWarning,
            stacklevel=2,
        )
    outside = int(lost.sum())
    if outside:
        valid = ~invalid_mask
        hint = (
            f"the coordinates ({lon!r}, {lat!r}) were read in {_crs_name(crs)} (crs=, "
            "sources.crs): check that CRS and the lon/lat columns"
        )
        if outside == int(valid.sum()):
            raise UnplacedError(
                f"{origin}: none of the {outside:,} point(s) ({_amount(weights, lost, units)}) "
                f"lies in a boundary polygon or within {tolerance:g} m of one; {hint}"
            )
        share = outside / int(valid.sum())
        total = float(np.nansum(weights[valid]))
        weight_share = float(np.nansum(weights[lost])) / total if total > 0 else 0.0
        most = ""
        if max(share, weight_share) > MOST_OUTSIDE:
            most = (
                f" ({_share(share)} of the points, {_share(weight_share)} of their weight: {hint})"
            )
        message = (
            f"{origin}: {outside} point(s) with {_amount(weights, lost, units)} lie outside "
            f"every boundary polygon (farther than {tolerance:g} m){most}: "
            f"{_where(frame, ids, lost)}; they are listed in {LISTED}"
        )
        if unplaced == "raise":
            raise UnplacedError(message)
        warnings.warn(message, UnplacedWarning, stacklevel=2)
    _warn_extreme(points, origin, units)
    return result


def _duplicated(values: pd.Series) -> np.ndarray:
    """Whether each value occurs more than once (missing values are one value), as
    ``values.duplicated(keep=False)``: counted by code, in half its time for a million ids."""
    codes = pd.factorize(values, use_na_sentinel=False)[0]
    return np.bincount(codes, minlength=1)[codes] > 1


def _as_factor(factor: Any) -> Any:
    """An :class:`~gridfoot.spatial.EmissionFactor` (a number is one for every point)."""
    from gridfoot.spatial.factors import EmissionFactor

    if factor is None or isinstance(factor, EmissionFactor):
        return factor
    return EmissionFactor(value=float(factor))


def _crs_name(crs: pyproj.CRS) -> str:
    code = crs.to_epsg()
    return f"{crs.name} (EPSG:{code})" if code else crs.name


def check_units(units: Any, key: str) -> None:
    """Refuse units of point weights that gridfoot cannot convert (``key`` names the option)."""
    from gridfoot.spatial.allocate import _MASS

    if units is not None and units not in _MASS:
        raise ConfigError(
            f"{key}: unknown units {units!r} for the point weights; known: "
            f"{format_labels(_MASS, 20)} (leave it out when the weights are a proxy such as "
            "capacity)"
        )


def _warn_extreme(points: pd.DataFrame, origin: str, units: str | None) -> None:
    """Warn about points whose weight dwarfs the rest of their sector's.

    A point weighing more than :data:`EXTREME_RATIO` times the median positive weight of its
    MRIO sector (among sectors with at least :data:`EXTREME_MIN_POINTS` positive weights)
    and more than :data:`EXTREME_SHARE` of its producer's (region and sector) points is most
    likely a typo or a unit slip: in the ``mrio`` mode it takes nearly all of its producer's
    emissions. Real inventories stay far below: China's coal units span 0.07 to 3.5 times
    their median; the sample's firms at most 73 times (2e4 times with every firm in one
    sector, but then no firm holds half of its region's total).
    """
    weights = points["weight"].to_numpy(float)
    positive = weights > 0
    if not positive.any():
        return
    frame = points.loc[positive, ["region", "sector", "weight"]]
    counts = frame.groupby("sector")["weight"].transform("size").to_numpy()
    medians = frame.groupby("sector")["weight"].transform("median").to_numpy()
    producer = frame.groupby(["region", "sector"])["weight"].transform("sum").to_numpy()
    values = frame["weight"].to_numpy(float)
    with np.errstate(invalid="ignore", over="ignore"):
        extreme = (
            (counts >= EXTREME_MIN_POINTS)
            & (values > EXTREME_RATIO * medians)
            & (values > EXTREME_SHARE * producer)
        )
    if not extreme.any():
        return
    flagged = points.loc[positive].loc[extreme]
    shown = f" {units}" if units else ""
    items = [
        f"row {r} (id {i}, sector {s}, weight {w:.6g}{shown}, {w / m:.3g} x its sector's median)"
        for r, i, s, w, m in zip(
            flagged["row"],
            flagged["id"],
            flagged["sector"],
            flagged["weight"],
            medians[extreme],
            strict=True,
        )
    ]
    every = np.ones(len(flagged), dtype=bool)
    warnings.warn(
        f"{origin}: {flagged['row'].nunique()} point(s) weigh more than {EXTREME_RATIO:g} "
        f"times the median weight of their sector "
        f"({_amount(flagged['weight'].to_numpy(float), every, units)}): "
        f"{format_labels(items, 5)}; each holds more than {EXTREME_SHARE:.0%} of its "
        "producer's points' weight, so it takes nearly all of the producer's emissions: "
        "check its weight and units",
        GridfootWarning,
        stacklevel=3,
    )


def _judge(
    problems: list[tuple[str, np.ndarray, type[GridfootError]]],
    invalid: Invalid,
    frame: pd.DataFrame,
    ids: pd.Series | None,
    weights: np.ndarray,
    units: str | None,
    origin: str,
) -> pd.Series:
    """Raise on the first problem (``invalid="raise"``), else each bad row's first reason."""
    reasons = pd.Series(None, index=frame.index, dtype="str")
    for reason, mask, kind in problems:
        if invalid == "raise":
            others = [p[0] for p in problems if p[0] != reason]
            raise kind(
                f"{origin}: {int(mask.sum())} point(s) with {reason}, "
                f"{_amount(weights, mask, units)}: {_where(frame, ids, mask)}"
                + (f"; other problems: {format_labels(others, 4)}" if others else "")
                + " (invalid='report' sets such points aside instead)"
            )
        reasons[mask & reasons.isna().to_numpy()] = reason
    return reasons


def _select_rows(frame: pd.DataFrame, where: Mapping[str, Any] | None, origin: str) -> pd.DataFrame:
    if not where:
        return frame
    keep = np.ones(len(frame), dtype=bool)
    for column, wanted in where.items():
        if column not in frame.columns:
            raise InputFileError(
                f"{origin}: where= names column {column!r}, which is absent; "
                f"columns: {format_labels(frame.columns)}"
            )
        values = [wanted] if isinstance(wanted, str) or np.isscalar(wanted) else list(wanted)
        keep &= frame[column].isin(values).to_numpy()
    if not keep.any():
        raise InputFileError(
            f"{origin}: where= keeps none of its {len(frame):,} rows ("
            + ", ".join(f"{c} = {v!r}" for c, v in where.items())
            + ")"
        )
    return frame.loc[keep]


def _coordinates(
    frame: pd.DataFrame, lon: str, lat: str, crs: Any, origin: str
) -> tuple[pd.DataFrame, pyproj.CRS]:
    """The table with coordinate columns, from a point geometry when the columns are absent."""
    import geopandas as gpd

    if isinstance(frame, gpd.GeoDataFrame):
        # The file's CRS is its geometry's: it applies when the geometry stands in for the
        # coordinate columns, never to columns, which are in the CRS the user names (crs=,
        # sources.crs). A GeoPackage in Web Mercator often keeps lon/lat columns in degrees.
        if lon not in frame.columns or lat not in frame.columns:
            if frame.crs is not None:
                crs = frame.crs
            geometry = frame.geometry
            kinds = geometry.geom_type.to_numpy()
            bad = (kinds != "Point") & geometry.notna().to_numpy()
            if bad.any():
                raise InputFileError(
                    f"{origin}: geometries must be points; {int(bad.sum())} are not: "
                    f"{format_labels(frame.index[bad])}"
                )
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name)).assign(
                **{lon: geometry.x.to_numpy(), lat: geometry.y.to_numpy()}
            )
        else:
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    missing = [c for c in (lon, lat) if c not in frame.columns]
    if missing:
        raise InputFileError(
            f"{origin}: missing coordinate column(s) {', '.join(map(repr, missing))} (lon=, "
            f"lat=); columns: {format_labels(map(str, frame.columns), 20)}"
        )
    return frame, _as_crs(crs, "points")


def _check_ranges(x, y, no_xy, lon, lat, problem) -> None:
    """Flag degrees out of range; say so when swapping the columns would fix them."""
    bad_lat = ~no_xy & (np.abs(y) > 90)
    bad_lon = ~no_xy & (np.abs(x) > 180)
    swapped = (bad_lat | bad_lon) & (np.abs(x) <= 90) & (np.abs(y) <= 180)
    hint = f"; columns {lon!r} and {lat!r} look swapped" if swapped.any() else ""
    problem(bad_lat, f"latitude beyond +-90 ({lat!r}){hint}", ValueCheckError)
    problem(bad_lon & ~bad_lat, f"longitude beyond +-180 ({lon!r}){hint}", ValueCheckError)


def _regions_from_polygons(
    x: np.ndarray,
    y: np.ndarray,
    crs: pyproj.CRS,
    zones: Zones,
    tolerance: float,
    origin: str,
) -> tuple[pd.Series, pd.DataFrame, str]:
    usable = np.isfinite(x) & np.isfinite(y)
    if crs.is_geographic:
        usable &= (np.abs(y) <= 90) & (np.abs(x) <= 180)

    def located(px: np.ndarray, py: np.ndarray) -> pd.DataFrame:
        return locate(px, py, crs, zones, tolerance)

    found = located(np.where(usable, x, np.nan), np.where(usable, y, np.nan))
    if crs.is_geographic:
        refuse_swapped(
            x,
            y,
            int(found["label"].notna().sum()),
            lambda px, py: located(px, py)["label"].notna().to_numpy(),
            origin,
            "every boundary polygon",
        )
    nearest = int((found["distance"] > 0).sum())
    column = f"polygon attribute {zones.column!r}" if zones.column else "the polygons' index"
    note = (
        f"region from {column} of {zones.source} ({nearest} point(s) by the nearest "
        f"polygon within {tolerance:g} m)"
    )
    return found["label"], found, note


def refuse_swapped(
    x: np.ndarray,
    y: np.ndarray,
    placed: int,
    is_placed: Callable[[np.ndarray, np.ndarray], np.ndarray],
    origin: str,
    where: str,
) -> None:
    """Raise when most lon/lat points miss ``where`` but would land after swapping x and y.

    ``placed`` points of ``x, y`` landed; ``is_placed(x, y)`` says which of other
    coordinates do.
    """
    n = len(x)
    if placed >= 0.5 * max(n, 1):
        return
    ok = (np.abs(x) <= 90) & (np.abs(y) <= 180)
    swapped = int(is_placed(np.where(ok, y, np.nan), np.where(ok, x, np.nan)).sum())
    if swapped > max(2 * placed, 0.5 * n):
        raise ValueCheckError(
            f"{origin}: longitude and latitude look swapped: {n - placed} of {n} points fall "
            f"outside {where}, but only {n - swapped} would after swapping the two columns"
        )


def _share(value: float) -> str:
    """A percentage that never rounds a part up to the whole: 99.97%, not 100%."""
    text = f"{value:.0%}"
    return f"{value:.2%}" if text == "100%" and value < 1 else text
