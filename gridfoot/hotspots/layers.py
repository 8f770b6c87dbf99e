"""Grid layers as the hotspot functions see them: values, land area and observation masks.

A grid layer follows the grid conventions: an ``xarray.DataArray`` with dims ``(..., "y", "x")``,
a CRS written by rioxarray and, as coordinates (or variables of a Dataset), ``land_fraction``
(0..1) and ``cell_area`` (m²). Without ``land_fraction`` every cell counts as land; without
``cell_area`` cells count as equal, which is right on an equal-area grid and wrong on a degree
grid (a warning says so, or an error with ``strict=True``).

NaN values mark cells outside the study area: they hold nothing and count for no land.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from gridfoot.errors import AreaWarning, GridError, LabelError, ValueCheckError, format_labels

__all__ = ["SPATIAL_DIMS", "as_layer", "grid_crs", "land_area"]

SPATIAL_DIMS = ("y", "x")
_WEIGHTS = ("land_fraction", "cell_area")


def as_layer(grid: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """The grid's values as a DataArray with ``land_fraction``/``cell_area`` as coordinates.

    A Dataset must hold exactly one variable besides ``land_fraction`` and ``cell_area``.

    Examples
    --------
    >>> ds = xr.Dataset({"co2": (("y", "x"), [[1.0, 2.0]]),
    ...                  "land_fraction": (("y", "x"), [[1.0, 0.5]])})
    >>> as_layer(ds).coords["land_fraction"].values.tolist()
    [[1.0, 0.5]]
    """
    if isinstance(grid, xr.Dataset):
        names = [name for name in grid.data_vars if name not in _WEIGHTS]
        if len(names) != 1:
            raise LabelError(
                "the grid Dataset must hold one variable besides land_fraction and cell_area; "
                f"it holds {format_labels(names) or 'none'}: select one, e.g. ds['name']"
            )
        weights = [name for name in _WEIGHTS if name in grid.data_vars]
        grid = grid.set_coords(weights)[names[0]]
    if not isinstance(grid, xr.DataArray):
        raise GridError(f"expected an xarray DataArray or Dataset, got {type(grid).__name__}")
    missing = [dim for dim in SPATIAL_DIMS if dim not in grid.dims]
    if missing:
        raise GridError(
            f"the grid has dims {format_labels(grid.dims) or 'none'}; it needs 'y' and 'x' "
            "(rename latitude/longitude dims to y/x)"
        )
    if grid.dims[-2:] != SPATIAL_DIMS:
        grid = grid.transpose(..., *SPATIAL_DIMS)
    if grid.sizes["y"] == 0 or grid.sizes["x"] == 0:
        raise GridError("the grid is empty (no cells)")
    return grid


def grid_crs(grid: xr.DataArray):
    """The grid's CRS (a rasterio CRS) or None."""
    import rioxarray  # noqa: F401  (registers the .rio accessor)

    return grid.rio.crs


def land_area(grid: xr.DataArray | xr.Dataset, strict: bool = False) -> xr.DataArray:
    """Land area of every cell (``land_fraction x cell_area``), 2-D ``(y, x)``.

    Missing ``land_fraction`` counts as 1 and missing ``cell_area`` as 1 (equal cells; the
    result is then in cells, not m²). On a geographic (degree) grid without ``cell_area``
    equal cells are wrong: a :class:`~gridfoot.errors.AreaWarning` says so, or a
    :class:`~gridfoot.errors.GridError` with ``strict=True``.

    Examples
    --------
    >>> grid = xr.DataArray([[5.0, 1.0]], dims=("y", "x"),
    ...                     coords={"land_fraction": (("y", "x"), [[1.0, 0.5]]),
    ...                             "cell_area": (("y", "x"), [[1e8, 1e8]])})
    >>> land_area(grid).values.tolist()
    [[100000000.0, 50000000.0]]
    """
    grid = as_layer(grid)
    parts = []
    for name in _WEIGHTS:
        if name not in grid.coords:
            continue
        weight = grid.coords[name]
        extra = [dim for dim in weight.dims if dim not in SPATIAL_DIMS]
        if extra:
            raise GridError(
                f"{name} must have dims (y, x) only; it also has {format_labels(extra)}"
            )
        weight = weight.reset_coords(drop=True).astype(float).compute()
        low, high = (0.0, 1.0) if name == "land_fraction" else (0.0, np.inf)
        bad = ~np.isfinite(weight.values) | (weight.values < low) | (weight.values > high)
        if bad.any():
            cells = list(zip(*np.nonzero(bad), strict=True))
            raise ValueCheckError(
                f"{name} must be finite and within [{low:g}, {high:g}]; bad at {len(cells)} "
                f"cell(s), e.g. (row, col) {format_labels(cells, 3)}"
            )
        parts.append(weight)
    if "cell_area" not in grid.coords:
        crs = grid_crs(grid)
        if crs is not None and crs.is_geographic:
            message = (
                f"the grid's CRS ({crs.to_string()}) is geographic and it has no cell_area: "
                "degree cells differ in area, so land shares would be wrong; reproject to an "
                "equal-area grid or add a cell_area coordinate (m²)"
            )
            if strict:
                raise GridError(message)
            warnings.warn(message + "; counting cells as equal", AreaWarning, stacklevel=3)
    area = xr.DataArray(
        np.ones((grid.sizes["y"], grid.sizes["x"])),
        dims=SPATIAL_DIMS,
        coords={dim: grid[dim] for dim in SPATIAL_DIMS if dim in grid.coords},
    )
    for part in parts:
        area = area * part
    area.name = "land_area"
    return area
