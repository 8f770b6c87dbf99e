"""Grid layers as the hotspot functions see them: checked values, land area, layer by layer.

A grid layer follows the grid conventions: an ``xarray.DataArray`` with dims ``(..., "y", "x")``,
a CRS written by rioxarray and, as coordinates (or variables of a Dataset), ``land_fraction``
(0..1) and ``cell_area`` (m²). Without ``land_fraction`` every cell counts as land; without
``cell_area`` the true cell areas follow from the CRS (equal on an equal-area grid, varying
with latitude on a degree grid); without either, cells count as equal.

NaN values mark cells outside the study area: they hold nothing and count for no land.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from gridfoot.errors import AreaWarning, GridError, LabelError, ValueCheckError, format_labels

__all__ = [
    "SPATIAL_DIMS",
    "WEIGHTS",
    "as_layer",
    "grid_crs",
    "land_area",
    "per_layer",
]

SPATIAL_DIMS = ("y", "x")
#: Coordinates (or Dataset variables) that weigh cells rather than hold values.
WEIGHTS = ("land_fraction", "cell_area")


def as_layer(layer: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """The grid's values as a DataArray with ``land_fraction``/``cell_area`` as coordinates.

    A Dataset must hold exactly one variable besides ``land_fraction`` and ``cell_area``.

    Examples
    --------
    >>> ds = xr.Dataset({"co2": (("y", "x"), [[1.0, 2.0]]),
    ...                  "land_fraction": (("y", "x"), [[1.0, 0.5]])})
    >>> as_layer(ds).coords["land_fraction"].values.tolist()
    [[1.0, 0.5]]
    """
    if isinstance(layer, xr.Dataset):
        names = [name for name in layer.data_vars if name not in WEIGHTS]
        if len(names) != 1:
            raise LabelError(
                "the grid Dataset must hold one variable besides land_fraction and cell_area; "
                f"it holds {format_labels(names) or 'none'}: select one, e.g. ds['name']"
            )
        weights = [name for name in WEIGHTS if name in layer.data_vars]
        layer = layer.set_coords(weights)[names[0]]
    if not isinstance(layer, xr.DataArray):
        raise GridError(f"expected an xarray DataArray or Dataset, got {type(layer).__name__}")
    missing = [dim for dim in SPATIAL_DIMS if dim not in layer.dims]
    if missing:
        raise GridError(
            f"the layer has dims {format_labels(layer.dims) or 'none'}; it needs 'y' and 'x' "
            "(rename latitude/longitude dims to y/x)"
        )
    if layer.dims[-2:] != SPATIAL_DIMS:
        layer = layer.transpose(..., *SPATIAL_DIMS)
    if layer.sizes["y"] == 0 or layer.sizes["x"] == 0:
        raise GridError("the grid is empty (no cells)")
    return layer


def per_layer(
    function,
    layer: xr.DataArray,
    *grids: xr.DataArray,
    dtype: type | np.dtype = float,
    out: tuple[str, int] | None = None,
    **kwargs,
) -> xr.DataArray:
    """``function(values, *grids, **kwargs)`` on whole ``(y, x)`` layers, lazily for dask.

    ``function`` takes ``values`` of shape ``(..., y, x)`` (a block of layers) and 2-D
    ``grids``; it returns ``(..., y, x)``, or with ``out=(dim, size)`` ``(..., size)`` values
    along a new dim (the grid's coordinates are then dropped).
    """
    if layer.chunks is not None:  # each layer whole in one chunk
        layer = layer.chunk(dict.fromkeys(SPATIAL_DIMS, -1))
    output_dims = list(SPATIAL_DIMS) if out is None else [out[0]]
    result = xr.apply_ufunc(
        function,
        layer,
        *grids,
        kwargs=kwargs,
        input_core_dims=[list(SPATIAL_DIMS)] * (1 + len(grids)),
        output_core_dims=[output_dims],
        dask="parallelized",
        output_dtypes=[dtype],
        dask_gufunc_kwargs=None if out is None else {"output_sizes": {out[0]: out[1]}},
    )
    if out is not None:
        result = result.drop_vars([*WEIGHTS, "spatial_ref"], errors="ignore")
    return result


def grid_crs(layer: xr.DataArray):
    """The grid's CRS (a rasterio CRS) or None."""
    import rioxarray  # noqa: F401  (registers the .rio accessor)

    return layer.rio.crs


def _checked_weight(layer: xr.DataArray, name: str) -> xr.DataArray:
    weight = layer.coords[name]
    extra = [dim for dim in weight.dims if dim not in SPATIAL_DIMS]
    if extra:
        raise GridError(f"{name} must have dims (y, x) only; it also has {format_labels(extra)}")
    weight = weight.reset_coords(drop=True).astype(float).compute()
    high = 1.0 if name == "land_fraction" else np.inf
    bad = ~np.isfinite(weight.values) | (weight.values < 0) | (weight.values > high)
    if bad.any():
        cells = list(zip(*np.nonzero(bad), strict=True))
        raise ValueCheckError(
            f"{name} must be finite and within [0, {high:g}]; bad at {len(cells)} "
            f"cell(s), e.g. (row, col) {format_labels(cells, 3)}"
        )
    return weight.transpose(*SPATIAL_DIMS)


def _cell_area(layer: xr.DataArray, strict: bool) -> np.ndarray | None:
    """Cell areas in m² from the coordinate, else from the CRS; None when unknowable."""
    if "cell_area" in layer.coords:
        return _checked_weight(layer, "cell_area").values
    crs = grid_crs(layer)
    if crs is None:
        return None
    from gridfoot.spatial.grid import Grid

    try:
        return Grid.from_dataarray(layer).cell_area.values
    except GridError as error:
        message = (
            f"the grid has no cell_area and its cell areas cannot be derived from its CRS "
            f"({crs.to_string()}): {error}"
        )
    if strict:
        raise GridError(message)
    if crs.is_geographic:
        warnings.warn(
            message + "; counting degree cells as equal makes land shares wrong",
            AreaWarning,
            stacklevel=4,
        )
    return None


def land_area(layer: xr.DataArray | xr.Dataset, strict: bool = False) -> xr.DataArray:
    """Land area of every cell (``land_fraction x cell_area``), 2-D ``(y, x)``.

    Missing ``land_fraction`` counts as 1. Missing ``cell_area`` is derived from the CRS (the
    true area of each cell, also on degree grids, through :class:`~gridfoot.spatial.Grid`);
    without a CRS cells count as equal and the result is in cells (``units="cells"``). When a
    geographic grid's areas cannot be derived (irregular coordinates) an
    :class:`~gridfoot.errors.AreaWarning` says so, or a :class:`~gridfoot.errors.GridError`
    with ``strict=True``.

    Examples
    --------
    >>> grid = xr.DataArray([[5.0, 1.0]], dims=("y", "x"),
    ...                     coords={"land_fraction": (("y", "x"), [[1.0, 0.5]]),
    ...                             "cell_area": (("y", "x"), [[1e8, 1e8]])})
    >>> land_area(grid).values.tolist(), land_area(grid).attrs["units"]
    ([[100000000.0, 50000000.0]], 'm2')
    """
    layer = as_layer(layer)
    shape = (layer.sizes["y"], layer.sizes["x"])
    area = _cell_area(layer, strict)
    units = "cells" if area is None else "m2"
    land = np.ones(shape) if area is None else np.array(area, dtype=float)
    if "land_fraction" in layer.coords:
        land = land * _checked_weight(layer, "land_fraction").values
    return xr.DataArray(
        land,
        dims=SPATIAL_DIMS,
        coords={dim: layer[dim] for dim in SPATIAL_DIMS if dim in layer.coords},
        name="land_area",
        attrs={"long_name": "land area of the cell", "units": units},
    )
