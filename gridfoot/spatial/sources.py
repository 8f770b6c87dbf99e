"""Point sources: read, validate, map sector codes, assign regions.

A point source is a plant, firm or facility with a location, a sector, a region and a weight
(its emissions, or a proxy such as capacity). :func:`read_sources` reads them from a file or a
(Geo)DataFrame with the user's own column names and returns :class:`Sources`: the points that
can be used, one row per point and MRIO sector, and the points that cannot, each with its
weight and the reason. Nothing is dropped silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyproj
import shapely

from gridfoot.errors import (
    GridfootError,
    InputFileError,
    LabelError,
    MissingFileError,
    UnplacedError,
    UnplacedWarning,
    ValueCheckError,
    format_labels,
)
from gridfoot.spatial.grid import _as_crs, _polygon_array, _reproject, _transformer, albers_for

__all__ = ["Sources", "locate", "read_concordance", "read_sources"]

Invalid = Literal["raise", "report"]
Unplaced = Literal["warn", "raise"]

#: Columns of :attr:`Sources.points`.
POINT_COLUMNS = ["id", "row", "x", "y", "region", "sector", "weight", "source_sector"]
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
def _read_table(source: Any, layer: str | None) -> tuple[pd.DataFrame, str]:
    import geopandas as gpd

    if isinstance(source, pd.DataFrame):
        return source, "DataFrame"
    path = Path(source)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file")
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
            return pd.read_csv(
                path, sep="\t" if name.endswith(".tsv") else ",", low_memory=False
            ), str(path)
        if name.endswith((".parquet", ".geoparquet", ".pq")):
            try:
                return gpd.read_parquet(path), str(path)
            except ValueError:  # plain Parquet, no geometry metadata
                return pd.read_parquet(path), str(path)
        return gpd.read_file(path, layer=layer), str(path)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise InputFileError(f"{path}: cannot read it: {error}") from None


def _where(frame: pd.DataFrame, ids: pd.Series | None, mask: np.ndarray, limit: int = 8) -> str:
    rows = frame.index[mask]
    if ids is None:
        return "row(s) " + format_labels(rows, limit)
    return "row(s) " + format_labels(
        [f"{r} (id {i})" for r, i in zip(rows, ids[mask], strict=True)], limit
    )


def _column_or_constant(
    frame: pd.DataFrame, spec: Any, what: str, origin: str
) -> tuple[pd.Series, str]:
    if isinstance(spec, str) and spec in frame.columns:
        return frame[spec], f"{what} from column {spec!r}"
    if isinstance(spec, str) or np.isscalar(spec):
        return pd.Series(str(spec), index=frame.index), (
            f"{what}: the constant {spec!r} for every point ({origin} has no column of that name)"
        )
    raise InputFileError(f"{origin}: {what} must be a column name or a constant, got {spec!r}")


def read_concordance(
    concordance: str | Path | pd.DataFrame | Mapping[str, Any],
    code: str = "code",
    sector: str = "sector",
    share: str | None = "share",
) -> pd.DataFrame:
    """A sector concordance: the user's codes to MRIO sectors, many-to-one or one-to-many.

    Parameters
    ----------
    concordance : path, DataFrame or mapping
        A CSV or table with a column of codes and a column of MRIO sectors, and (for codes that
        map to several sectors) a column of shares summing to 1 per code; or a mapping
        ``{code: sector}`` or ``{code: {sector: share}}``.
    code, sector, share : str
        Column names. Without a share column every code must map to one sector.

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
        frame, origin = _read_table(concordance, None)
        origin = f"concordance {origin}"
        missing = [c for c in (code, sector) if c not in frame.columns]
        if missing:
            raise InputFileError(
                f"{origin}: missing column(s) {format_labels(missing)}; "
                f"columns: {format_labels(frame.columns)}"
            )
        table = pd.DataFrame(
            {
                "code": frame[code].astype(str).to_numpy(),
                "sector": frame[sector].astype(str).to_numpy(),
                "share": pd.to_numeric(frame[share], errors="coerce").to_numpy()
                if share in frame.columns
                else 1.0,
            }
        )
    bad = ~np.isfinite(table["share"].to_numpy(float)) | (table["share"].to_numpy(float) < 0)
    if bad.any():
        raise ValueCheckError(
            f"{origin}: shares must be finite and >= 0; bad for code(s) "
            f"{format_labels(table['code'][bad].unique())}"
        )
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


# ------------------------------------------------------------------- point in polygon
def locate(
    x: np.ndarray,
    y: np.ndarray,
    crs: Any,
    boundaries: Any,
    attribute: str,
    tolerance: float = 10_000.0,
) -> pd.DataFrame:
    """The polygon each point falls in, or the nearest one within ``tolerance`` metres.

    Points on a shared border go to the first polygon (in the boundaries' order). Distances are
    measured in the boundaries' CRS when it is projected, else in an Albers equal-area
    projection fitted to them.

    Parameters
    ----------
    x, y : arrays
        Point coordinates in ``crs`` (lon, lat for ``"EPSG:4326"``).
    crs : CRS of the points
    boundaries : GeoDataFrame
        (Multi)polygons with a CRS and a column ``attribute``.
    attribute : str
        The column whose value labels each point.
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
    >>> squares = gpd.GeoDataFrame({"name": ["W", "E"]},
    ...     geometry=[box(0, 0, 10_000, 10_000), box(10_000, 0, 20_000, 10_000)], crs="EPSG:3035")
    >>> locate(np.array([5_000, 10_000, 20_500, 40_000]), np.array([5_000, 5_000, 5_000, 5_000]),
    ...        "EPSG:3035", squares, "name", tolerance=1_000)
      label  distance
    0     W       0.0
    1     W       0.0
    2     E     500.0
    3   NaN       NaN
    """
    import geopandas as gpd

    if not isinstance(boundaries, gpd.GeoDataFrame) or attribute not in boundaries.columns:
        raise InputFileError(
            f"boundaries must be a GeoDataFrame with a column {attribute!r} naming each polygon"
        )
    geometries, source_crs = _polygon_array(boundaries)
    metric = source_crs
    if source_crs.is_geographic:  # distances need metres
        lonlat = _reproject(geometries, source_crs, pyproj.CRS("EPSG:4326"))
        metric = albers_for(*shapely.total_bounds(lonlat))
    polygons = _reproject(geometries, source_crs, metric)
    px, py = _transformer(_as_crs(crs, "points"), metric).transform(
        np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    )
    points = shapely.points(px, py)
    tree = shapely.STRtree(polygons)
    which = np.full(len(points), -1, dtype=np.int64)
    distance = np.full(len(points), np.nan)
    hit_point, hit_polygon = tree.query(points, predicate="intersects")
    order = np.lexsort((hit_polygon, hit_point))
    first = np.unique(hit_point[order], return_index=True)[1]
    which[hit_point[order][first]] = hit_polygon[order][first]
    distance[which >= 0] = 0.0
    outside = np.flatnonzero((which < 0) & np.isfinite(px) & np.isfinite(py))
    if tolerance > 0 and len(outside):
        (near_point, near_polygon), gap = tree.query_nearest(
            points[outside], max_distance=tolerance, return_distance=True
        )
        order = np.lexsort((near_polygon, gap, near_point))
        first = np.unique(near_point[order], return_index=True)[1]
        chosen = outside[near_point[order][first]]
        which[chosen] = near_polygon[order][first]
        distance[chosen] = gap[order][first]
    labels = boundaries[attribute].astype("str").to_numpy()
    label = pd.array(np.where(which >= 0, labels[np.maximum(which, 0)], None), dtype="str")
    return pd.DataFrame({"label": label, "distance": distance})


# -------------------------------------------------------------------------- sources
def read_sources(
    source: str | Path | pd.DataFrame,
    *,
    lon: str = "lon",
    lat: str = "lat",
    sector: str = "sector",
    weight: str = "weight",
    region: str | None = None,
    id: str | None = None,
    crs: Any = "EPSG:4326",
    concordance: Any = None,
    boundaries: Any = None,
    tolerance: float = 10_000.0,
    units: str | None = None,
    where: Mapping[str, Any] | None = None,
    layer: str | None = None,
    invalid: Invalid = "raise",
    unplaced: Unplaced = "warn",
) -> Sources:
    """Read point sources from a CSV, GeoPackage, GeoParquet or a (Geo)DataFrame.

    Parameters
    ----------
    source : path or DataFrame
        CSV (cells may hold newlines), any vector format GDAL reads (GeoPackage, GeoJSON,
        shapefile), (Geo)Parquet, or a DataFrame. Point geometries stand in for the
        coordinate columns when those are absent.
    lon, lat : str
        Coordinate columns (x and y in ``crs``).
    sector : str
        Column of sector codes (MRIO codes, or codes of ``concordance``), or a constant code
        for every point (e.g. ``"secE"``) when the table has no column of that name.
    weight : str
        Column of emissions or of a proxy (capacity, output); must be finite and >= 0.
    region : str, optional
        Column of MRIO region codes, or a constant (e.g. ``"CHN"``) when the table has no
        column of that name. With ``boundaries``, the boundaries' column naming each region.
    id : str, optional
        Column of point identifiers; must be unique. Row positions otherwise.
    crs : optional
        CRS of the coordinates (default WGS84 lon/lat); a GeoDataFrame's own CRS wins.
    concordance : path, DataFrame or mapping, optional
        The user's sector codes to MRIO sectors (see :func:`read_concordance`).
    boundaries : GeoDataFrame, optional
        Polygons of the regions: each point takes the ``region`` label of the polygon it
        falls in, or of the nearest polygon within ``tolerance`` metres (points just off the
        coast); the rest are unplaced.
    tolerance : float
        Metres; see ``boundaries``.
    units : str, optional
        Units of the weights when they are emissions (``"t"``, ``"kt"``, ``"Mt"``, ...),
        needed for the ``inventory`` allocation mode.
    where : mapping, optional
        Keep only rows whose columns equal the given values (a list means any of them), e.g.
        ``{"Country": "China", "Status": "operating"}``.
    layer : str, optional
        Layer of a multi-layer vector file.
    invalid : {"raise", "report"}
        Rows with missing or out-of-range coordinates, bad weights, unknown sector codes or
        duplicated ids raise an error naming them, or (``"report"``) are set aside in
        ``unplaced`` with the reason.
    unplaced : {"warn", "raise"}
        Points outside every boundary polygon: an :class:`~gridfoot.errors.UnplacedWarning`
        (they are listed in ``unplaced``) or an error.

    Returns
    -------
    Sources

    Examples
    --------
    >>> table = pd.DataFrame({"plant": ["a", "b", "c"], "lon": [116.4, 121.5, 113.3],
    ...                       "lat": [39.9, 31.2, 23.1], "co2": [5.0, 3.0, 2.0]})
    >>> sources = read_sources(table, id="plant", weight="co2", sector="secE", region="CHN",
    ...                        units="Mt")
    >>> sources.points[["id", "region", "sector", "weight"]]
      id region sector  weight
    0  a    CHN   secE     5.0
    1  b    CHN   secE     3.0
    2  c    CHN   secE     2.0
    """
    if invalid not in ("raise", "report") or unplaced not in ("warn", "raise"):
        raise ValueError(
            f"invalid= 'raise'|'report' and unplaced= 'warn'|'raise', got {invalid!r}, {unplaced!r}"
        )
    frame, origin = _read_table(source, layer)
    # Rows are numbered in the table as read, before where= selects some of them.
    frame = _select_rows(frame.reset_index(drop=True), where, origin)
    frame, crs = _coordinates(frame, lon, lat, crs, origin)
    missing = [c for c in (weight, id) if c is not None and c not in frame.columns]
    if missing:
        raise InputFileError(
            f"{origin}: missing column(s) {format_labels(missing)}; "
            f"columns: {format_labels(frame.columns)}"
        )
    notes = []
    ids = frame[id].astype("str") if id is not None else None
    sectors, note = _column_or_constant(frame, sector, "sector", origin)
    sectors = sectors.astype("str")
    notes.append(note)
    x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(float)
    y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(float)
    weights = pd.to_numeric(frame[weight], errors="coerce").to_numpy(float)

    problems: list[tuple[str, np.ndarray, type[GridfootError]]] = []

    def problem(mask: np.ndarray, reason: str, kind: type[GridfootError]) -> None:
        if mask.any():
            problems.append((reason, np.asarray(mask, dtype=bool), kind))

    no_xy = ~(np.isfinite(x) & np.isfinite(y))
    problem(no_xy, f"missing or non-numeric coordinates ({lon!r}, {lat!r})", ValueCheckError)
    if crs.is_geographic:
        _check_ranges(x, y, no_xy, lon, lat, problem)
    problem(~np.isfinite(weights), f"missing or non-finite weight ({weight!r})", ValueCheckError)
    problem(weights < 0, f"negative weight ({weight!r})", ValueCheckError)
    problem(sectors.isna().to_numpy(), f"missing sector ({sector!r})", LabelError)
    if ids is not None:
        problem(ids.duplicated(keep=False).to_numpy(), f"duplicated id ({id!r})", LabelError)
        problem(ids.isna().to_numpy(), f"missing id ({id!r})", LabelError)
    table = None
    if concordance is not None:
        table = read_concordance(concordance)
        unknown = ~sectors.isin(table["code"]).to_numpy() & sectors.notna().to_numpy()
        problem(unknown, "sector code absent from the concordance", LabelError)

    if boundaries is not None:
        if region is None:
            raise InputFileError("with boundaries, name their column of region codes: region=")
        regions, located, note = _regions_from_polygons(
            x, y, crs, boundaries, region, tolerance, origin
        )
    else:
        if region is None:
            raise InputFileError(
                f"{origin}: say where the region comes from: region= a column, a constant "
                "(e.g. 'CHN'), or the column of boundaries= polygons"
            )
        regions, note = _column_or_constant(frame, region, "region", origin)
        regions = regions.astype("str")
        located = None
        problem(regions.isna().to_numpy(), f"missing region ({region!r})", LabelError)
    notes.append(note)

    invalid_mask = np.zeros(len(frame), dtype=bool)
    reasons = pd.Series(None, index=frame.index, dtype="str")
    for reason, mask, kind in problems:
        if invalid == "raise":
            raise kind(
                f"{origin}: {int(mask.sum())} point(s) with {reason}: "
                f"{_where(frame, ids, mask)}"
                + (
                    f"; other problems: {format_labels([p[0] for p in problems[1:]])}"
                    if len(problems) > 1
                    else ""
                )
                + " (invalid='report' sets such points aside instead)"
            )
        reasons[mask & reasons.isna().to_numpy()] = reason
        invalid_mask |= mask

    lost = ~invalid_mask & regions.isna().to_numpy()
    if located is not None:
        reasons[lost] = f"outside every boundary polygon (farther than {tolerance:g} m)"
    keep = ~(invalid_mask | lost)
    base = pd.DataFrame(
        {
            "id": ids if ids is not None else frame.index.to_numpy(),
            "row": frame.index.to_numpy(),
            "x": x,
            "y": y,
            "region": regions,
            "sector": sectors,
            "weight": weights,
            "source_sector": sectors,
        }
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
    outside = int(lost.sum())
    if outside:
        message = (
            f"{origin}: {outside} point(s) with weight {weights[lost].sum():,.6g} lie outside "
            f"every boundary polygon (farther than {tolerance:g} m): "
            f"{_where(frame, ids, lost)}; they are listed in .unplaced"
        )
        if unplaced == "raise":
            raise UnplacedError(message)
        warnings.warn(message, UnplacedWarning, stacklevel=2)
    return result


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
    return frame.loc[keep]


def _coordinates(
    frame: pd.DataFrame, lon: str, lat: str, crs: Any, origin: str
) -> tuple[pd.DataFrame, pyproj.CRS]:
    """The table with coordinate columns, from a point geometry when the columns are absent."""
    import geopandas as gpd

    if isinstance(frame, gpd.GeoDataFrame):
        if frame.crs is not None:
            crs = frame.crs
        if lon not in frame.columns or lat not in frame.columns:
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
            f"{origin}: missing coordinate column(s) {format_labels(missing)}; "
            f"columns: {format_labels(frame.columns)}"
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
    boundaries: Any,
    attribute: str,
    tolerance: float,
    origin: str,
) -> tuple[pd.Series, pd.DataFrame, str]:
    usable = np.isfinite(x) & np.isfinite(y)
    if crs.is_geographic:
        usable &= (np.abs(y) <= 90) & (np.abs(x) <= 180)

    def located(px: np.ndarray, py: np.ndarray) -> pd.DataFrame:
        return locate(px, py, crs, boundaries, attribute, tolerance)

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
    note = (
        f"region from polygon attribute {attribute!r} ({nearest} point(s) by the nearest "
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
