"""The raster every spatial result lives on, and how polygons cover its cells.

A :class:`Grid` is a CRS, a north-up affine transform and a shape. Layers on it follow one
convention (rioxarray/CF): dims ``(..., "y", "x")`` with ``y`` descending, cell-centre
coordinates in the CRS's units, the CRS in a ``spatial_ref`` coordinate, the non-index
coordinates ``land_fraction`` (share of each cell inside the boundary polygons) and
``cell_area`` (m2), and the attributes ``units``, ``long_name`` and ``cell_methods="area: sum"``:
values are totals per cell, not densities. :meth:`Grid.wrap` builds such a layer,
:meth:`Grid.from_dataarray` recovers the grid of one.

Cells are half-open: a point on the edge between two cells belongs to the cell east of a
vertical edge and south of a horizontal one; points on the grid's own east or south edge
belong to the last column or row (see :meth:`Grid.cell_index`).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyproj
import rioxarray  # noqa: F401  (registers the .rio accessor used on every layer)
import scipy.sparse as sp
import shapely
import xarray as xr
from affine import Affine

from gridfoot.errors import GridError, format_labels
from gridfoot.resources import check_memory, estimate_grid_memory, memory_budget

__all__ = ["Grid", "albers_for", "cell_coverage"]

#: How the memory budget is named in refusals: the run's key and the API's keyword.
_BUDGET_NAME = "[dask] memory_budget (memory_budget= in the API)"

# PROJ's areal scale of an equal-area projection is 1 to ~1e-10 (numerical derivatives).
_EQUAL_AREA_TOLERANCE = 1e-6


def albers_for(west: float, south: float, east: float, north: float) -> pyproj.CRS:
    """An Albers equal-area conic (WGS84, metres) fitted to a lon/lat extent.

    Standard parallels at 1/6 and 5/6 of the latitude span, origin at the centre of the
    extent: the usual rule of thumb that keeps scale error small across the span.

    Examples
    --------
    >>> crs = albers_for(73.5, 3.8, 135.1, 53.6)
    >>> crs.is_projected, crs.axis_info[0].unit_name
    (True, 'metre')
    >>> [round(p.value, 2) for p in crs.coordinate_operation.params]
    [28.7, 104.3, 12.1, 45.3, 0.0, 0.0]
    >>> crs.geodetic_crs.name, crs.area_of_use.bounds
    ('WGS 84', (73.5, 3.8, 135.1, 53.6))
    """
    from pyproj.crs import GeographicCRS, ProjectedCRS
    from pyproj.crs.coordinate_operation import AlbersEqualAreaConversion

    span = north - south
    if not (span > 0 and east > west):
        raise GridError(f"cannot fit a projection to an empty extent {(west, south, east, north)}")
    conversion = AlbersEqualAreaConversion(
        latitude_first_parallel=south + span / 6,
        latitude_second_parallel=south + 5 * span / 6,
        latitude_false_origin=(south + north) / 2,
        longitude_false_origin=(west + east) / 2,
    )
    # named (GDAL and QGIS otherwise show the base CRS as "undefined"), with the extent as
    # its area of use (WKT2 USAGE / PROJ JSON bbox)
    crs = ProjectedCRS(
        conversion,
        name="Albers Equal Area (gridfoot), WGS 84 datum",
        geodetic_crs=GeographicCRS(name="WGS 84", datum="WGS84"),
    )
    described = crs.to_json_dict()
    described["conversion"]["name"] = "Albers Equal Area"
    described["scope"] = "equal-area grid of a gridfoot study"
    described["area"] = "gridfoot study area"
    described["bbox"] = {
        "south_latitude": south,
        "west_longitude": west,
        "north_latitude": north,
        "east_longitude": east,
    }
    return pyproj.CRS.from_json_dict(described)


def _as_crs(crs: Any, what: str = "grid") -> pyproj.CRS:
    if crs is None:
        raise GridError(f"the {what} has no CRS; name one (e.g. 'EPSG:3035')")
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as error:
        raise GridError(f"unknown CRS {crs!r} for the {what}: {error}") from None


@dataclass(frozen=True)
class Grid:
    """A north-up raster: CRS, affine transform and shape ``(ny, nx)``.

    Build one with :meth:`from_bounds`, :meth:`for_boundaries` or :meth:`from_dataarray`.
    The land fraction of each cell comes from boundary polygons (:meth:`with_land`,
    :meth:`for_boundaries`); a grid built without polygons counts every cell as land.

    Parameters
    ----------
    crs : pyproj.CRS or anything pyproj understands
    transform : affine.Affine
        North-up, unrotated: ``Affine(dx, 0, west, 0, -dy, north)`` with ``dx, dy > 0``.
    shape : (ny, nx)
    land : ndarray (ny, nx), optional
        Land fraction, 0..1. Not part of equality.

    Examples
    --------
    >>> grid = Grid.from_bounds((0, 0, 40_000, 40_000), "EPSG:3035")
    >>> grid.shape, grid.resolution
    ((4, 4), (10000.0, 10000.0))
    >>> grid.x.tolist(), grid.y.tolist()
    ([5000.0, 15000.0, 25000.0, 35000.0], [35000.0, 25000.0, 15000.0, 5000.0])
    >>> float(grid.cell_area.sum())
    1600000000.0
    """

    crs: pyproj.CRS
    transform: Affine
    shape: tuple[int, int]
    land: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # cheap checks only: coercion and validation are the factory's (:meth:`make`)
        if not (
            isinstance(self.crs, pyproj.CRS)
            and isinstance(self.transform, Affine)
            and isinstance(self.shape, tuple)
            and (self.land is None or isinstance(self.land, np.ndarray))
        ):
            raise TypeError(
                "Grid fields take a pyproj.CRS, an Affine, a (ny, nx) tuple and an ndarray "
                "land fraction or None; build grids with Grid.make (or from_bounds, "
                "for_boundaries, from_dataarray), which checks and converts"
            )

    @classmethod
    def make(cls, crs: Any, transform: Any, shape: Any, land: np.ndarray | None = None) -> Grid:
        """A grid from anything pyproj, affine and numpy understand, checked.

        Raises
        ------
        GridError
            A rotated or south-up transform, an empty shape, a land fraction of another
            shape or outside [0, 1], or a cell size in degrees above 10 on a geographic CRS.
        """
        crs = _as_crs(crs)
        transform = Affine(*tuple(transform)[:6])
        if transform.b != 0 or transform.d != 0 or transform.a <= 0 or transform.e >= 0:
            raise GridError(
                f"the grid must be north-up and unrotated (Affine(dx, 0, west, 0, -dy, north) "
                f"with dx, dy > 0), got {tuple(transform)[:6]}"
            )
        shape = tuple(int(n) for n in shape)
        if len(shape) != 2 or min(shape) < 1:
            raise GridError(f"a grid needs a shape (ny, nx) of at least one cell, got {shape}")
        if land is not None:
            land = np.array(land, dtype=float)
            if land.shape != shape:
                raise GridError(f"land fraction has shape {land.shape}, the grid {shape}")
            if not np.all((land >= 0) & (land <= 1)):
                raise GridError("land fraction must lie in [0, 1] (NaN is not allowed)")
            land.flags.writeable = False
        grid = cls(crs, transform, (shape[0], shape[1]), land)
        if crs.is_geographic and max(grid.resolution) > 10:
            raise GridError(
                f"cell size {max(grid.resolution):g} is in degrees for the geographic CRS "
                f"{crs.name}; give the resolution in degrees or use a projected CRS"
            )
        return grid

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_bounds(
        cls,
        bounds: Sequence[float],
        crs: Any,
        resolution: float | tuple[float, float] = 10_000,
        *,
        memory_budget: Any = None,
    ) -> Grid:
        """A grid covering ``bounds = (west, south, east, north)`` in the CRS's units.

        The bounds are widened to multiples of the resolution, so grids of the same CRS and
        resolution always line up.

        Parameters
        ----------
        bounds : (west, south, east, north)
        crs : pyproj.CRS or anything pyproj understands
        resolution : float or (dx, dy)
            Cell size in the CRS's units.
        memory_budget : str or int, optional
            The memory the grid's arrays (land fraction, cell areas and the temporaries that
            compute them) may need: ``"8 GiB"`` or a number of bytes; default 0.75 of the
            memory available (see :mod:`gridfoot.resources`).

        Raises
        ------
        MemoryBudgetError
            When the grid would need more than the budget; nothing large is allocated.

        Examples
        --------
        >>> Grid.from_bounds((1_234, -5_000, 28_000, 9_999), "EPSG:3035").bounds
        (0.0, -10000.0, 30000.0, 10000.0)
        """
        dx, dy = _pair(resolution)
        west, south, east, north = (float(b) for b in bounds)
        if not (east > west and north > south) or not np.isfinite([west, south, east, north]).all():
            raise GridError(f"bounds must be (west, south, east, north) with area, got {bounds}")
        west, east = np.floor(west / dx) * dx, np.ceil(east / dx) * dx
        south, north = np.floor(south / dy) * dy, np.ceil(north / dy) * dy
        shape = (round((north - south) / dy), round((east - west) / dx))
        crs = _as_crs(crs)
        _check_grid_memory(shape, (dx, dy), crs, memory_budget)
        return cls.make(crs, Affine(dx, 0.0, west, 0.0, -dy, north), shape)

    @classmethod
    def for_boundaries(
        cls,
        zones: Any,
        resolution: float | tuple[float, float] = 10_000,
        crs: Any = None,
        *,
        memory_budget: Any = None,
        land: bool = True,
    ) -> Grid:
        """A grid over the zones' polygons, with their land fraction.

        Parameters
        ----------
        zones : Zones, GeoDataFrame or GeoSeries
            Polygons with a CRS (e.g. provinces); a GeoDataFrame or GeoSeries goes through
            :meth:`~gridfoot.spatial.Zones.from_frame`. Their coverage is the land fraction.
        resolution : float or (dx, dy)
            Cell size in the CRS's units (metres for the default).
        crs : optional
            The grid's CRS. By default an Albers equal-area conic fitted to the polygons'
            lon/lat extent (:func:`albers_for`).
        memory_budget : str or int, optional
            See :meth:`from_bounds`; checked from the bounds and resolution before the land
            fraction is computed.
        land : bool
            False: the grid only, without land fraction, for a caller that builds the zones'
            coverage once (``coverage = zones.coverage(grid)``) and reuses it, the land
            fraction included (``grid.with_land(coverage)``).

        Raises
        ------
        MemoryBudgetError
            When the grid would need more than the budget.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import box
        >>> square = gpd.GeoSeries([box(0, 0, 25_000, 20_000)], crs="EPSG:3035")
        >>> grid = Grid.for_boundaries(square, crs="EPSG:3035")
        >>> grid.land_fraction.values.tolist()
        [[1.0, 1.0, 0.5], [1.0, 1.0, 0.5]]
        """
        from gridfoot.spatial.zones import Zones

        if not isinstance(zones, Zones):
            zones = Zones.from_frame(zones)
        geometries, source_crs = _polygon_array(zones.polygons)
        if crs is None:
            lonlat = shapely.transform(
                geometries, _transformer(source_crs, "EPSG:4326").transform, interleaved=False
            )
            crs = albers_for(*shapely.total_bounds(lonlat))
        crs = _as_crs(crs)
        projected = _reproject(geometries, source_crs, crs)
        grid = cls.from_bounds(
            shapely.total_bounds(projected), crs, resolution, memory_budget=memory_budget
        )
        return grid.with_land(zones.coverage(grid)) if land else grid

    @classmethod
    def from_dataarray(cls, data: xr.DataArray | xr.Dataset) -> Grid:
        """The grid of a layer that follows the conventions (e.g. a GeoTIFF read by rioxarray).

        ``land_fraction`` is taken from a coordinate or variable of that name when present.

        Examples
        --------
        >>> grid = Grid.from_bounds((0, 0, 30_000, 20_000), "EPSG:3035")
        >>> Grid.from_dataarray(grid.wrap(np.ones(grid.shape))) == grid
        True
        """
        from gridfoot.io.raster import georeference

        crs, transform, shape = georeference(data)  # the one reading of a layer's grid
        land = None
        if "land_fraction" in data.coords or (
            isinstance(data, xr.Dataset) and "land_fraction" in data.data_vars
        ):
            land = data["land_fraction"].transpose("y", "x").to_numpy()
        return cls.make(crs, transform, shape, land)

    def with_land(self, zones: Any, *, memory_budget: Any = None) -> Grid:
        """This grid with the land fraction of zones: their coverage added up, at most 1.

        Parameters
        ----------
        zones : ZoneCoverage, Zones, GeoDataFrame or GeoSeries
            A coverage of this grid (:meth:`~gridfoot.spatial.Zones.coverage`) is used as it
            is; the coverage of zones is built (a GeoDataFrame or GeoSeries goes through
            :meth:`~gridfoot.spatial.Zones.from_frame`).
        memory_budget : str or int, optional
            Checked first, as in :meth:`from_bounds`.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import box
        >>> grid = Grid.from_bounds((0, 0, 20_000, 10_000), "EPSG:3035")
        >>> grid.land_fraction.values.tolist()
        [[1.0, 1.0]]
        >>> half = gpd.GeoSeries([box(0, 0, 15_000, 10_000)], crs="EPSG:3035")
        >>> grid.with_land(half).land_fraction.values.tolist()
        [[1.0, 0.5]]
        """
        from gridfoot.spatial.zones import as_coverage

        _check_grid_memory(self.shape, self.resolution, self.crs, memory_budget)
        coverage = as_coverage(zones, self)
        return Grid.make(self.crs, self.transform, self.shape, coverage.land)

    # ------------------------------------------------------------------- geometry
    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size ``(dx, dy)``, both positive, in the CRS's units."""
        return (self.transform.a, -self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` of the grid's outer edges."""
        dx, dy = self.resolution
        west, north = self.transform.c, self.transform.f
        return (west, north - dy * self.shape[0], west + dx * self.shape[1], north)

    @property
    def size(self) -> int:
        """Number of cells."""
        return self.shape[0] * self.shape[1]

    @property
    def x(self) -> np.ndarray:
        """Cell-centre x coordinates, west to east."""
        return self.transform.c + self.resolution[0] * (np.arange(self.shape[1]) + 0.5)

    @property
    def y(self) -> np.ndarray:
        """Cell-centre y coordinates, north to south."""
        return self.transform.f - self.resolution[1] * (np.arange(self.shape[0]) + 0.5)

    @property
    def _areas(self) -> np.ndarray:
        return self._area_and_kind[0]

    @functools.cached_property
    def _area_and_kind(self) -> tuple[np.ndarray, bool]:
        """True area of every cell, and whether the CRS is equal-area over the grid.

        A cell the CRS's domain clips (the edge of a global grid, past a pole or the
        antimeridian) holds only its part inside the domain; a cell wholly outside has area 0.
        """
        dx, dy = self.resolution
        if self.crs.is_geographic:
            return _geographic_cell_areas(self), False
        metres = self.crs.axis_info[0].unit_conversion_factor ** 2
        share = np.ones(self.size)
        clipped = self._clipped
        if clipped is not None:
            share[clipped[0]] = clipped[1]
        share = share.reshape(self.shape)
        on_earth = share > 0
        # An equal-area CRS is known from a lattice of whole cells (all of a grid of up to
        # 64 x 64): PROJ's scale at every cell of a global grid would take seconds.
        rows, cols = _lattice(self)
        sample = (share[np.ix_(rows, cols)] == 1).ravel()
        if sample.any():
            xx, yy = np.meshgrid(self.x[cols], self.y[rows])
            points = np.column_stack([xx.ravel()[sample], yy.ravel()[sample]])
            if np.all(np.abs(_areal_scale_at(self, points) - 1) < _EQUAL_AREA_TOLERANCE):
                return dx * dy * metres * share, True
        scale = _areal_scale(self)
        # The scale is taken at the centres; a clipped cell's centre may be off the Earth (NaN,
        # or clamped to a pole), so its scale is taken where it is on the Earth when needed.
        known = share == 1
        if clipped is not None and not known.any():
            scale.flat[clipped[0]] = _areal_scale_at(self, _inside_points(self, *clipped))
            clipped, known = None, on_earth
        if known.any() and np.all(np.abs(scale[known] - 1) < _EQUAL_AREA_TOLERANCE):
            return dx * dy * metres * share, True
        if clipped is not None:
            scale.flat[clipped[0]] = _areal_scale_at(self, _inside_points(self, *clipped))
        if not np.all(np.isfinite(scale[on_earth]) & (scale[on_earth] > 0)):
            raise GridError(
                f"cell areas are undefined where the grid leaves {self.crs.name}'s domain"
            )
        areas = np.zeros(self.shape)
        areas[on_earth] = dx * dy * metres * share[on_earth] / scale[on_earth]
        return areas, False

    @functools.cached_property
    def _clipped(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Cells not wholly inside the CRS's domain (flat indices, ascending) and the share of
        each inside it; None when the grid lies inside the domain (a national grid)."""
        return _clipped_cells(self)

    @property
    def is_equal_area(self) -> bool:
        """Whether the CRS is equal-area over the grid: every cell's true area is its area in
        the plane (cells the CRS's domain clips, at a global grid's edge, hold their part
        inside it)."""
        return self._area_and_kind[1]

    @property
    def cell_area(self) -> xr.DataArray:
        """True area of each cell in m2 (y, x); the ellipsoidal area for degree grids.

        A cell the CRS's domain clips (a global grid's edge, snapped outward past a pole or
        the antimeridian) counts its part on the Earth only; a cell wholly off it, 0.
        """
        return self._layer(self._areas, "cell_area")

    @property
    def land_fraction(self) -> xr.DataArray:
        """Share of each cell inside the boundary polygons (y, x); 1 when none were given."""
        return self._layer(self._land, "land_fraction")

    @property
    def _land(self) -> np.ndarray:
        return self.land if self.land is not None else np.ones(self.shape)

    def _layer(self, values: np.ndarray, name: str) -> xr.DataArray:
        attrs = _COORD_ATTRS[name]
        return self.wrap(values, name=name, **attrs).drop_vars(name, errors="ignore")

    def cell_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat (row-major) cell index of each point in the grid's CRS; -1 outside.

        Examples
        --------
        >>> grid = Grid.from_bounds((0, 0, 40_000, 40_000), "EPSG:3035")
        >>> grid.cell_index(np.array([0, 10_000, 40_000, 40_001]), np.array([40_000, 30_000, 0, 0]))
        array([ 0,  5, 15, -1])
        """
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        (dx, dy), (ny, nx) = self.resolution, self.shape
        west, south, east, north = self.bounds
        # Division (not the inverse transform's multiplication) keeps points on edges exact.
        col = np.floor((x - west) / dx)
        row = np.floor((north - y) / dy)
        col = np.where(x == east, nx - 1, col)
        row = np.where(y == south, ny - 1, row)
        inside = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
        index = np.full(x.shape, -1, dtype=np.int64)
        index[inside] = row[inside].astype(np.int64) * nx + col[inside].astype(np.int64)
        return index

    # --------------------------------------------------------------------- layers
    def wrap(
        self,
        values: Any,
        dims: Sequence[Hashable] | None = None,
        coords: Mapping[Hashable, Any] | None = None,
        name: Hashable | None = None,
        units: str | None = None,
        long_name: str | None = None,
        **attrs: Any,
    ) -> xr.DataArray:
        """A DataArray on this grid following the conventions (CRS, coordinates, attributes).

        Parameters
        ----------
        values : array-like (numpy or dask), shape ``(..., ny, nx)``
        dims : sequence, optional
            Names of the leading dimensions, or of all dimensions ending in ``("y", "x")``.
        coords : mapping, optional
            Coordinates of the leading dimensions.
        name, units, long_name : optional
        **attrs
            Further attributes; ``cell_methods`` defaults to ``"area: sum"``.

        Examples
        --------
        >>> grid = Grid.from_bounds((0, 0, 20_000, 10_000), "EPSG:3035")
        >>> layer = grid.wrap(np.arange(4.0).reshape(2, 1, 2), dims=["sector"],
        ...                   coords={"sector": ["A", "B"]}, name="co2", units="t")
        >>> layer.dims, layer.attrs["cell_methods"], layer.rio.crs.to_epsg()
        (('sector', 'y', 'x'), 'area: sum', 3035)
        >>> sorted(c for c in layer.coords if c not in layer.dims)
        ['cell_area', 'land_fraction', 'spatial_ref']
        """
        ndim = np.ndim(values)
        dims = list(dims or [])
        if dims[-2:] != ["y", "x"]:
            dims = [*dims, "y", "x"]
        if len(dims) != ndim or tuple(np.shape(values)[-2:]) != self.shape:
            raise GridError(
                f"values of shape {np.shape(values)} do not fit dims {tuple(dims)} on a grid of "
                f"shape {self.shape}"
            )
        layer = xr.DataArray(
            values,
            dims=dims,
            coords={**(coords or {}), **self._coords()},
            name=name,
            attrs={
                **({"units": units} if units is not None else {}),
                **({"long_name": long_name} if long_name is not None else {}),
                "cell_methods": "area: sum",
                **attrs,
            },
        )
        # in place: the layer is new, and rioxarray's copies would deep-copy the values and the
        # cell coordinates twice (3 x the layer's memory for a stack of destination layers)
        layer.rio.write_crs(self.crs, inplace=True)
        layer.rio.write_transform(self.transform, inplace=True)
        return layer

    def _coords(self) -> dict[str, Any]:
        x_attrs, y_attrs = _axis_attrs(self.crs)
        return {
            "y": ("y", self.y, y_attrs),
            "x": ("x", self.x, x_attrs),
            "land_fraction": (("y", "x"), self._land, _COORD_ATTRS["land_fraction"]),
            "cell_area": (("y", "x"), self._areas, _COORD_ATTRS["cell_area"]),
        }

    def __repr__(self) -> str:
        dx, dy = self.resolution
        units = self.crs.axis_info[0].unit_name if self.crs.axis_info else ""
        land = "" if self.land is None else f", {self.land.sum():,.1f} land cells"
        return (
            f"Grid({self.shape[0]} x {self.shape[1]} cells of {dx:g} x {dy:g} {units}, "
            f"{self.crs.name}, bounds {self.bounds}{land})"
        )


_COORD_ATTRS = {
    "land_fraction": {"long_name": "share of the cell inside the boundary polygons", "units": "1"},
    "cell_area": {"long_name": "area of the cell", "standard_name": "cell_area", "units": "m2"},
}


def _axis_attrs(crs: pyproj.CRS) -> tuple[dict[str, str], dict[str, str]]:
    if crs.is_geographic:
        return (
            {"standard_name": "longitude", "units": "degrees_east", "axis": "X"},
            {"standard_name": "latitude", "units": "degrees_north", "axis": "Y"},
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    return (
        {"standard_name": "projection_x_coordinate", "units": unit, "axis": "X"},
        {"standard_name": "projection_y_coordinate", "units": unit, "axis": "Y"},
    )


def _check_grid_memory(
    shape: tuple[int, int], resolution: tuple[float, float], crs: pyproj.CRS, budget: Any
) -> None:
    """Refuse a grid whose arrays would not fit the memory budget, before building them."""
    (ny, nx), (dx, dy) = shape, resolution
    units = crs.axis_info[0].unit_name if crs.axis_info else ""
    check_memory(
        estimate_grid_memory(shape),
        f"a grid of {ny:,} x {nx:,} = {ny * nx:,} cells of {dx:g} x {dy:g} {units}".rstrip(),
        memory_budget(budget, "memory_budget"),  # a bad value is named as the keyword
        change="coarsen the resolution (grid.resolution)",
        name=_BUDGET_NAME,
    )


def _pair(resolution: float | tuple[float, float]) -> tuple[float, float]:
    dx, dy = (resolution, resolution) if np.isscalar(resolution) else resolution
    dx, dy = float(dx), float(dy)
    if not (dx > 0 and dy > 0 and np.isfinite(dx) and np.isfinite(dy)):
        raise GridError(f"resolution must be positive and finite, got {resolution!r}")
    return dx, dy


@functools.lru_cache(maxsize=32)
def _transformer(source: Any, target: Any) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


#: Cells whose projection factors are computed at once: PROJ returns a dozen arrays per call,
#: so a whole fine grid at once would need ~130 bytes a cell.
_FACTOR_BLOCK_CELLS = 2**15


def _areal_scale(grid: Grid) -> np.ndarray:
    """PROJ's areal scale at every cell centre, computed a block of rows at a time."""
    transformer = _transformer(grid.crs, "EPSG:4326")
    proj = pyproj.Proj(grid.crs)
    ny, nx = grid.shape
    rows = max(1, _FACTOR_BLOCK_CELLS // nx)
    scale = np.empty(grid.shape)
    x, y = grid.x, grid.y
    for start in range(0, ny, rows):
        xx, yy = np.meshgrid(x, y[start : start + rows])
        lon, lat = transformer.transform(xx, yy)
        scale[start : start + rows] = proj.get_factors(lon, lat, errcheck=False).areal_scale
    return scale


def _areal_scale_at(grid: Grid, points: np.ndarray) -> np.ndarray:
    """PROJ's areal scale at points ``(n, 2)`` in the grid's CRS."""
    if len(points) == 0:
        return np.empty(0)
    lon, lat = _transformer(grid.crs, "EPSG:4326").transform(points[:, 0], points[:, 1])
    return pyproj.Proj(grid.crs).get_factors(lon, lat, errcheck=False).areal_scale


# ------------------------------------------------------------ the CRS's domain
#: The globe's outline runs this many degrees inside the antimeridian of the central meridian
#: (a point on it could be taken to the other side of the map); about 0.1 mm.
_SEAM = 1e-9
#: Points along each parallel and meridian of the globe's outline (every 0.25 degree).
_OUTLINE_STEPS = (1441, 721)
#: Cells sampled over a grid: up to this many rows and columns of a lattice (the areal scale
#: of an equal-area CRS; the globe's outline, with every cell of the outer rows and columns).
_CHECK_LATTICE = 64


def _central_meridian(crs: pyproj.CRS) -> float:
    """The projection's central meridian in degrees (0 when its conversion names none)."""
    operation = crs.coordinate_operation
    for param in operation.params if operation is not None else ():
        if param.name.lower().startswith("longitude of"):
            return float(np.degrees(param.value * param.unit_conversion_factor))
    return 0.0


@functools.lru_cache(maxsize=32)
def _globe(crs: pyproj.CRS) -> shapely.Geometry | None:
    """Where a projected CRS puts the Earth: its lon/lat extent around the central meridian
    (longitudes within 180 degrees of it, latitudes -90..90), outlined every 0.25 degree and
    projected. None for a geographic CRS and where the outline encloses no area (the meridian
    opposite the centre of a transverse Mercator or oblique azimuthal projection: every point
    of the globe lies inside its domain but one)."""
    if not crs.is_projected:
        return None
    lon0 = _central_meridian(crs)
    west, east = lon0 - 180 + _SEAM, lon0 + 180 - _SEAM
    along, up = _OUTLINE_STEPS
    lons, lats = np.linspace(west, east, along), np.linspace(-90.0, 90.0, up)
    lon = np.concatenate([lons, np.full(up, east), lons[::-1], np.full(up, west)])
    lat = np.concatenate([np.full(along, -90.0), lats, np.full(along, 90.0), lats[::-1]])
    with np.errstate(all="ignore"):
        x, y = _transformer(crs.geodetic_crs, crs).transform(lon, lat, errcheck=False)
    finite = np.isfinite(x) & np.isfinite(y)
    if finite.sum() < 4:
        return None
    outline = shapely.make_valid(shapely.Polygon(np.column_stack([x[finite], y[finite]])))
    parts = [p for p in shapely.get_parts(outline) if p.geom_type in ("Polygon", "MultiPolygon")]
    globe = shapely.union_all(parts) if parts else None
    if globe is None or globe.is_empty or not globe.area > 0:
        return None
    shapely.prepare(globe)
    return globe


def _round_trips(grid: Grid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether each point is on the Earth: to lon/lat and back it returns to itself (a point
    past the antimeridian comes back on the other side of the map, one past a pole not)."""
    to_lonlat = _transformer(grid.crs, grid.crs.geodetic_crs)
    from_lonlat = _transformer(grid.crs.geodetic_crs, grid.crs)
    with np.errstate(all="ignore"):
        lon, lat = to_lonlat.transform(x, y, errcheck=False)
        back_x, back_y = from_lonlat.transform(lon, lat, errcheck=False)
    tolerance = 1e-3 * min(grid.resolution)
    return (np.abs(back_x - x) < tolerance) & (np.abs(back_y - y) < tolerance)


def _lattice(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of a lattice of up to 64 x 64 cells spread over the grid, its edges
    included."""
    (ny, nx), most = grid.shape, _CHECK_LATTICE
    rows = np.unique(np.linspace(0, ny - 1, min(ny, most)).round().astype(int))
    cols = np.unique(np.linspace(0, nx - 1, min(nx, most)).round().astype(int))
    return rows, cols


def _outline_agrees(grid: Grid, globe: shapely.Geometry) -> bool:
    """Whether the globe's outline is the CRS's domain over the grid: sampled cell centres
    (a lattice and the grid's outer cells) inside it are on the Earth and those outside not."""
    (ny, nx), (dx, dy) = grid.shape, grid.resolution
    lattice = np.meshgrid(*_lattice(grid), indexing="ij")
    edges = [
        (np.zeros(nx, int), np.arange(nx)),
        (np.full(nx, ny - 1), np.arange(nx)),
        (np.arange(ny), np.zeros(ny, int)),
        (np.arange(ny), np.full(ny, nx - 1)),
    ]
    row = np.concatenate([lattice[0].ravel(), *(r for r, _ in edges)])
    col = np.concatenate([lattice[1].ravel(), *(c for _, c in edges)])
    x, y = grid.x[col], grid.y[row]
    differ = np.flatnonzero(shapely.contains_xy(globe, x, y) != _round_trips(grid, x, y))
    # a centre on the outline may fall either side of it
    points = shapely.points(x[differ], y[differ])
    return bool(np.all(shapely.dwithin(globe.boundary, points, 1e-3 * min(dx, dy))))


def _clipped_cells(grid: Grid) -> tuple[np.ndarray, np.ndarray] | None:
    """The cells of a grid that leaves its CRS's domain and the share of each inside it.

    None when the grid lies inside the domain, or when the domain has no outline that sampled
    centres confirm (see :func:`_globe`; an orthographic projection's visible disc): cell areas
    then come from the scale at the centres alone, which must be defined.
    """
    globe = _globe(grid.crs)
    extent = shapely.box(*grid.bounds)
    if globe is None or globe.contains(extent) or not _outline_agrees(grid, globe):
        return None
    outside = shapely.difference(extent, globe)
    parts = [p for p in shapely.get_parts(outside) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    cells, shares = _polygon_coverage(grid, shapely.union_all(parts))
    order = np.argsort(cells)
    keep = shares[order] > 0
    return cells[order][keep], np.clip(1.0 - shares[order][keep], 0.0, 1.0)


def _inside_points(grid: Grid, cells: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """A point of each clipped cell on the Earth (its centre when that is): where its scale
    is taken. Cells wholly outside keep their centre (their area is 0)."""
    (dx, dy), nx = grid.resolution, grid.shape[1]
    x, y = grid.x[cells % nx], grid.y[cells // nx]
    points = np.column_stack([x, y])
    partial = np.flatnonzero((inside > 0) & ~_round_trips(grid, x, y))
    if len(partial):
        boxes = shapely.box(
            x[partial] - dx / 2, y[partial] - dy / 2, x[partial] + dx / 2, y[partial] + dy / 2
        )
        pieces = shapely.intersection(boxes, _globe(grid.crs))
        points[partial] = shapely.get_coordinates(shapely.point_on_surface(pieces))
    return points


def _geographic_cell_areas(grid: Grid) -> np.ndarray:
    """Ellipsoidal area of each cell of a lon/lat grid (bounded by parallels and meridians).

    The area between the equator and latitude phi per radian of longitude is
    ``b**2 / 2 * (sin(phi) / (1 - e2 sin(phi)**2) + atanh(e sin(phi)) / e)``.
    """
    ellipsoid = grid.crs.ellipsoid
    a, b = ellipsoid.semi_major_metre, ellipsoid.semi_minor_metre
    e = np.sqrt(1 - (b / a) ** 2)
    dx, dy = grid.resolution

    def zone(lat: np.ndarray) -> np.ndarray:
        s = np.sin(np.radians(np.clip(lat, -90, 90)))
        if e == 0:
            return b**2 * s
        return b**2 / 2 * (s / (1 - e**2 * s**2) + np.arctanh(e * s) / e)

    rows = np.abs(zone(grid.y + dy / 2) - zone(grid.y - dy / 2)) * np.radians(dx)
    return np.repeat(rows[:, None], grid.shape[1], axis=1)


#: Fewer land cells than this (land fraction summed) give coarse hotspot statistics: a warning.
FEW_LAND_CELLS = 100


def check_grid(grid: Grid, resolution_key: str = "resolution=", crs_key: str = "crs=") -> None:
    """Check a grid with land for a study: refuse one with (almost) no land, warn about few land
    cells or a CRS that is not equal-area. The keys name the options in messages.

    Less than one cell's worth of land is refused: every share of land would be a share of a
    fraction of a cell. Fewer than :data:`FEW_LAND_CELLS` warn. A CRS whose cells differ in
    true area is allowed (statistics weight cells by their true area, ``cell_area``) but
    warned about, with the range of the areas.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> square = gpd.GeoSeries([box(0, 0, 1_000_000, 1_000_000)], crs="EPSG:3035")
    >>> check_grid(Grid.for_boundaries(square, crs="EPSG:3035", resolution=50_000))
    """
    from gridfoot.errors import AreaWarning

    land = float(grid._land.sum())
    dx, dy = grid.resolution
    if land < 1:
        raise GridError(
            f"the grid has no land: its {grid.shape[0]} x {grid.shape[1]} cells of {dx:g} x "
            f"{dy:g} hold {land:.3g} cells' worth of land; choose a finer {resolution_key}"
        )
    if land < FEW_LAND_CELLS:
        warnings.warn(
            f"the grid has only {land:,.1f} cells' worth of land ({grid.shape[0]} x "
            f"{grid.shape[1]} cells of {dx:g} x {dy:g}): shares of land are coarse; a finer "
            f"{resolution_key} gives at least {FEW_LAND_CELLS}",
            AreaWarning,
            stacklevel=2,
        )
    if not grid.is_equal_area:
        areas = grid._areas[grid._land > 0] if (grid._land > 0).any() else grid._areas
        warnings.warn(
            f"{crs_key} {grid.crs.name} is not an equal-area projection: the true areas of the "
            f"cells on land range from {areas.min() / 1e6:,.4g} to {areas.max() / 1e6:,.4g} km2; "
            "statistics stay valid (they weight cells by their true area, cell_area), but maps "
            "show cells of unequal area (the default, crs = 'auto', is equal-area)",
            AreaWarning,
            stacklevel=2,
        )


# ------------------------------------------------------------------ polygon coverage
def _polygon_array(polygons: Any) -> tuple[np.ndarray, pyproj.CRS]:
    """Geometries and CRS of a GeoDataFrame/GeoSeries, checked to be non-empty polygons."""
    import geopandas as gpd

    if isinstance(polygons, gpd.GeoDataFrame):
        polygons = polygons.geometry
    if not isinstance(polygons, gpd.GeoSeries):
        raise GridError(
            "polygons must be a GeoDataFrame or GeoSeries with a CRS, "
            f"got {type(polygons).__name__}"
        )
    crs = _as_crs(polygons.crs, "polygons")
    geometries = np.asarray(polygons.array, dtype=object)
    kinds = shapely.get_type_id(geometries)
    bad = ~np.isin(kinds, (3, 6)) | shapely.is_empty(geometries)
    if bad.any():
        labels = [
            f"{label} ({'empty' if g is None or g.is_empty else g.geom_type})"
            for label, g in zip(polygons.index[bad], geometries[bad], strict=True)
        ]
        raise GridError(
            f"{int(bad.sum())} geometries are not (multi)polygons: {format_labels(labels)}; "
            "drop them first (e.g. gdf[gdf.geom_type.isin(['Polygon', 'MultiPolygon'])])"
        )
    return geometries, crs


def _reproject(geometries: np.ndarray, source: pyproj.CRS, target: pyproj.CRS) -> np.ndarray:
    if source == target:
        return geometries
    return shapely.transform(geometries, _transformer(source, target).transform, interleaved=False)


def cell_coverage(grid: Grid, polygons: Any) -> sp.csr_matrix:
    """Share of each cell's area inside each polygon: sparse ``(n_polygons, ny * nx)``.

    Exact (shapely clipping) for cells a polygon's boundary crosses, whole cells inside or
    outside by one point-in-polygon test; polygons are reprojected to the grid's CRS first.
    Shares are of the cell's area in the grid's projected plane, which for an equal-area grid
    is the true share; of a cell the CRS's domain clips (a global grid's edge, past a pole or
    the antimeridian), of its part inside the domain, as its :attr:`~Grid.cell_area` is.
    Overlapping polygons may together cover more than a cell. Invalid polygons
    (self-intersecting, collapsed) are repaired with ``shapely.make_valid`` first.

    Parameters
    ----------
    grid : Grid
    polygons : GeoDataFrame or GeoSeries
        (Multi)polygons with a CRS; one row of the result per polygon, in order.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> grid = Grid.from_bounds((0, 0, 20_000, 20_000), "EPSG:3035")
    >>> shapes = gpd.GeoSeries([box(0, 0, 15_000, 20_000), box(15_000, 0, 20_000, 5_000)],
    ...                        crs="EPSG:3035")
    >>> cell_coverage(grid, shapes).toarray()
    array([[1.  , 0.5 , 1.  , 0.5 ],
           [0.  , 0.  , 0.  , 0.25]])
    """
    geometries, source_crs = _polygon_array(polygons)
    return _coverage_rows(grid, _reproject(geometries, source_crs, grid.crs))


def _repaired(geometries: np.ndarray) -> np.ndarray:
    """Invalid polygons (self-intersections, collapsed rings) made valid, polygonal parts kept."""
    geometries = geometries.copy()
    for index in np.flatnonzero(~shapely.is_valid(geometries)):
        parts = shapely.get_parts(shapely.make_valid(geometries[index]))
        polygonal = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
        geometries[index] = shapely.union_all(polygonal) if polygonal else shapely.Polygon()
    return geometries


def _coverage_rows(grid: Grid, geometries: np.ndarray) -> sp.csr_matrix:
    geometries = _repaired(geometries)
    rows, cols, values = [], [], []
    for number, geometry in enumerate(geometries):
        cells, shares = _polygon_coverage(grid, geometry)
        rows.append(np.full(len(cells), number))
        cols.append(cells)
        values.append(shares)
    values, cols = np.concatenate(values), np.concatenate(cols)
    _of_the_part_inside(grid, cols, values)
    matrix = sp.coo_matrix(
        (values, (np.concatenate(rows), cols)),
        shape=(len(geometries), grid.size),
    )
    return matrix.tocsr()


def _of_the_part_inside(grid: Grid, cells: np.ndarray, shares: np.ndarray) -> None:
    """Shares of the whole cell made shares of the part inside the CRS's domain, in place,
    where the domain clips the cell: a cell of a global grid's edge row that polygons cover is
    all land, its area that part (:attr:`Grid.cell_area`)."""
    clipped = grid._clipped
    if clipped is None or len(cells) == 0:
        return
    clipped_cells, inside = clipped
    position = np.minimum(np.searchsorted(clipped_cells, cells), len(clipped_cells) - 1)
    hit = (clipped_cells[position] == cells) & (inside[position] > 0)
    shares[hit] = np.minimum(shares[hit] / inside[position[hit]], 1.0)


def _clip(shape: shapely.Geometry, x0: float, y0: float, x1: float, y1: float) -> Any:
    """``shape`` inside a rectangle: GEOS's fast rectangle clipping or, when that trips over
    the slightly invalid pieces it can itself produce, a full intersection."""
    try:
        return shapely.clip_by_rect(shape, x0, y0, x1, y1)
    except shapely.errors.GEOSException:
        return shapely.intersection(shapely.make_valid(shape), shapely.box(x0, y0, x1, y1))


def _cell_areas(
    strip: shapely.Geometry, edges: np.ndarray, cols: np.ndarray, bottom: float, top: float
) -> np.ndarray:
    """Area of ``strip`` inside each cell ``cols`` of one row.

    A full intersection, not GEOS's rectangle clipping: that returns, for some valid polygons
    touching a cell's corner, a valid piece holding the complement of the right area.
    """
    cells = shapely.box(edges[cols], bottom, edges[cols + 1], top)
    try:
        return shapely.area(shapely.intersection(strip, cells))
    except shapely.errors.GEOSException:
        return shapely.area(shapely.intersection(shapely.make_valid(strip), cells))


def _polygon_coverage(grid: Grid, geometry: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Cells (flat indices) a polygon covers and the covered share of each.

    Row by row: clip the polygon to the row; cells the polygon's boundary passes through are
    clipped exactly; every other cell of the row is wholly inside or outside, so its centre
    decides. A boundary piece is connected, so it passes through every column between its
    westmost and eastmost point.
    """
    if geometry.is_empty:
        return np.empty(0, dtype=np.int64), np.empty(0)
    (dx, dy), (ny, nx) = grid.resolution, grid.shape
    west, north = grid.transform.c, grid.transform.f
    gx0, gy0, gx1, gy1 = geometry.bounds
    c0, c1 = max(int(np.floor((gx0 - west) / dx)), 0), min(int(np.ceil((gx1 - west) / dx)), nx)
    r0, r1 = max(int(np.floor((north - gy1) / dy)), 0), min(int(np.ceil((north - gy0) / dy)), ny)
    if c0 >= c1 or r0 >= r1:
        return np.empty(0, dtype=np.int64), np.empty(0)
    edges = (west + dx * np.arange(c0, c1 + 1)).tolist()
    ncols = c1 - c0
    outline = shapely.boundary(geometry)
    cells, shares = [], []
    for row in range(r0, r1):
        top = north - row * dy
        bottom = top - dy
        strip = _clip(geometry, edges[0], bottom, edges[-1], top)
        if strip.is_empty:
            continue
        border = np.zeros(ncols + 1, dtype=bool)  # one spare cell ends the last run
        spans = shapely.bounds(shapely.get_parts(_clip(outline, edges[0], bottom, edges[-1], top)))
        for low, high in zip(spans[:, 0].tolist(), spans[:, 2].tolist(), strict=True):
            first = min(max(int((low - edges[0]) // dx), 0), ncols - 1)
            last = min(max(int((high - edges[0]) // dx), 0), ncols - 1)
            border[first : last + 1] = True
        border[ncols] = True
        share = np.zeros(ncols)
        crossed = np.flatnonzero(border[:ncols])
        for col in crossed.tolist():
            share[col] = _clip(strip, edges[col], bottom, edges[col + 1], top).area / (dx * dy)
        # Runs of cells between border cells are wholly in or out: one centre test each.
        starts = np.flatnonzero(~border[:-1] & np.concatenate(([True], border[:-2])))
        ends = np.flatnonzero(~border[:-1] & border[1:]) + 1
        for begin, end in zip(starts.tolist(), ends.tolist(), strict=True):
            if shapely.contains_xy(strip, edges[begin] + dx / 2, bottom + dy / 2):
                share[begin:end] = 1.0
        # The row's cells must hold the strip's area: GEOS's rectangle clipping can return,
        # for a valid polygon touching a cell corner, a valid piece holding the complement.
        # When they do not, the crossed cells are measured again by full intersection.
        if not np.isclose(share.sum() * dx * dy, strip.area, rtol=1e-9, atol=1e-9 * dx * dy):
            share[crossed] = _cell_areas(strip, np.asarray(edges), crossed, bottom, top) / (dx * dy)
        keep = np.flatnonzero(share > 0)
        cells.append(row * nx + c0 + keep)
        shares.append(np.minimum(share[keep], 1.0))
    if not cells:
        return np.empty(0, dtype=np.int64), np.empty(0)
    return np.concatenate(cells).astype(np.int64), np.concatenate(shares)
