"""GeoTIFF / Cloud-Optimized GeoTIFF export of grid layers, one band per layer, atomic.

Bands are written block by block into a tiled, band-interleaved GeoTIFF (dask layers are
computed one chunk of bands at a time, so memory stays bounded); a COG is then made from it
with GDAL's COG driver, which can only copy a finished dataset. Band-interleaving and tiles
matter: pixel-interleaved multiband files written from dask come out several times larger.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from gridfoot.errors import GridError, OutputError
from gridfoot.io.atomic import atomic_file

__all__ = ["write_geotiff"]


def _bands(data: xr.DataArray, band_dim: Hashable | Sequence[Hashable] | None) -> xr.DataArray:
    """The layer as (band, y, x); several band dims are stacked, labels joined with ' | '."""
    if not isinstance(data, xr.DataArray):
        raise GridError(f"write_geotiff needs a DataArray, got {type(data).__name__}")
    for dim in ("y", "x"):
        if dim not in data.dims:
            raise GridError(f"the layer has no {dim!r} dimension (dims: {tuple(data.dims)})")
    if band_dim is None:
        extra = [d for d in data.dims if d not in ("y", "x") and data.sizes[d] > 1]
        if extra:
            raise GridError(
                f"the layer has extra dimension(s) {extra}: pass band_dim= (one band per "
                "entry) or select one layer first (e.g. .sel(destination='USA'))"
            )
        data = data.squeeze([d for d in data.dims if d not in ("y", "x")], drop=True)
        return data.expand_dims(band=[str(data.name or "band")])
    dims = (
        [band_dim]
        if isinstance(band_dim, str) or not isinstance(band_dim, Sequence)
        else list(band_dim)
    )
    missing = [d for d in dims if d not in data.dims]
    rest = [d for d in data.dims if d not in (*dims, "y", "x") and data.sizes[d] > 1]
    if missing or rest:
        raise GridError(
            f"band_dim {dims} does not match the layer's dims {tuple(data.dims)}"
            + (f"; select {rest} first" if rest else "")
        )
    data = data.squeeze([d for d in data.dims if d not in (*dims, "y", "x")], drop=True)
    if len(dims) == 1:
        labels = [str(v) for v in data[dims[0]].values]
        data = data.rename({dims[0]: "band"}).transpose("band", "y", "x")
    else:
        data = data.stack(band=dims).transpose("band", "y", "x")
        labels = [" | ".join(map(str, key)) for key in data["band"].values]
        data = data.drop_vars(["band", *dims])
    return data.assign_coords(band=labels)


def _blocks(data: xr.DataArray) -> Iterator[tuple[int, np.ndarray]]:
    """(first band, values) for each chunk of bands, computed one at a time."""
    chunks = data.chunks[0] if data.chunks is not None else (data.sizes["band"],)
    start = 0
    for size in chunks:
        yield start, np.asarray(data.isel(band=slice(start, start + size)).values)
        start += size


@contextlib.contextmanager
def _staging(folder: Path) -> Iterator[Path]:
    handle, name = tempfile.mkstemp(prefix=".stage.", suffix=".tif", dir=folder)
    import os

    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


@contextlib.contextmanager
def _write_errors(path: Path) -> Iterator[None]:
    """GDAL's failures (a full disk, say) as one OutputError naming the file.

    libtiff prints the cause straight to the process's standard error and GDAL then raises a
    vague "Write failed"; the C-level stream is captured while the file is written, its text
    goes into the error, and (on success) back to standard error.
    """
    import os
    import sys

    from rasterio.errors import RasterioError

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        failed = None
        try:
            yield
        except RasterioError as error:
            failed = error
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace").strip()
        if failed is not None:
            cause = text.splitlines()[-1] if text else str(failed)
            raise OutputError(f"{path}: cannot write the GeoTIFF ({cause})") from None
        if text:
            print(text, file=sys.stderr)


def write_geotiff(
    data: xr.DataArray,
    path: str | Path,
    band_dim: Hashable | Sequence[Hashable] | None = None,
    *,
    nodata: float = np.nan,
    cog: bool = True,
    compress: str = "deflate",
    dtype: str | np.dtype | None = None,
    mask_sea: bool = True,
    blocksize: int = 512,
) -> Path:
    """Write a grid layer (or a stack of them) to a compressed, tiled GeoTIFF, atomically.

    Parameters
    ----------
    data : DataArray
        Dims ``(..., "y", "x")`` following the grid conventions (CRS, north-up); numpy or
        dask.
    path : path
        The ``.tif`` to write; replaced only once complete.
    band_dim : str or list of str, optional
        One band per entry of this dimension (several are stacked), with the labels as band
        descriptions (e.g. destination names). Without it the layer must be 2-D.
    nodata : float
        Written for missing cells (NaN) and recorded as the file's nodata value.
    cog : bool
        A Cloud-Optimized GeoTIFF (GDAL's COG driver, with overviews) or a plain tiled one.
    compress : str
        GDAL compression (deflate, zstd, lzw, ...), with a predictor suited to the data type.
    dtype : optional
        Data type of the bands (default: the layer's; float64 keeps every tonne exact).
    mask_sea : bool
        Write ``nodata`` for empty cells wholly outside the land (``land_fraction == 0`` and
        value 0), so GIS shows the sea as empty; cells with emissions are always written.
    blocksize : int
        Tile size in pixels (a multiple of 16).

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, pathlib, rasterio
    >>> from gridfoot.spatial.grid import Grid
    >>> grid = Grid.from_bounds((0, 0, 30_000, 20_000), "EPSG:3035")
    >>> cube = grid.wrap(np.arange(12.0).reshape(2, 2, 3), dims=["destination"],
    ...                  coords={"destination": ["USA", "JPN"]}, units="t")
    >>> tif = write_geotiff(cube, pathlib.Path(tempfile.mkdtemp()) / "co2.tif", "destination")
    >>> with rasterio.open(tif) as f:
    ...     f.count, f.descriptions, f.tags()["units"], f.read(2)[0].tolist()
    (2, ('USA', 'JPN'), 't', [6.0, 7.0, 8.0])
    """
    import rasterio
    import rasterio.shutil
    from rasterio.crs import CRS
    from rasterio.enums import Compression

    from gridfoot.spatial.grid import Grid

    path = Path(path)
    if compress.lower() not in {c.name for c in Compression}:
        raise GridError(
            f"unknown compression {compress!r}; one of "
            f"{', '.join(sorted(c.name for c in Compression))}"
        )
    grid = Grid.from_dataarray(data)
    bands = _bands(data, band_dim)
    dtype = np.dtype(dtype or bands.dtype)
    if dtype.kind not in "fiu":
        raise GridError(f"cannot write {dtype} bands to a GeoTIFF")
    if dtype.kind in "iu" and not np.isfinite(nodata):
        raise GridError("integer bands need a finite nodata value")
    land = None
    if mask_sea and "land_fraction" in data.coords:
        land = data["land_fraction"].transpose("y", "x").values
    name = band_dim if isinstance(band_dim, str) else "band"
    profile = {
        "driver": "GTiff",
        "width": grid.shape[1],
        "height": grid.shape[0],
        "count": bands.sizes["band"],
        "dtype": dtype.name,
        "crs": CRS.from_wkt(grid.crs.to_wkt()),
        "transform": grid.transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": blocksize,
        "blockysize": blocksize,
        "interleave": "band",
        "compress": compress,
        "predictor": 3 if dtype.kind == "f" else 2,
        "BIGTIFF": "IF_SAFER",
    }
    tags = {k: str(v) for k, v in data.attrs.items() if isinstance(v, str | int | float)}
    with (
        _write_errors(path),
        atomic_file(path) as temporary,
        _staging(path.parent) if cog else contextlib.nullcontext(temporary) as stage,
    ):
        with rasterio.open(stage, "w", **profile) as target:
            target.update_tags(**tags, bands=str(name))
            for first, values in _blocks(bands):
                if land is not None:
                    values = np.where((land == 0) & (values == 0), np.nan, values)
                if not np.isnan(nodata):
                    values = np.where(np.isnan(values), nodata, values)
                target.write(
                    values.astype(dtype, copy=False),
                    list(range(first + 1, first + 1 + len(values))),
                )
            for number, label in enumerate(bands["band"].values, start=1):
                target.set_band_description(number, str(label))
                target.update_tags(number, **{str(name): str(label)})
        if cog:
            rasterio.shutil.copy(
                stage,
                temporary,
                driver="COG",
                COMPRESS=compress.upper(),
                PREDICTOR="YES",
                BLOCKSIZE=blocksize,
                OVERVIEW_RESAMPLING="AVERAGE",
                BIGTIFF="IF_SAFER",
            )
    return path
