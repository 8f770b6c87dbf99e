"""Zones: polygons with a label and a display name, and the share of each grid cell they cover.

A :class:`Zones` is one object for what a study calls regions, provinces or cities: the
polygons (a GeoDataFrame with a CRS), the label of each polygon (the MRIO region code, a
province name; several polygons may share one, e.g. the parts of a country) and a display
name per label. It is built once from a GeoDataFrame by :meth:`Zones.from_frame`, which checks
it, and passed as ``zones=`` to everything that needs polygons (the land fraction, the
fallback of producers without point sources, zonal totals, the names of hubs).

Its :class:`ZoneCoverage` on a grid, the share of each cell's area inside each zone as a
sparse matrix, is the expensive part (exact clipping of every border cell): it is built once
per grid with :meth:`Zones.coverage` and reused by all of them, and can be saved with
:meth:`ZoneCoverage.save` and read back with :func:`load_coverage` (like allocation weights).
The methods of :class:`ZoneCoverage` are numpy-only: values in, values out.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from gridfoot.errors import (
    GridError,
    LabelError,
    format_labels,
)
from gridfoot.io.vector import check_crs, polygonal
from gridfoot.spatial.grid import Grid, cell_coverage

__all__ = ["ZoneCoverage", "Zones", "as_coverage", "load_coverage"]

_FORMAT = "gridfoot-zone-coverage-1"
#: Shares of a cell this close to 1 are rounding of pieces that make up the whole cell.
_WHOLE = 1e-12
_POLYGONAL = ("Polygon", "MultiPolygon")


# ------------------------------------------------------------------------------ zones
@dataclass(frozen=True, eq=False, repr=False)
class Zones:
    """Polygons, the label of each, and a display name per label; build with :meth:`from_frame`.

    Polygons sharing a label are one zone (a country of several parts); zones are listed in
    the order their labels first appear (:attr:`zones`).

    Attributes
    ----------
    polygons : GeoDataFrame
        Non-empty (multi)polygons with a CRS, one row per polygon.
    labels : Index
        The label of each polygon (str), in the rows' order.
    names : Mapping
        Display name of each zone (label -> name); the label itself by default.
    source : str
        Where the polygons came from (a file name), for messages.
    column : str or None
        The column the labels came from (None: the frame's index), for messages.

    Examples
    --------
    Two provinces on a 4 x 4 grid of 10 km cells: West covers the two western columns and a
    quarter of the third, East the rest of the northern half:

    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from gridfoot.spatial import Grid
    >>> frame = gpd.GeoDataFrame(
    ...     {"code": ["W", "E"], "name": ["West", "East"]},
    ...     geometry=[box(0, 0, 22_500, 40_000), box(22_500, 20_000, 40_000, 40_000)],
    ...     crs="EPSG:3035")
    >>> zones = Zones.from_frame(frame, label="code", name="name", source="provinces.geojson")
    >>> zones
    <Zones: 2 zones (W West, E East) from 2 polygons of provinces.geojson, label 'code'>
    >>> grid = Grid.from_bounds((0, 0, 40_000, 40_000), "EPSG:3035")
    >>> coverage = zones.coverage(grid)
    >>> coverage.matrix.toarray()[0].reshape(4, 4)
    array([[1.  , 1.  , 0.25, 0.  ],
           [1.  , 1.  , 0.25, 0.  ],
           [1.  , 1.  , 0.25, 0.  ],
           [1.  , 1.  , 0.25, 0.  ]])
    >>> coverage.land
    array([[1.  , 1.  , 1.  , 1.  ],
           [1.  , 1.  , 1.  , 1.  ],
           [1.  , 1.  , 0.25, 0.  ],
           [1.  , 1.  , 0.25, 0.  ]])
    >>> totals, outside = coverage.totals(np.ones(grid.shape))
    >>> totals.tolist(), float(outside)
    ([9.0, 3.5], 3.5)
    """

    polygons: Any  # geopandas.GeoDataFrame (geopandas is imported where it is needed)
    labels: pd.Index
    names: Mapping[str, str]
    source: str = "the polygons"
    column: str | None = None

    def __post_init__(self) -> None:
        # checks only (no repair): from_frame builds valid zones; this catches hand-built ones
        if len(self.labels) != len(self.polygons):
            raise LabelError(
                f"{self.source}: {len(self.labels)} labels for {len(self.polygons)} polygons"
            )
        unnamed = [label for label in self.zones if label not in self.names]
        if unnamed:
            raise LabelError(f"{self.source}: zone(s) {format_labels(unnamed)} have no name")

    @classmethod
    def from_frame(
        cls,
        frame: Any,
        label: str | None = None,
        name: str | None = None,
        *,
        source: str | None = None,
    ) -> Zones:
        """Zones from a GeoDataFrame (or GeoSeries): the one place polygons are checked.

        Features that are not (multi)polygons (boundary lines, points) and empty geometries
        are dropped with a :class:`~gridfoot.errors.GridfootWarning` naming them, as
        :func:`gridfoot.io.vector.read_polygons` does.

        Parameters
        ----------
        frame : GeoDataFrame or GeoSeries
            Polygons with a CRS (reprojected to a grid's CRS when their coverage is built).
        label : str, optional
            Column labelling each polygon (e.g. MRIO region codes); the index by default.
        name : str, optional
            Column of display names, one per label; the labels by default.
        source : str, optional
            Where the polygons came from, for messages; default ``frame.attrs["source"]``
            (set by ``read_polygons``) or "the polygons".

        Raises
        ------
        GridError
            ``frame`` is not a GeoDataFrame or GeoSeries.
        InputFileError
            No (multi)polygons, no CRS, or coordinates outside lon/lat in a geographic CRS.
        LabelError
            ``label`` or ``name`` is not a column (the columns are listed), polygons lack a
            label or name (their rows are listed), or a label has several names.
        """
        import geopandas as gpd

        if isinstance(frame, gpd.GeoSeries):
            frame = frame.to_frame("geometry")
        if not isinstance(frame, gpd.GeoDataFrame):
            raise GridError(
                "zones must be Zones, a ZoneCoverage, or a GeoDataFrame or GeoSeries of "
                f"polygons with a CRS (Zones.from_frame), got {type(frame).__name__}; read "
                "a file with gridfoot.io.vector.read_polygons"
            )
        source = source or frame.attrs.get("source", "the polygons")
        frame = polygonal(frame, source)
        check_crs(frame, source)
        labels = _column(frame, label, source, "to label the zones (label=)")
        if name is None:
            names = dict(zip(labels, labels, strict=True))
        else:
            values = _column(frame, name, source, "to name the zones (name=)")
            pairs = pd.DataFrame({"label": labels, "name": values}).drop_duplicates()
            several = pairs["label"].duplicated(keep=False).to_numpy()
            if several.any():
                clashes = [
                    f"{key} ({format_labels(group['name'], 4)})"
                    for key, group in pairs[several].groupby("label", sort=False)
                ]
                raise LabelError(
                    f"{source}: zone(s) have several names in column {name!r}: "
                    f"{format_labels(clashes, 5)}; give one name per {label or 'index'} "
                    f"value, or label the zones by name (label={name!r})"
                )
            names = dict(zip(pairs["label"], pairs["name"], strict=True))
        return cls(
            polygons=frame,
            labels=pd.Index(labels, dtype="str", name="zone"),
            names=MappingProxyType(names),
            source=source,
            column=label,
        )

    @property
    def zones(self) -> pd.Index:
        """The zones' labels, each once, in order of first appearance."""
        return pd.Index(pd.unique(self.labels), dtype="str", name="zone")

    def __len__(self) -> int:
        return len(self.zones)

    def coverage(self, grid: Grid) -> ZoneCoverage:
        """The share of each cell of ``grid`` inside each zone: build once, reuse.

        Computed with :func:`~gridfoot.spatial.cell_coverage` (exact at borders, polygons
        reprojected to the grid's CRS, invalid ones repaired); the polygons of a zone add up.
        """
        by_polygon = cell_coverage(grid, self.polygons)
        zones = self.zones
        codes = zones.get_indexer(self.labels)
        if len(zones) == len(codes) and (codes == np.arange(len(codes))).all():
            matrix = by_polygon  # one polygon per zone, in order: nothing to add up
        else:
            by_zone = sp.csr_matrix(
                (np.ones(len(codes)), (codes, np.arange(len(codes)))),
                shape=(len(zones), len(codes)),
            )
            matrix = (by_zone @ by_polygon).tocsr()
        return ZoneCoverage(
            grid=grid,
            labels=zones,
            names=pd.Index([self.names[z] for z in zones], dtype="str", name="name"),
            matrix=matrix,
        )

    def __repr__(self) -> str:
        shown = format_labels(
            [f"{z} {self.names[z]}" if self.names[z] != z else z for z in self.zones], 5
        )
        column = f", label {self.column!r}" if self.column else ""
        return (
            f"<Zones: {len(self)} zones ({shown}) from {len(self.polygons)} polygons of "
            f"{self.source}{column}>"
        )


def _column(frame: Any, column: str | None, source: str, purpose: str) -> np.ndarray:
    """The values of ``column`` (the index when None) as text; refused when absent or empty."""
    if column is None:
        values = frame.index.to_series()
    elif column not in frame.columns:
        raise LabelError(
            f"{source}: no column {column!r} {purpose}; columns: "
            f"{format_labels([c for c in frame.columns if c != frame.geometry.name], 20)}"
        )
    else:
        values = frame[column]
    missing = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
    if missing.any():
        raise LabelError(
            f"{source}: {int(missing.sum())} polygon(s) have no {column or 'index'} value: "
            f"rows {format_labels(np.flatnonzero(missing))}"
        )
    return values.astype(str).to_numpy(dtype=object)


# --------------------------------------------------------------------------- coverage
@dataclass(frozen=True, eq=False, repr=False)
class ZoneCoverage:
    """The share of each cell of a grid inside each zone; build with :meth:`Zones.coverage`.

    Attributes
    ----------
    grid : Grid
        The grid the coverage belongs to (compared by CRS, transform and shape).
    labels : Index
        The zones, in the matrix's row order.
    names : Index
        Display name of each zone, in the same order.
    matrix : scipy.sparse.csr_matrix
        ``(n_zones, ny * nx)``, row-major cells: the share of each cell's area inside each
        zone (its polygons added up). Zones that overlap may together cover more than a cell.
    """

    grid: Grid
    labels: pd.Index
    names: pd.Index
    matrix: sp.csr_matrix

    def __post_init__(self) -> None:
        expected = (len(self.labels), self.grid.size)
        if self.matrix.shape != expected or len(self.names) != len(self.labels):
            raise GridError(
                f"a coverage of {len(self.labels)} zones ({len(self.names)} names) on "
                f"{self.grid.size} cells needs a matrix of shape {expected}, got "
                f"{self.matrix.shape}"
            )

    # ------------------------------------------------------------------ for the grid
    @property
    def land(self) -> np.ndarray:
        """Share of each cell inside any zone, ``(ny, nx)``: the zones added up, at most 1.

        This is the land fraction of a grid over the zones (:meth:`Grid.with_land
        <gridfoot.spatial.Grid.with_land>`). Zones should not overlap: where they do, the
        overlap counts once per zone, up to the whole cell (a run warns about regions that
        overlap beyond slivers).
        """
        covered = np.asarray(self.matrix.sum(axis=0)).ravel()
        # A cell split between zones adds up to 1 only up to rounding (0.9999999999999998):
        # it is whole land, as the coverage of the zones' union says, not a coastal cell.
        covered[np.abs(covered - 1.0) < _WHOLE] = 1.0
        return np.clip(covered, 0.0, 1.0).reshape(self.grid.shape)

    def cells(self, label: Hashable) -> np.ndarray:
        """Share of each cell (flat, row-major) inside one zone, at most 1 where its own
        polygons overlap: a dense array of the whole grid (:meth:`cover` gives the zone's
        cells only).

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import box
        >>> grid = Grid.from_bounds((0, 0, 30_000, 10_000), "EPSG:3035")
        >>> frame = gpd.GeoDataFrame({"z": ["A"]}, geometry=[box(5_000, 0, 20_000, 10_000)],
        ...                          crs="EPSG:3035")
        >>> Zones.from_frame(frame, label="z").coverage(grid).cells("A").tolist()
        [0.5, 1.0, 0.0]
        """
        cells, shares = self.cover(label)
        dense = np.zeros(self.grid.size)
        dense[cells] = shares
        return dense

    def cover(self, label: Hashable) -> tuple[np.ndarray, np.ndarray]:
        """The cells one zone covers (flat, row-major, ascending) and the share of each inside
        it, at most 1 where its own polygons overlap: the land a producer without point
        sources is spread over. Sparse: memory in the zone's cells, not the grid's.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import box
        >>> grid = Grid.from_bounds((0, 0, 30_000, 10_000), "EPSG:3035")
        >>> frame = gpd.GeoDataFrame({"z": ["A"]}, geometry=[box(5_000, 0, 20_000, 10_000)],
        ...                          crs="EPSG:3035")
        >>> cells, shares = Zones.from_frame(frame, label="z").coverage(grid).cover("A")
        >>> cells.tolist(), shares.tolist()
        ([0, 1], [0.5, 1.0])
        """
        row = self.labels.get_indexer([str(label)])[0]
        if row < 0:
            raise LabelError(f"no zone {label!r}; the zones: {format_labels(self.labels, 12)}")
        start, stop = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        cells = self.matrix.indices[start:stop].astype(np.int64)
        shares = np.minimum(self.matrix.data[start:stop], 1.0)
        if not self.matrix.has_sorted_indices:
            order = np.argsort(cells)
            cells, shares = cells[order], shares[order]
        covered = shares > 0
        return cells[covered], shares[covered]

    # ------------------------------------------------------------------ for layers
    def weights(self, land_fraction: np.ndarray | None = None) -> sp.csr_matrix:
        """Share of each cell's value each zone receives, ``(n_zones, ny * nx)``.

        A cell's value is taken to be spread evenly over its land, so a zone receives the
        share of the cell's land it covers: ``coverage / max(land_fraction, sum of the zones'
        coverage)``. Where the zones are the land, a coastal cell's whole value goes to its
        zones; where they cover part of it (cities), the rest stays outside them.

        Parameters
        ----------
        land_fraction : ndarray (ny, nx) or flat, optional
            The layer's land fraction; every cell is land without one.
        """
        covered = np.asarray(self.matrix.sum(axis=0)).ravel()
        land = np.ones(self.grid.size) if land_fraction is None else np.ravel(land_fraction)
        spread = np.maximum(land, covered)
        scale = np.divide(1.0, spread, out=np.zeros_like(spread), where=spread > 0)
        return (self.matrix @ sp.diags(scale)).tocsr()

    def totals(
        self, values: np.ndarray, land_fraction: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Totals of layers within each zone, and what falls outside every zone.

        Parameters
        ----------
        values : ndarray ``(..., ny, nx)``
            NaN counts as 0.
        land_fraction : ndarray, optional
            See :meth:`weights`.

        Returns
        -------
        totals : ndarray ``(..., n_zones)``
        outside : ndarray ``(...)``
        """
        return _totals(np.asarray(values, dtype=float), self.weights(land_fraction))

    def overlap(
        self,
        values: np.ndarray,
        groups: np.ndarray,
        land_fraction: np.ndarray | None = None,
    ) -> np.ndarray:
        """How much of each group of cells' total lies in each zone (e.g. a hub's regions).

        Parameters
        ----------
        values : ndarray ``(ny, nx)``
            One layer; NaN counts as 0.
        groups : int ndarray ``(ny, nx)``
            0 outside every group, ``k`` in group ``k`` (1, 2, ...), as hub labels are.
        land_fraction : ndarray, optional
            See :meth:`weights`: a cell split between zones is split by their share of its land.

        Returns
        -------
        ndarray ``(n_zones, n_groups)``
            The total of ``values`` of each group held in each zone.
        """
        flat = np.asarray(groups).ravel()
        count = int(flat.max(initial=0))
        inside = flat > 0
        indicator = sp.csr_matrix(
            (
                np.nan_to_num(np.asarray(values, dtype=float)).ravel()[inside],
                (np.flatnonzero(inside), flat[inside] - 1),
            ),
            shape=(flat.size, count),
        )
        return (self.weights(land_fraction) @ indicator).toarray()

    # --------------------------------------------------------------------- storage
    def save(self, path: str | Path) -> Path:
        """Write the coverage, its zones and grid to NetCDF (``.nc``) or Zarr (``.zarr``)."""
        from gridfoot.io.cube import write_cube

        return write_cube(self._to_dataset(), path)

    def _to_dataset(self) -> xr.Dataset:
        coo = self.matrix.tocoo()
        data: dict[str, Any] = {
            "coverage_zone": ("entry", coo.row.astype(np.int32)),
            "coverage_cell": ("entry", coo.col.astype(np.int64)),
            "coverage": ("entry", coo.data.astype(float)),
            "zone_name": ("zone", np.asarray(self.names, dtype=str)),
        }
        if self.grid.land is not None:  # the grid's own land, as Allocation.save keeps it
            data["land"] = (("y", "x"), self.grid.land)
        dataset = xr.Dataset(
            data,
            coords={"zone": np.asarray(self.labels, dtype=str)},
            attrs={"format": _FORMAT},
        ).assign_coords({k: v for k, v in self.grid._coords().items() if k in ("x", "y")})
        return dataset.rio.write_crs(self.grid.crs).rio.write_transform(self.grid.transform)

    def __repr__(self) -> str:
        return (
            f"<ZoneCoverage: {len(self.labels)} zones ({format_labels(self.names, 5)}), "
            f"{self.matrix.nnz:,} covered cells on {self.grid!r}>"
        )


def _totals(values: np.ndarray, weights: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Zone totals ``(..., n_zones)`` and outside ``(...)`` of ``(..., y, x)`` layers."""
    layers = np.nan_to_num(values.reshape(-1, weights.shape[1]), nan=0.0)
    inside = np.minimum(np.asarray(weights.sum(axis=0)).ravel(), 1.0)
    totals = np.asarray(weights @ layers.T).T
    outside = layers @ (1.0 - inside)
    lead = values.shape[:-2]
    return totals.reshape((*lead, weights.shape[0])), outside.reshape(lead)


def as_coverage(zones: Any, grid: Grid) -> ZoneCoverage:
    """The coverage of ``zones`` on ``grid``: what every ``zones=`` parameter goes through.

    A :class:`ZoneCoverage` is checked to be of ``grid`` and returned as it is; the coverage
    of :class:`Zones` is built; a GeoDataFrame or GeoSeries is made into zones by
    :meth:`Zones.from_frame` (labelled by its index) first.

    Raises
    ------
    GridError
        A coverage of another grid, or ``zones`` of another type.
    """
    if isinstance(zones, ZoneCoverage):
        if zones.grid != grid:
            raise GridError(
                f"the zones' coverage belongs to another grid ({zones.grid!r}), not "
                f"{grid!r}; build it for this one with zones.coverage(grid)"
            )
        return zones
    if not isinstance(zones, Zones):
        zones = Zones.from_frame(zones)
    return zones.coverage(grid)


def load_coverage(path: str | Path) -> ZoneCoverage:
    """Read a coverage written by :meth:`ZoneCoverage.save`."""
    from gridfoot.io.cube import open_cube

    dataset = open_cube(path, as_dataset=True).load()
    if dataset.attrs.get("format") != _FORMAT:
        raise GridError(f"{path}: not a gridfoot zone coverage file (format {_FORMAT} expected)")
    grid = Grid.from_dataarray(dataset)
    if "land" in dataset:
        grid = Grid.make(grid.crs, grid.transform, grid.shape, dataset["land"].values)
    labels = pd.Index([str(v) for v in dataset["zone"].values], dtype="str", name="zone")
    matrix = sp.csr_matrix(
        (
            dataset["coverage"].values,
            (dataset["coverage_zone"].values, dataset["coverage_cell"].values),
        ),
        shape=(len(labels), grid.size),
    )
    names = pd.Index([str(v) for v in dataset["zone_name"].values], dtype="str", name="name")
    return ZoneCoverage(grid=grid, labels=labels, names=names, matrix=matrix)
