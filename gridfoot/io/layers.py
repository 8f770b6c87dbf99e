"""Grid layers from files: a GeoTIFF (rioxarray), a NetCDF file or a Zarr store.

:func:`open_layer` reads what ``gridfoot hotspots`` (and any notebook) analyses: a checked,
lazy grid layer ``(..., y, x)``; gridfoot's own GeoTIFFs get their band dimension and labels
back, its cubes their ``land_fraction`` and ``cell_area`` coordinates.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from gridfoot.errors import GridError, InputFileError, LabelError, MissingFileError, format_labels

__all__ = ["open_layer"]

#: The dims of a grid layer, in this order (the grid conventions of gridfoot.spatial.grid).
SPATIAL_DIMS = ("y", "x")
#: The non-index coordinates of a grid layer that a store may hold as variables.
WEIGHTS = ("land_fraction", "cell_area")


def _open_tiff(path: Path) -> xr.DataArray:
    import rioxarray

    layer = rioxarray.open_rasterio(path, masked=True, chunks={"band": 1})
    if isinstance(layer, list | xr.Dataset):
        raise InputFileError(f"{path}: GeoTIFFs with subdatasets are not supported")
    units = layer.attrs.get("units")
    if isinstance(units, tuple):  # one per band: the layer's units when they agree
        if len(set(units)) == 1:
            layer.attrs["units"] = units[0]
        else:
            del layer.attrs["units"]
    descriptions = layer.attrs.pop("long_name", None)
    if isinstance(descriptions, str):
        descriptions = (descriptions,)
    # gridfoot's writer names the band dim in a "bands" tag and describes every band
    name = str(layer.attrs.pop("bands", "band"))
    if layer.sizes["band"] == 1:
        return layer.squeeze("band", drop=True)
    if descriptions and len(set(descriptions)) == layer.sizes["band"]:
        layer = layer.assign_coords(band=list(descriptions))
    return layer.rename(band=name) if name not in layer.dims else layer


def _open_store(path: Path, variable: str | None) -> xr.DataArray:
    from gridfoot.io.cube import open_cube

    dataset = open_cube(path, as_dataset=True)
    dataset = dataset.set_coords([name for name in WEIGHTS if name in dataset.data_vars])
    grids = [name for name, v in dataset.data_vars.items() if set(SPATIAL_DIMS) <= set(v.dims)]
    if variable is not None:
        if variable not in dataset.data_vars:
            raise LabelError(
                f"{path} has no variable {variable!r}; grid variables: {format_labels(grids)}"
            )
        return dataset[variable]
    if len(grids) != 1:
        found = format_labels(grids) or "none with y and x dims"
        raise LabelError(
            f"{path} holds {len(grids)} grid variables ({found}); choose one with --variable"
        )
    return dataset[grids[0]]


def open_layer(path: str | Path, variable: str | None = None) -> xr.DataArray:
    """A grid layer from a GeoTIFF, NetCDF file or Zarr store, lazily (dask).

    GeoTIFF bands become a dim named by gridfoot's ``bands`` tag (e.g. ``destination``) with
    the band descriptions as labels; nodata cells are NaN. NetCDF/Zarr: the only variable with
    ``y`` and ``x`` dims, or ``variable``; ``land_fraction`` and ``cell_area`` become
    coordinates.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file or store")
    if path.suffix.lower() in (".tif", ".tiff"):
        try:
            layer = _open_tiff(path)
        except Exception as error:
            if isinstance(error, InputFileError):
                raise
            raise InputFileError(f"cannot read {path}: {error}") from None
    else:
        layer = _open_store(path, variable)
    missing = [dim for dim in SPATIAL_DIMS if dim not in layer.dims]
    if missing:
        raise GridError(f"{path}: the layer has dims {tuple(layer.dims)}; it needs y and x")
    return layer.transpose(..., *SPATIAL_DIMS)
