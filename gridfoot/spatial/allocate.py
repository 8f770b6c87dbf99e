"""Allocation weights: producers' emissions onto grid cells, built once and applied many times.

``P[(region, sector), cell]`` is the share of producer (region, sector)'s emissions in each cell;
every row of a producer with emissions sums to 1. Rows come from the producer's point sources
(their weights), or, for a producer with emissions and no points, from its region's land (or a
proxy raster). Any aggregate over producers is then a linear map (:meth:`Allocation.map`, O(nnz))
and the destination x sector cube is built chunk by chunk (:meth:`Allocation.cube`).

Two modes (DESIGN §4):

``mrio``
    The MRIO's emissions of each producer are spread over its points in proportion to their
    weights (emissions or a proxy). The cube sums over cells to the footprint ``driven``.
``inventory``
    Each point keeps its own emission (the weights, in ``Sources.units``) and is split over
    destinations by its producer's shares ``driven / F`` (``F`` = the producer's emissions in
    the footprint, ``driven`` summed over destinations and categories). The cube sums to the
    points' emissions times those shares. Producers with emissions but no points fall back to
    land with their MRIO emissions, as in ``mrio`` mode.

Internally both are ``cube[d, s, cell] = sum_r driven[r, s, d] * scale[r, s] * P[(r, s), cell]``
with ``scale = 1`` (mrio, fallback) or ``points' emissions / F`` (inventory).
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from gridfoot.checks import check_choice
from gridfoot.errors import (
    GridError,
    GridfootWarning,
    LabelError,
    UnplacedError,
    UnplacedWarning,
    ValueCheckError,
    format_labels,
)
from gridfoot.spatial.grid import Grid, _transformer
from gridfoot.spatial.inventories import OTHER_SECTOR
from gridfoot.spatial.sources import UNPLACED_COLUMNS, Sources, refuse_swapped
from gridfoot.spatial.zones import ZoneCoverage, Zones, as_coverage

__all__ = ["Allocation", "allocate", "load_allocation", "unit_factor"]

Mode = Literal["mrio", "inventory"]

_MASS = {
    "kg": 1e-3,
    "t": 1.0,
    "tonne": 1.0,
    "tonnes": 1.0,
    "Mg": 1.0,
    "kt": 1e3,
    "Gg": 1e3,
    "Mt": 1e6,
    "Tg": 1e6,
    "Gt": 1e9,
    "Pg": 1e9,
}
_FORMAT = "gridfoot-allocation-1"
#: Columns of :attr:`Allocation.report`, one row per producer in scope.
REPORT_COLUMNS = [
    "emissions",
    "input",
    "points",
    "unplaced_points",
    "method",
    "rule",
    "on_points",
    "fallback",
    "on_grid",
    "reassigned",
    "unplaced",
]
#: The columns of :attr:`Allocation.report` that account for every tonne of ``input``.
PLACEMENT_COLUMNS = ["input", "on_points", "fallback", "unplaced"]


def unit_factor(source: str | None, target: str | None) -> float:
    """Multiply quantities in ``source`` units by this to get ``target`` units (masses).

    Examples
    --------
    >>> unit_factor("Mt", "kt")
    1000.0
    >>> unit_factor("t", "t")
    1.0
    """
    if source == target and source:
        return 1.0
    if source in _MASS and target in _MASS:
        return _MASS[source] / _MASS[target]
    raise ValueCheckError(
        f"cannot convert point weights in {source!r} to the footprint's {target!r}: give "
        f"both as one of {format_labels(_MASS, 20)} (read_sources(units=...))"
    )


# ------------------------------------------------------------------------ footprint
def _driven(footprint: xr.Dataset | xr.DataArray, stressor: str | None) -> xr.DataArray:
    """The footprint's ``driven`` for one stressor, with its units in ``attrs``."""
    data = footprint["driven"] if isinstance(footprint, xr.Dataset) else footprint
    if not isinstance(data, xr.DataArray):
        raise LabelError(f"expected a footprint Dataset or DataArray, got {type(data).__name__}")
    if "stressor" in data.dims:
        if stressor is None and data.sizes["stressor"] != 1:
            raise LabelError(
                f"the footprint has {data.sizes['stressor']} stressors "
                f"({format_labels(data['stressor'].values)}); choose one with stressor="
            )
        data = data.sel(stressor=stressor) if stressor is not None else data.isel(stressor=0)
    missing = [d for d in ("region", "sector") if d not in data.dims]
    if missing:
        raise LabelError(f"the footprint has no {format_labels(missing)} dimension(s)")
    units = data.attrs.get("units")
    if not units and "unit" in data.coords and data["unit"].ndim == 0:
        units = str(data["unit"].values)
    return data.assign_attrs(units=units) if units else data


# ------------------------------------------------------------------------ allocation
@dataclass(frozen=True, eq=False, repr=False)
class Allocation:
    """Allocation weights on a grid; build with :func:`allocate`.

    Attributes
    ----------
    grid : Grid
    producers : MultiIndex
        ``(region, sector)`` of every producer in scope: every sector of every region that
        has points or a boundary polygon. Regions outside the scope are not on this grid.
    weights : scipy.sparse.csr_matrix
        ``P``, shape ``(n_producers, ny * nx)``; each row sums to 1 or (nothing placed) 0.
    scale : ndarray
        Factor on each producer's values: 1, or in ``inventory`` mode the points' emissions
        over the producer's footprint emissions; 0 where nothing is placed.
    mode : {"mrio", "inventory"}
    units : str or None
        Units of the footprint the weights were built for.
    report : DataFrame
        Per producer (index ``region``, ``sector``), in the footprint's units and over all of
        its destinations (domestic and foreign; :meth:`placement` splits any other values,
        such as the export-linked ones, the same way):

        - ``emissions``: the footprint's emissions of the producer;
        - ``input``: the tonnes the producer brings to the map: its ``emissions`` in mrio
          mode; in inventory mode its points' own emissions (placed or not), or its
          ``emissions`` when it has no placed point and falls back;
        - ``points`` (placed, with weight) and ``unplaced_points`` (its points not on the
          grid), counts;
        - ``method``: points, land, proxy, unplaced, or empty when there is nothing to place;
        - ``rule``: which rule placed it, in words: "points", "land", or the proxy's name
          (the raster's ``name``, e.g. "proxy cement.tif" or "points of gas units");
        - ``on_points``: tonnes placed on the producer's points;
        - ``fallback``: tonnes spread over its region's land (or the proxy raster);
        - ``on_grid``: ``on_points + fallback``;
        - ``reassigned``: the part of ``on_points`` that unplaced points would have carried
          (mrio mode: spread over the producer's placed points);
        - ``unplaced``: tonnes not on the grid.

        Every tonne is accounted for: ``input = on_points + fallback + unplaced``.
    unplaced : DataFrame
        Every point not on the grid: ``id``, ``row``, ``region``, ``sector``, ``weight``,
        ``reason``, ``tonnes`` (its share of its producer's emissions in mrio mode; its own
        emission in inventory mode; NaN when no producer in scope owns it) and ``outcome``
        (where those tonnes went: reassigned to the producer's placed points, its producer's
        fallback, unplaced, or no producer in scope).
    """

    grid: Grid
    producers: pd.MultiIndex
    weights: sp.csr_matrix
    scale: np.ndarray
    mode: Mode
    units: str | None
    report: pd.DataFrame
    unplaced: pd.DataFrame

    @property
    def regions(self) -> pd.Index:
        """Regions in scope, in the footprint's order."""
        return self.producers.get_level_values("region").unique()

    @property
    def sectors(self) -> pd.Index:
        """Sectors, in the footprint's order."""
        return self.producers.get_level_values("sector").unique()

    def _coefficients(self, values: xr.DataArray, keep: Sequence[Hashable]) -> np.ndarray:
        """``values * scale`` as ``(*keep, region, sector)`` over the producers in scope."""
        missing = [d for d in ("region", "sector") if d not in values.dims]
        if missing:
            raise LabelError(f"values to map need dims region and sector; missing {missing}")
        unknown = pd.Index(values["sector"].values).difference(self.sectors)
        if len(unknown):
            raise LabelError(
                f"sector(s) {format_labels(unknown)} are not in the allocation's footprint"
            )
        values = values.reindex(region=self.regions, sector=self.sectors, fill_value=0.0)
        array = values.transpose(*keep, "region", "sector").values.astype(float, copy=False)
        if not np.isfinite(array).all():
            raise ValueCheckError("values to map contain NaN or infinite entries")
        flat = array.reshape(-1, len(self.producers))
        placed = np.asarray(self.weights.sum(axis=1)).ravel() > 0
        lost = ~(placed & (self.scale != 0)) & np.any(flat != 0, axis=0)
        if lost.any():
            amount = np.abs(flat[:, lost]).sum()
            warnings.warn(
                f"values of {int(lost.sum())} producer(s) have no cells in this allocation "
                f"({format_labels(self.producers[lost])}; {amount:,.6g} in absolute value) "
                "and are left off the map; see .report",
                UnplacedWarning,
                stacklevel=3,
            )
        return array * self.scale.reshape(len(self.regions), len(self.sectors))

    def placement(self, values: xr.DataArray | None = None) -> pd.DataFrame:
        """Where each producer's tonnes went: ``input = on_points + fallback + unplaced``.

        Parameters
        ----------
        values : DataArray, optional
            Values with dims ``region`` and ``sector`` (others are summed), e.g. the
            export-linked part of ``driven``. Without them: the producers' whole emissions
            (the report's columns).

        Returns
        -------
        DataFrame
            Index the producers, columns ``input``, ``on_points``, ``fallback``,
            ``unplaced``. Values are split the way the producer's emissions are (in inventory
            mode scaled to its points' emissions, as :meth:`map` does), so ``on_points +
            fallback`` is what :meth:`map` puts on the grid.
        """
        report = self.report
        if values is None:
            return report[PLACEMENT_COLUMNS].copy()
        missing = [d for d in ("region", "sector") if d not in values.dims]
        if missing:
            raise LabelError(f"values need dims region and sector; missing {missing}")
        other = [d for d in values.dims if d not in ("region", "sector")]
        per_producer = (
            values.sum(other)
            .reindex(region=self.regions, sector=self.sectors, fill_value=0.0)
            .transpose("region", "sector")
            .values.ravel()
        )
        emissions = report["emissions"].to_numpy(float)
        nothing = emissions == 0
        points = (report["method"] == "points").to_numpy()
        # A producer without emissions has no split of its own: values of one placed on
        # points go there (scale 1), the others cannot be placed.
        defaults = {
            "on_points": points * self.scale,
            "fallback": np.zeros(len(emissions)),
            "unplaced": (~points).astype(float),
        }
        split = {
            column: np.divide(
                report[column].to_numpy(float),
                emissions,
                out=defaults[column].astype(float),
                where=~nothing,
            )
            for column in defaults
        }
        table = pd.DataFrame(
            {c: per_producer * share for c, share in split.items()}, index=self.producers
        )
        table.insert(0, "input", table.sum(axis=1))
        return table

    def map(
        self,
        values: xr.DataArray,
        name: Hashable | None = None,
        *,
        chunk_layers: int | None = None,
    ) -> xr.DataArray:
        """Spread values over producers onto the grid, in O(non-zeros).

        Parameters
        ----------
        values : DataArray
            Dims ``region`` and ``sector`` plus any others (each gives its own layer), e.g.
            ``driven`` summed over foreign destinations and categories. Regions outside the
            allocation's scope are not on this grid and are ignored; absent producers count
            as zero.
        name : optional
            Name of the result (default: the values' name).
        chunk_layers : int, optional
            With one other dim (destinations, say), return a dask array of that many layers
            per chunk, each made when it is used (written, summed, drawn): a global grid's
            layers are tens of MB each, and a run need not hold them all.

        Returns
        -------
        DataArray
            Dims ``(*other dims, "y", "x")`` on the grid, the values' units. In ``inventory``
            mode the values are scaled to the points' emissions (see the module docs).
        """
        extra = [d for d in values.dims if d not in ("region", "sector")]
        coefficients = self._coefficients(values, extra).reshape(-1, len(self.producers))
        shape = [values.sizes[d] for d in extra]
        if chunk_layers is not None and len(extra) == 1:
            layers = self._lazy_layers(coefficients, int(chunk_layers))
        else:
            layers = (self._transposed @ coefficients.T).T.reshape(*shape, *self.grid.shape)
        return self.grid.wrap(
            layers,
            dims=extra,
            coords={d: values[d].values for d in extra if d in values.coords},
            name=values.name if name is None else name,
            units=values.attrs.get("units", self.units),
            long_name=values.attrs.get("long_name"),
            allocation_mode=self.mode,
        )

    def _lazy_layers(self, coefficients: np.ndarray, per_chunk: int) -> Any:
        """Layers ``P^T c`` as a dask array, ``per_chunk`` of them per chunk."""
        import dask.array as da

        weights, shape = self.weights, self.grid.shape

        def block(rows: np.ndarray) -> np.ndarray:
            # a few rows times the (producers, cells) weights: C-ordered layers, no transpose
            return np.asarray(rows @ weights).reshape(len(rows), *shape)

        rows = da.from_array(coefficients, chunks=(max(per_chunk, 1), coefficients.shape[1]))
        return da.map_blocks(
            block,
            rows,
            dtype=float,
            drop_axis=1,
            new_axis=[1, 2],
            chunks=(rows.chunks[0], (shape[0],), (shape[1],)),
        )

    @functools.cached_property
    def _transposed(self) -> sp.csr_matrix:
        return self.weights.T.tocsr()

    def cube(
        self,
        driven: xr.Dataset | xr.DataArray,
        *,
        keep_category: bool = False,
        stressor: str | None = None,
        chunk_bytes: int = 128 * 2**20,
    ) -> xr.DataArray:
        """The lazy destination x sector cube: emissions in each cell driven by each destination.

        Nothing is computed until asked; each dask chunk (a block of destinations, and of
        sectors when one destination alone would exceed ``chunk_bytes``, with whole y/x) is
        built from the weights and ``driven`` when needed, so a cube larger than memory can be
        summed, sliced or streamed to Zarr (:func:`gridfoot.io.write_zarr`).

        Parameters
        ----------
        driven : Dataset or DataArray
            A footprint (its ``driven``) or ``driven`` itself: dims region, sector,
            destination, category (optional), stressor (optional).
        keep_category : bool
            Keep final-demand categories as a dimension (default: summed).
        stressor : str, optional
            Which stressor, when there are several.
        chunk_bytes : int
            Target size of a chunk (default 128 MiB).

        Returns
        -------
        DataArray
            Dims ``(destination, sector, y, x)``, or ``(destination, sector, category, y,
            x)``; dask-backed, on the grid, with the footprint's units.
        """
        import dask.array as da

        data = _driven(driven, stressor)
        if "destination" not in data.dims:
            raise LabelError("driven needs a 'destination' dimension")
        has_category = "category" in data.dims
        if not has_category and keep_category:
            raise LabelError("keep_category=True but driven has no 'category' dimension")
        if has_category and not keep_category:
            data = data.sum("category", keep_attrs=True)
        sectors = pd.Index(data["sector"].values)
        keep = ["destination", "category"] if keep_category else ["destination"]
        coefficients = self._coefficients(data, keep)  # (destination[, category], R, S)
        # Make the block function's input (destination, sector[, category], region).
        order = (0, 3, 1, 2) if keep_category else (0, 2, 1)
        coefficients = coefficients[..., self.sectors.get_indexer(sectors)].transpose(order)
        n_sectors = coefficients.shape[1]
        layer_bytes = self.grid.size * 8 * (coefficients.shape[2] if keep_category else 1)
        per_chunk = max(1, chunk_bytes // layer_bytes)
        sector_chunk = min(n_sectors, per_chunk)
        dest_chunk = max(1, per_chunk // n_sectors) if sector_chunk == n_sectors else 1
        chunks = (dest_chunk, sector_chunk, *coefficients.shape[2:-1], -1)
        lazy = da.from_array(coefficients, chunks=chunks)
        by_chunk = self._chunk_weights(sectors, lazy.chunks[1])
        ny, nx = self.grid.shape
        ndim = coefficients.ndim
        cube = da.map_blocks(
            _cube_block,
            lazy,
            dtype=float,
            drop_axis=ndim - 1,
            new_axis=[ndim - 1, ndim],
            chunks=(*lazy.chunks[:-1], (ny,), (nx,)),
            meta=np.empty((0,) * (ndim + 1)),
            chunk_weights=by_chunk,
            shape=(ny, nx),
        )
        coords: dict[Hashable, Any] = {
            "destination": data["destination"].values,
            "sector": sectors.to_numpy(),
        }
        if keep_category:
            coords["category"] = data["category"].values
        for name, coord in data.coords.items():
            if coord.dims == ("destination",) and name != "destination":
                coords[name] = ("destination", coord.values)
        dims = ["destination", "sector", "category"] if keep_category else ["destination", "sector"]
        return self.grid.wrap(
            cube,
            dims=dims,
            coords=coords,
            name="driven",
            units=data.attrs.get("units", self.units),
            long_name="emissions in the cell driven by final demand of the destination",
            allocation_mode=self.mode,
        )

    def _chunk_weights(
        self, sectors: pd.Index, chunks: Sequence[int]
    ) -> list[tuple[np.ndarray, sp.csr_matrix]]:
        """For each chunk of sectors, ``P`` as one block-diagonal (sector, cell) x (sector,
        region) matrix: a chunk of the cube is then a single sparse product. Only its rows
        with weights are kept, with their positions: most (sector, cell) rows are empty (R1:
        277,000 of 11.6 million), and a product over all of them spent most of its time
        on rows that add nothing."""
        position = self.sectors.get_indexer(sectors)
        rows = np.arange(len(self.regions)) * len(self.sectors)
        per_sector = [self.weights[rows + s].T for s in position]
        bounds = np.cumsum([0, *chunks])
        blocks = [
            sp.block_diag(per_sector[start:stop], format="csr")
            for start, stop in itertools.pairwise(bounds)
        ]
        return [(used := np.flatnonzero(np.diff(b.indptr)), b[used]) for b in blocks]

    # ----------------------------------------------------------------------- storage
    def save(self, path: str | Path) -> Path:
        """Write the weights, report and grid to NetCDF (``.nc``) or Zarr (``.zarr``)."""
        from gridfoot.io.cube import write_cube

        return write_cube(self._to_dataset(), path)

    def _to_dataset(self) -> xr.Dataset:
        coo = self.weights.tocoo()
        report = self.report.reset_index()
        unplaced = self.unplaced
        data = {
            "weight_producer": ("entry", coo.row.astype(np.int32)),
            "weight_cell": ("entry", coo.col.astype(np.int64)),
            "weight": ("entry", coo.data),
            "scale": ("producer", self.scale),
            "land": (("y", "x"), self.grid._land),
            **{f"report_{c}": ("producer", _storable(report[c])) for c in report.columns},
            **{f"unplaced_{c}": ("point", _storable(unplaced[c])) for c in unplaced.columns},
        }
        attrs = {"format": _FORMAT, "mode": self.mode, "units": self.units or ""}
        dataset = xr.Dataset(data, attrs=attrs).assign_coords(
            {k: v for k, v in self.grid._coords().items() if k in ("x", "y")}
        )
        return dataset.rio.write_crs(self.grid.crs).rio.write_transform(self.grid.transform)

    def __repr__(self) -> str:
        methods = self.report["method"].value_counts()
        units = f" {self.units}" if self.units else ""
        parts = [f"{n} by {m}" for m, n in methods.items() if m]
        on_points = self.report["on_points"].sum()
        fallback = self.report["fallback"].sum()
        lost = self.report["unplaced"].sum()
        return (
            f"Allocation(mode {self.mode}, {len(self.producers)} producers in "
            f"{len(self.regions)} region(s): {', '.join(parts) or 'none placed'}; "
            f"on points {on_points:,.6g}{units}, fallback {fallback:,.6g}{units}, "
            f"unplaced {lost:,.6g}{units}, "
            f"{len(self.unplaced)} unplaced point(s); {self.weights.nnz:,} weights on "
            f"{self.grid!r})"
        )


def _storable(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=float, na_value=np.nan)
    return column.astype("str").fillna("").to_numpy(dtype=object).astype(str)


def load_allocation(path: str | Path) -> Allocation:
    """Read weights written by :meth:`Allocation.save`."""
    from gridfoot.io.cube import open_cube

    dataset = open_cube(path, as_dataset=True).load()
    if dataset.attrs.get("format") != _FORMAT:
        raise GridError(f"{path}: not a gridfoot allocation file (format {_FORMAT} expected)")
    grid = Grid.from_dataarray(dataset["land"].rename("land_fraction"))
    grid = Grid.make(grid.crs, grid.transform, grid.shape, dataset["land"].values)

    def table(prefix: str, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {c: dataset[prefix + c].values for c in columns if prefix + c in dataset}
        )

    report = table("report_", ["region", "sector", *REPORT_COLUMNS])
    if "rule" not in report:  # written before rules were named
        report.insert(report.columns.get_loc("method") + 1, "rule", report["method"])
    if "on_points" not in report:  # written before on_points and input were reported
        report.insert(report.columns.get_loc("on_grid"), "on_points", 0.0)
        report["on_points"] = report["on_grid"] - report["fallback"]
        report.insert(report.columns.get_loc("emissions") + 1, "input", report["emissions"])
    report = report.astype(
        {
            "region": "str",
            "sector": "str",
            "method": "str",
            "rule": "str",
            "points": int,
            "unplaced_points": int,
        }
    ).set_index(["region", "sector"])
    unplaced = table("unplaced_", [*UNPLACED_COLUMNS, "tonnes", "outcome"])
    unplaced = unplaced.astype({c: "str" for c in ("id", "region", "sector", "reason", "outcome")})
    weights = sp.csr_matrix(
        (
            dataset["weight"].values,
            (dataset["weight_producer"].values, dataset["weight_cell"].values),
        ),
        shape=(len(report), grid.size),
    )
    return Allocation(
        grid=grid,
        producers=report.index,
        weights=weights,
        scale=dataset["scale"].values,
        mode=dataset.attrs["mode"],
        units=dataset.attrs["units"] or None,
        report=report,
        unplaced=unplaced,
    )


def _cube_block(
    coefficients: np.ndarray,
    chunk_weights: list[tuple[np.ndarray, sp.csr_matrix]],
    shape: tuple[int, int],
    block_info: dict | None = None,
) -> np.ndarray:
    """One chunk: ``out[d, s, ..., cell] = sum_r coefficients[d, s, ..., r] * P[(r, s), cell]``.

    ``coefficients`` is ``(destination, sector[, category], region)``; the chunk's weights
    map ``(sector, region)`` to the ``(sector, cell)`` rows that have weights (the others
    are 0), so every destination (and category) is a column of one sparse-dense product.
    """
    number = block_info[0]["chunk-location"][1] if block_info else 0
    n_dest, n_sectors, *middle, n_regions = coefficients.shape
    columns = np.moveaxis(coefficients, 1, -2).reshape(-1, n_sectors * n_regions)
    used, weights = chunk_weights[number]
    product = np.zeros((n_sectors * shape[0] * shape[1], columns.shape[0]))
    product[used] = weights @ columns.T  # (sector * cell, destination * category)
    out = product.reshape(n_sectors, shape[0] * shape[1], n_dest, *middle)
    out = np.moveaxis(out, (2, 0), (0, 1))  # (destination, sector, cell[, category])
    if middle:
        out = np.moveaxis(out, 2, -1)
    return np.ascontiguousarray(out).reshape(n_dest, n_sectors, *middle, *shape)


# -------------------------------------------------------------------------- allocate
def allocate(
    sources: Sources,
    grid: Grid,
    footprint: xr.Dataset | xr.DataArray,
    *,
    mode: Mode = "mrio",
    stressor: str | None = None,
    zones: Zones | ZoneCoverage | None = None,
    proxy: xr.DataArray | Mapping[str | None, xr.DataArray | str] | None = None,
    invalid: Literal["raise", "report"] = "raise",
    unplaced: Literal["warn", "raise"] = "warn",
) -> Allocation:
    """Allocation weights of point sources on a grid, for a footprint's producers.

    Parameters
    ----------
    sources : Sources
        From :func:`~gridfoot.spatial.sources.read_sources`.
    grid : Grid
    footprint : Dataset or DataArray
        The footprint (:func:`gridfoot.footprint`) or its ``driven``: fixes the producers,
        their emissions (``driven`` summed over destinations and categories) and the units.
        Any DataArray with ``region`` and ``sector`` dims works (other dims are summed).
    mode : {"mrio", "inventory"}
        See the module documentation.
    stressor : str, optional
        Which stressor, when the footprint has several.
    zones : Zones or ZoneCoverage, optional
        The regions' polygons, labelled by the footprint's region codes
        (:meth:`Zones.from_frame(frame, label=...) <gridfoot.spatial.Zones.from_frame>`), or
        their coverage of ``grid`` built once beforehand (:meth:`~gridfoot.spatial.Zones.coverage`):
        producers with emissions and no points fall back to their region's land. Every
        region with polygons is in scope. Without zones a single region in scope falls back
        to the grid's land.
    proxy : DataArray or mapping, optional
        A raster on the grid, dims ``(y, x)`` or ``(sector, y, x)``, non-negative: fallback
        producers are spread by it within their region instead of by land area (where it is
        zero over the whole region, by land area). Or a mapping from sector (``None``: every
        other sector) to a ``(y, x)`` raster or ``"land"``: a rule per sector. A raster's
        ``name`` names its rule in the report (``rule``).
    invalid : {"raise", "report"}
        Points whose region or sector is not in the footprint: an error, or set aside in
        ``unplaced``.
    unplaced : {"warn", "raise"}
        When points or emissions cannot be placed (outside the grid, no points and no
        polygon): an :class:`~gridfoot.errors.UnplacedWarning`, or an
        :class:`~gridfoot.errors.UnplacedError`.

    Returns
    -------
    Allocation

    Examples
    --------
    Two plants of producer A/power on a 2 x 2 grid of 10 km cells; A/steel has no points and
    falls back to A's land (the whole grid here):

    >>> import xarray as xr
    >>> from gridfoot.spatial import Grid, read_sources
    >>> grid = Grid.from_bounds((0, 0, 20_000, 20_000), "EPSG:3035")
    >>> plants = pd.DataFrame({"x": [5_000, 15_000], "y": [15_000, 5_000], "co2": [3.0, 1.0]})
    >>> sources = read_sources(plants, lon="x", lat="y", crs="EPSG:3035", weight="co2",
    ...                        sector_value="power", region_value="A")
    >>> driven = xr.DataArray(
    ...     [[[8.0, 4.0], [2.0, 2.0]]], dims=("region", "sector", "destination"),
    ...     coords={"region": ["A"], "sector": ["power", "steel"], "destination": ["A", "B"]},
    ...     attrs={"units": "t"})
    >>> allocation = allocate(sources, grid, driven)
    >>> allocation.report[["emissions", "points", "method"]]
                  emissions  points method
    region sector
    A      power       12.0       2  points
           steel        4.0       0    land
    >>> allocation.map(driven.sel(destination="B")).values.tolist()
    [[3.5, 0.5], [0.5, 1.5]]
    >>> allocation.cube(driven).sum(["y", "x"]).values.tolist()
    [[8.0, 2.0], [4.0, 2.0]]
    """
    check_choice(mode, "mode", ("mrio", "inventory"))
    check_choice(invalid, "invalid", ("raise", "report"))
    check_choice(unplaced, "unplaced", ("warn", "raise"))
    driven = _driven(footprint, stressor)
    units = driven.attrs.get("units")
    factor = unit_factor(sources.units, units) if mode == "inventory" else 1.0
    totals = driven.sum([d for d in driven.dims if d not in ("region", "sector")])
    totals = totals.transpose("region", "sector")
    all_regions = pd.Index(driven["region"].values.astype(str))
    sectors = pd.Index(driven["sector"].values.astype(str))
    coverage = _region_coverage(zones, grid, all_regions)
    points = sources.points
    weight = points["weight"].to_numpy(float)

    known = (
        points["region"].isin(all_regions).to_numpy() & points["sector"].isin(sectors).to_numpy()
    )
    if isinstance(footprint, xr.Dataset) and "is_producer" in footprint:
        # sector lists may differ by region: a known sector need not be one of this region's
        present = footprint["is_producer"].to_series()
        pairs = pd.MultiIndex.from_arrays([points["region"].astype(str), points["sector"]])
        known &= present.reindex(pairs).fillna(False).to_numpy(dtype=bool)
    # points of sectors their inventory does not place are not their producer's points
    not_read = sources.unplaced[
        ~sources.unplaced["reason"].astype(str).str.startswith(OTHER_SECTOR).to_numpy()
    ]
    set_aside = [not_read.assign(reason="not read: " + not_read["reason"])]
    if not known.all():
        bad = points[~known]
        message = (
            f"{len(bad)} point(s) name a region or sector (or a sector of a region that lacks "
            f"it) that is not in the footprint: "
            f"{format_labels(sorted(set(zip(bad['region'], bad['sector'], strict=True))))}; "
            f"rows {format_labels(bad['row'])} ({'; '.join(sources.notes)})"
        )
        if invalid == "raise":
            raise LabelError(message + " (invalid='report' sets them aside)")
        set_aside.append(
            bad[UNPLACED_COLUMNS[:-1]].assign(reason="region or sector not in the footprint")
        )

    in_scope = set(points.loc[known, "region"].unique())
    in_scope |= set(coverage.labels) if coverage is not None else set()
    scope = pd.Index([r for r in all_regions if r in in_scope], name="region")
    producers = pd.MultiIndex.from_product([scope, sectors], names=["region", "sector"])
    emissions = totals.sel(region=scope, sector=sectors).values.ravel()

    x, y = sources.xy(grid.crs)
    cell = grid.cell_index(x, y)
    _refuse_swapped(sources, grid, cell, known)
    off_grid = known & (cell < 0)
    if off_grid.any():
        set_aside.append(
            points.loc[off_grid, UNPLACED_COLUMNS[:-1]].assign(reason="outside the grid")
        )
    placed = known & (cell >= 0)
    producer = np.full(len(points), -1, dtype=np.int64)
    producer[known] = _producer_of(points.loc[known], scope, sectors)
    n_producers = len(producers)
    point_weights = sp.csr_matrix(
        (weight[placed], (producer[placed], cell[placed])), shape=(n_producers, grid.size)
    )
    point_weights.sum_duplicates()
    placed_weight = np.asarray(point_weights.sum(axis=1)).ravel()
    placed_count = np.bincount(producer[placed], minlength=n_producers)

    unplaced_points = pd.concat(set_aside, ignore_index=True)
    unplaced_producer = _producer_of(unplaced_points, scope, sectors)
    unplaced_weight = np.nan_to_num(unplaced_points["weight"].to_numpy(float))
    owned = unplaced_producer >= 0
    all_weight = placed_weight + np.bincount(
        unplaced_producer[owned], weights=unplaced_weight[owned], minlength=n_producers
    )
    unplaced_count = np.bincount(unplaced_producer[owned], minlength=n_producers)

    has_points = placed_weight > 0
    needs_fallback = ~has_points & (emissions != 0)
    if mode == "inventory":
        covered = all_weight > 0
        check_inventory_scale(
            float((all_weight * factor)[covered].sum()),
            float(emissions[covered].sum()),
            units,
            int(covered.sum()),
            sources.units,
        )
    fallback_weights, fallback_method, rule, missed = _fallback(
        grid, producers, needs_fallback, coverage, proxy, len(scope) == 1
    )
    _tell_proxy_missed(producers, missed, emissions, units)
    method = np.where(has_points, "points", "")
    method = np.where(needs_fallback, fallback_method, method)
    combined = (point_weights + fallback_weights).tocsr()
    row_sums = np.asarray(combined.sum(axis=1)).ravel()
    weights = (
        sp.diags(np.divide(1.0, row_sums, out=np.zeros(n_producers), where=row_sums > 0)) @ combined
    ).tocsr()

    scale, tonnes_of, tonnes, method = _account(
        mode,
        emissions,
        placed_weight * factor,
        all_weight * factor,
        row_sums,
        method,
        needs_fallback,
        unplaced_producer,
        unplaced_weight * factor,
    )
    report = pd.DataFrame(
        {
            "emissions": emissions,
            "input": tonnes_of["input"],
            "points": placed_count,
            "unplaced_points": unplaced_count,
            "method": pd.array(method, dtype="str"),
            "rule": pd.array(np.where(method == "points", "points", rule), dtype="str"),
            "on_points": tonnes_of["on_points"],
            "fallback": tonnes_of["fallback"],
            "on_grid": tonnes_of["on_points"] + tonnes_of["fallback"],
            "reassigned": tonnes_of["reassigned"],
            "unplaced": tonnes_of["unplaced"],
        },
        index=producers,
    )
    unplaced_points = unplaced_points.assign(
        tonnes=tonnes, outcome=_outcomes(unplaced_producer, method, mode)
    )
    allocation = Allocation(
        grid=grid,
        producers=producers,
        weights=weights,
        scale=scale,
        mode=mode,
        units=units,
        report=report,
        unplaced=unplaced_points,
    )
    _tell_unplaced(allocation, unplaced)
    _tell_unused_points(allocation)
    return allocation


#: In inventory mode, points whose total differs from the MRIO's emissions of the producers
#: they cover by more than this factor (either way) are warned about: a unit slip, kg for t.
INVENTORY_FACTOR = 10.0


def check_inventory_scale(
    points_total: float,
    mrio_total: float,
    units: str | None,
    producers: int,
    source_units: str | None,
) -> None:
    """Warn when the inventory's points and the MRIO disagree by orders of magnitude.

    ``points_total`` (converted to ``units``) is the points' total and ``mrio_total`` the
    MRIO's emissions of the ``producers`` they cover.
    """
    if producers == 0 or points_total <= 0 or mrio_total <= 0:
        return
    ratio = points_total / mrio_total
    if 1 / INVENTORY_FACTOR <= ratio <= INVENTORY_FACTOR:
        return
    shown = f" {units}" if units else ""
    warnings.warn(
        f"inventory mode: the points hold {points_total:,.6g}{shown} (their weights read in "
        f"{source_units!r}, sources.units), but the MRIO gives the {producers} producer(s) "
        f"they cover {mrio_total:,.6g}{shown}, {ratio:.3g} times as much; are the weights' "
        "units right?",
        GridfootWarning,
        stacklevel=3,
    )


def _tell_proxy_missed(
    producers: pd.MultiIndex,
    missed: np.ndarray,
    emissions: np.ndarray,
    units: str | None,
) -> None:
    """Warn about producers spread over land because the proxy is 0 over their region."""
    if not missed.any():
        return
    regions = sorted(set(producers[missed].get_level_values("region")))
    shown = f" {units}" if units else ""
    warnings.warn(
        f"the proxy raster is 0 over the whole land of region(s) {format_labels(regions)}: "
        f"{int(missed.sum())} producer(s) there without points ({emissions[missed].sum():,.6g}"
        f"{shown}) are spread over land by area instead",
        GridfootWarning,
        stacklevel=3,
    )


def _account(
    mode: Mode,
    emissions: np.ndarray,
    placed_weight: np.ndarray,
    all_weight: np.ndarray,
    row_sums: np.ndarray,
    method: np.ndarray,
    needs_fallback: np.ndarray,
    unplaced_producer: np.ndarray,
    unplaced_amount: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Where every tonne goes: per producer the scale and the tonnes ``input``,
    ``on_points``, ``fallback``, ``reassigned`` (within ``on_points``) and ``unplaced``, with
    ``input = on_points + fallback + unplaced``; the tonnes of each unplaced point; the method
    (inventory producers without emissions in the footprint have no shares to take:
    unplaced).

    Point weights (placed, all, unplaced) come in the footprint's units for the inventory
    mode, in any units for the mrio mode.
    """
    n_producers = len(emissions)
    has_points = placed_weight > 0
    spread = row_sums > 0
    fallback = np.where(needs_fallback & spread, emissions, 0.0)
    failed = np.where(needs_fallback & ~spread, emissions, 0.0)  # no land, no proxy
    known = unplaced_producer >= 0
    owner = np.maximum(unplaced_producer, 0)
    if mode == "mrio":
        # Unplaced points' shares of their producer's emissions go to its placed points.
        per_weight = np.divide(
            emissions, all_weight, out=np.zeros(n_producers), where=all_weight > 0
        )
        tonnes = {
            "input": emissions,
            "on_points": np.where(has_points, emissions, 0.0),
            "fallback": fallback,
            "reassigned": np.where(has_points, per_weight * (all_weight - placed_weight), 0.0),
            "unplaced": failed,
        }
        point_tonnes = np.where(known, per_weight[owner] * unplaced_amount, np.nan)
        return spread.astype(float), tonnes, point_tonnes, method
    # Inventory: the points keep their own emissions and take their producer's shares. A
    # producer is its points' emissions when some are placed, or when it has none in the
    # footprint (then it has no shares to take and they are all unplaced).
    by_points = has_points | ((emissions == 0) & (all_weight > 0))
    mapped = has_points & (emissions != 0)
    scale = np.where(
        has_points,
        np.divide(placed_weight, emissions, out=np.zeros(n_producers), where=emissions != 0),
        spread.astype(float),
    )
    on_points = np.where(mapped, placed_weight, 0.0)
    tonnes = {
        "input": np.where(by_points, all_weight, emissions),
        "on_points": on_points,
        "fallback": fallback,
        "reassigned": np.zeros(n_producers),
        "unplaced": failed + np.where(by_points, all_weight - on_points, 0.0),
    }
    method = np.where(by_points & ~mapped, "unplaced", method)
    return scale, tonnes, unplaced_amount, method


def _outcomes(unplaced_producer: np.ndarray, method: np.ndarray, mode: Mode) -> np.ndarray:
    """Where the tonnes of each unplaced point went, from its producer's method."""
    known = unplaced_producer >= 0
    theirs = np.where(known, method[np.maximum(unplaced_producer, 0)] if len(method) else "", "")
    return np.select(
        [
            ~known,
            (theirs == "points") & (mode == "mrio"),
            np.isin(theirs, ["land", "proxy"]),
            (theirs == "unplaced") | (theirs == "points"),
        ],
        [
            "no producer in scope",
            "reassigned to the producer's placed points",
            "replaced by the producer's fallback",
            "unplaced",
        ],
        default="nothing to place",
    ).astype(object)


def _producer_of(table: pd.DataFrame, scope: pd.Index, sectors: pd.Index) -> np.ndarray:
    """Row of each entry's (region, sector) among the producers; -1 when not among them."""
    region = scope.get_indexer(table["region"].astype("str"))
    sector = sectors.get_indexer(table["sector"].astype("str"))
    return np.where((region >= 0) & (sector >= 0), region * len(sectors) + sector, -1)


def _refuse_swapped(sources: Sources, grid: Grid, cell: np.ndarray, known: np.ndarray) -> None:
    if not sources.crs.is_geographic:
        return
    to_grid = _transformer(sources.crs, grid.crs)
    refuse_swapped(
        sources.points["x"].to_numpy(float)[known],
        sources.points["y"].to_numpy(float)[known],
        int((cell[known] >= 0).sum()),
        lambda x, y: grid.cell_index(*to_grid.transform(x, y)) >= 0,
        sources.origin,
        "the grid",
    )


def _region_coverage(zones: Any, grid: Grid, known: pd.Index) -> ZoneCoverage | None:
    """The coverage of the regions' zones on the grid (None without zones), their labels
    checked to be regions of the footprint."""
    if zones is None:
        return None
    if not isinstance(zones, Zones | ZoneCoverage):
        zones = Zones.from_frame(zones)
    # the labels are checked before the coverage is built: a wrong label column fails fast
    labels = zones.labels if isinstance(zones, ZoneCoverage) else zones.zones
    unknown = labels.difference(known)
    if len(unknown):
        source = f" of {zones.source}" if isinstance(zones, Zones) else ""
        raise LabelError(
            f"the zones{source} name region(s) {format_labels(unknown)} that are not in the "
            f"footprint ({format_labels(known, 12)}); label the zones by the footprint's "
            "region codes (Zones.from_frame(frame, label=...))"
        )
    return as_coverage(zones, grid)


def _fallback(
    grid: Grid,
    producers: pd.MultiIndex,
    needed: np.ndarray,
    coverage: ZoneCoverage | None,
    proxy: Any,
    single_region: bool,
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Unnormalised weights, the method and the rule (in words) of each producer that falls
    back to land or proxy, and which of them had a proxy layer that is 0 over their whole
    region (land instead).

    Sparse throughout: a region's land is its cells and their shares (a row of the
    coverage), weighted by the cell areas (or the proxy) on those cells only, so memory grows
    with the land cells, not with the grid's size times the regions falling back.
    """
    method = np.where(needed, "unplaced", "")
    rule = method.astype(object)
    missed = np.zeros(len(producers), dtype=bool)
    rows, cols, values = [], [], []
    area = grid._areas.ravel()
    proxy_values = _proxy_values(grid, proxy)
    land_of: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
    for index in np.flatnonzero(needed):
        region, sector = producers[index]
        if region not in land_of:  # once per region, not once per producer
            land_of[region] = _land_of(grid, region, coverage, single_region)
        land = land_of[region]
        if land is None or len(land[0]) == 0:
            continue
        cells, share = land
        spread, how, named = share * area[cells], "land", "land"
        label, layer = proxy_values.get(sector, proxy_values.get(None, ("land", None)))
        if layer is not None:
            weighted = layer[cells] * share
            if (weighted > 0).any():
                spread, how, named = weighted, "proxy", label
            else:
                missed[index] = True
        nonzero = np.flatnonzero(spread)
        rows.append(np.full(len(nonzero), index))
        cols.append(cells[nonzero])
        values.append(spread[nonzero])
        method[index], rule[index] = how, named
    matrix = sp.csr_matrix(
        (
            np.concatenate(values) if values else np.empty(0),
            (
                np.concatenate(rows) if rows else np.empty(0, int),
                np.concatenate(cols) if cols else np.empty(0, int),
            ),
        ),
        shape=(len(producers), grid.size),
    )
    return matrix, method, rule, missed


def _land_of(
    grid: Grid, region: str, coverage: ZoneCoverage | None, single_region: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """The cells of a region's land and the share of each (its coverage; a single region
    without zones: the grid's land), or None when the region has no polygon."""
    if coverage is not None and region in coverage.labels:
        return coverage.cover(region)
    if single_region and coverage is None:
        land = grid._land.ravel()
        cells = np.flatnonzero(land > 0)
        return cells, land[cells]
    return None


def _proxy_values(grid: Grid, proxy: Any) -> dict[str | None, tuple[str, np.ndarray | None]]:
    """The proxy of each sector (key None: every other sector) as its rule's name and its
    flat values (None: land), checked."""
    if proxy is None:
        return {}
    if isinstance(proxy, Mapping):
        rules = {}
        for sector, layer in proxy.items():
            if isinstance(layer, str) and layer == "land":
                rules[sector] = ("land", None)
            elif isinstance(layer, xr.DataArray) and layer.dims == ("y", "x"):
                rules[sector] = (str(layer.name or "proxy"), _proxy_layer(grid, layer))
            else:
                raise GridError(
                    f"proxy[{sector!r}]: a (y, x) raster on the grid or 'land', got "
                    f"{getattr(layer, 'dims', layer)!r}"
                )
        return rules
    extra = [d for d in proxy.dims if d not in ("y", "x")]
    if extra not in ([], ["sector"]):
        raise GridError(
            f"the proxy raster must have dims (y, x) or (sector, y, x), got {proxy.dims}"
        )
    label = str(proxy.name or "proxy")
    if not extra:
        return {None: (label, _proxy_layer(grid, proxy))}
    return {
        str(s): (label, _proxy_layer(grid, proxy.sel(sector=s))) for s in proxy["sector"].values
    }


def _proxy_layer(grid: Grid, layer: xr.DataArray) -> np.ndarray:
    """A proxy raster's values, flat, checked to lie on the grid and be finite and >= 0."""
    if Grid.from_dataarray(layer) != grid:
        raise GridError("the proxy raster is not on the allocation's grid (CRS, transform, shape)")
    values = layer.transpose("y", "x").values.astype(float)
    problem = proxy_problem(values)
    if problem:
        raise ValueCheckError(f"the proxy raster must be finite and >= 0: {problem}")
    return values.ravel()


def proxy_problem(values: np.ndarray) -> str:
    """What is wrong with a proxy raster's values ("" when nothing): cells below 0, not finite."""
    counts = {
        "below 0": int(np.count_nonzero(values < 0)),
        "infinite": int(np.count_nonzero(np.isinf(values))),
        "missing (NaN)": int(np.count_nonzero(np.isnan(values))),
    }
    return ", ".join(f"{n:,} cell(s) {what}" for what, n in counts.items() if n)


def _tell_unused_points(allocation: Allocation) -> None:
    """Warn when points exist but place nothing: a map of land alone looks like a result."""
    report = allocation.report
    units = f" {allocation.units}" if allocation.units else ""
    spread = report["method"].isin(["land", "proxy"]).to_numpy()
    weightless = report[spread & (report["points"] > 0).to_numpy()]
    parts = []
    if len(weightless):
        parts.append(
            f"{int(weightless['points'].sum())} point(s) of {len(weightless)} producer(s) all "
            f"weigh 0, so {weightless['fallback'].sum():,.6g}{units} of theirs is spread over "
            f"land instead ({format_labels(weightless.index)})"
        )
    elif report["on_points"].sum() == 0 and report["fallback"].sum() != 0:
        parts.append(
            f"no point source belongs to a producer with emissions: all "
            f"{report['fallback'].sum():,.6g}{units} of {int(spread.sum())} producer(s) are "
            "spread over land (or the proxy)"
        )
    if parts:
        warnings.warn(
            "; ".join(parts) + "; see the allocation's .report", UnplacedWarning, stacklevel=3
        )


def _tell_unplaced(allocation: Allocation, policy: str) -> None:
    report, points = allocation.report, allocation.unplaced
    # Points read_sources set aside were announced when read; they stay in .unplaced.
    points = points[~points["reason"].astype(str).str.startswith("not read: ")]
    units = f" {allocation.units}" if allocation.units else ""
    parts = []
    if len(points):
        reasons = points["reason"].value_counts()
        parts.append(
            f"{len(points)} point(s) not on the grid ("
            + ", ".join(f"{n} {r}" for r, n in reasons.items())
            + ")"
            + (
                f", {allocation.report['reassigned'].sum():,.6g}{units} of their producers' "
                "emissions spread over the producers' other points"
                if allocation.mode == "mrio" and report["reassigned"].sum()
                else ""
            )
        )
    lost = report[report["unplaced"] != 0]
    if len(lost):
        parts.append(
            f"{lost['unplaced'].sum():,.6g}{units} of {len(lost)} producer(s) unplaced "
            f"({format_labels(lost.index)})"
        )
    if not parts:
        return
    message = (
        "; ".join(parts) + "; see the allocation's .unplaced and .report (a run's unplaced.csv "
        "and the placement in summary.json)"
    )
    if policy == "raise":
        raise UnplacedError(message)
    warnings.warn(message, UnplacedWarning, stacklevel=3)
