"""Grids and cubes to Zarr and NetCDF, atomically, with the CRS surviving the round trip.

Zarr is the cube's master store: one chunk per ``(y, x)`` layer (one destination and sector),
so reading a single map touches one chunk, and a dask-backed cube is streamed chunk by chunk
with bounded memory. The CRS travels in the ``spatial_ref`` variable (rioxarray/CF), which
``xr.open_zarr(path, decode_coords="all")`` and :func:`open_cube` turn back into a coordinate.
Stores are self-describing: CF-1.10 global attributes (the caller's title, summary, ...,
plus ``Conventions``, ``source`` with gridfoot's version and ``date_created``) and a
``long_name`` for every coordinate.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from gridfoot.errors import InputFileError, MissingFileError, OutputError
from gridfoot.io.atomic import atomic_dir, atomic_file
from gridfoot.io.tables import NETCDF_COMPRESSION, NETCDF_LOCK

__all__ = ["open_cube", "write_cube", "write_zarr"]

_NETCDF = (".nc", ".nc4", ".netcdf")

#: Long names of the coordinates gridfoot's grids and cubes use (kept when already set).
COORDINATE_NAMES = {
    "x": "x coordinate of the cell centre (projection)",
    "y": "y coordinate of the cell centre (projection)",
    "destination": "destination: region whose final demand drives the emissions",
    "destination_country": "country of the destination",
    "region": "producing region",
    "sector": "producing sector",
    "category": "final demand category",
    "stressor": "stressor (emission)",
    "land_fraction": "share of the cell inside the boundary polygons",
    "cell_area": "area of the cell",
    "spatial_ref": "coordinate reference system of the grid",
}


def _global_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """CF conventions and gridfoot's version; with the caller's attributes, the time too.

    The time (``date_created``) is now (UTC), or ``SOURCE_DATE_EPOCH`` when set; stores
    written without attributes (intermediate files) stay identical from run to run.
    """
    import datetime
    import os

    from gridfoot._version import __version__

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = (
        datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
        if epoch.isdigit()
        else datetime.datetime.now(datetime.UTC)
    )
    now = when.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        **dict(attrs or {}),
        "Conventions": "CF-1.10",
        "source": f"gridfoot {__version__}",
        **({"date_created": now} if attrs else {}),
    }


def _as_dataset(data: xr.DataArray | xr.Dataset) -> xr.Dataset:
    if isinstance(data, xr.Dataset):
        return data
    return data.to_dataset(name=data.name if data.name is not None else "data")


def _prepared(
    data: xr.DataArray | xr.Dataset, attrs: Mapping[str, Any] | None = None
) -> xr.Dataset:
    """A copy ready to store: strings of variable length, ``grid_mapping`` as an attribute,
    global attributes (:func:`_global_attrs`) and coordinate long names.

    Fixed-width unicode has no Zarr v3 specification; rioxarray keeps ``grid_mapping`` in
    the encoding, which explicit storage encodings would override; encodings inherited from
    a store the data were read from would clash with the new chunks.
    """
    dataset = _as_dataset(data).copy()
    dataset.attrs = {**dataset.attrs, **_global_attrs(attrs)}
    for name, variable in dataset.variables.items():
        mapping = variable.encoding.get("grid_mapping")
        variable.encoding = {}
        if mapping:
            variable.attrs["grid_mapping"] = mapping
        if name in dataset.coords and str(name) in COORDINATE_NAMES:
            variable.attrs.setdefault("long_name", COORDINATE_NAMES[str(name)])
    _describe_crs(dataset)
    replace = {
        name: variable.astype(object)
        for name, variable in dataset.variables.items()
        if variable.dtype.kind in "UT" or str(variable.dtype) == "StringDType()"
    }
    return dataset.assign_coords({k: v for k, v in replace.items() if k in dataset.coords}).assign(
        {k: v for k, v in replace.items() if k not in dataset.coords}
    )


def _describe_crs(dataset: xr.Dataset) -> None:
    """``spatial_ref`` in WKT2 with the grid's lon/lat extent as area of use (a custom CRS).

    rioxarray stores WKT1, which has no area of use; GDAL and QGIS show WKT2's ``USAGE``.
    """
    from gridfoot.errors import GridError
    from gridfoot.io.raster import _bounds, crs_with_area, georeference

    reference = dataset.variables.get("spatial_ref")
    if reference is None or "crs_wkt" not in reference.attrs:
        return
    try:
        _, transform, shape = georeference(dataset)
    except GridError:
        return
    described = crs_with_area(reference.attrs["crs_wkt"], _bounds(transform, shape))
    if described is not None:
        wkt = described.to_wkt("WKT2_2019")
        reference.attrs["crs_wkt"] = wkt
        if "spatial_ref" in reference.attrs:
            reference.attrs["spatial_ref"] = wkt


def _layer_chunks(variable: xr.Variable) -> tuple[int, ...] | None:
    """Storage chunks: one ``(y, x)`` layer each (aligned with any dask chunks)."""
    if variable.dims[-2:] != ("y", "x"):
        return None
    if variable.chunks is not None:
        y, x = variable.chunks[-2][0], variable.chunks[-1][0]
    else:
        y, x = variable.shape[-2:]
    return (1,) * (variable.ndim - 2) + (max(y, 1), max(x, 1))


def write_zarr(
    data: xr.DataArray | xr.Dataset,
    path: str | Path,
    zarr_format: int = 2,
    *,
    attrs: Mapping[str, Any] | None = None,
    partial: str | Path | None = None,
) -> Path:
    """Write a grid or cube to a Zarr store, atomically; dask data are streamed chunk by chunk.

    Parameters
    ----------
    data : DataArray or Dataset
        Following the grid conventions (a DataArray is stored under its name, or ``data``).
    path : path
        The store (a folder); replaced only once the new one is complete.
    zarr_format : {2, 3}
        Zarr version; 2 (the default) is read by the most tools (GDAL, R, older xarray).
    attrs : mapping, optional
        Global attributes describing the data (CF/ACDD: ``title``, ``summary``, ...);
        ``date_created`` (UTC, or ``SOURCE_DATE_EPOCH``) is added to them. ``Conventions``
        (CF-1.10) and ``source`` (gridfoot's version) are written in any case.
    partial : path, optional
        Where the store is built, chunk by chunk, when a write interrupted earlier may be
        resumed (a run's cache, :mod:`gridfoot.workflows.resume`): each dask block is
        computed and written by the task that made it, and a block already written there
        is not computed again. ``path`` receives the store once it is complete. The caller
        keys ``partial`` by everything the data depend on (see :func:`resumable_blocks`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from gridfoot.spatial.grid import Grid
    >>> grid = Grid.from_bounds((0, 0, 20_000, 20_000), "EPSG:3035")
    >>> layer = grid.wrap(np.ones((2, 2, 2)), dims=["sector"], coords={"sector": ["A", "B"]},
    ...                   name="co2", units="t")
    >>> store = write_zarr(layer, pathlib.Path(tempfile.mkdtemp()) / "co2.zarr")
    >>> xr.open_zarr(store, decode_coords="all")["co2"].rio.crs.to_epsg()
    3035
    """
    path = Path(path)
    dataset = _prepared(data, attrs)
    encoding = {}
    for name, variable in dataset.variables.items():
        chunks = _layer_chunks(variable)
        encoding[str(name)] = (
            {"chunks": chunks, "compressors": [_compressor(zarr_format)]} if chunks else {}
        )
    if partial is not None:
        return _write_resumable(dataset, path, Path(partial), encoding, zarr_format)
    with atomic_dir(path) as temporary:
        _to_zarr(dataset, temporary, encoding, zarr_format)
    return path


def _to_zarr(
    dataset: xr.Dataset, folder: Path, encoding: dict, zarr_format: int, compute: bool = True
) -> None:
    """The store (a new folder); without ``compute``, its arrays and in-memory variables.

    Chunks are written even when they hold only the fill value (``write_empty_chunks``): zarr
    would otherwise compare every chunk with it first (0.5 ms a layer, 2.4 CPU s for R1's
    4,704 layers). Readers see the same values either way, and a layer all NaN is rare (and
    compresses to a few bytes).
    """
    dataset.to_zarr(
        folder,
        mode="w",
        encoding=encoding,
        zarr_format=zarr_format,
        consolidated=True,
        write_empty_chunks=True,
        compute=compute,
    )


def _compressor(zarr_format: int) -> Any:
    """Blosc's LZ4 without the byte shuffle, zarr's default codec but for the shuffle.

    Layers of tonnes are mostly exact zeros with scattered values, or a region's land wash:
    the shuffle spreads each float's bytes apart, and on R1's cube it made the store twice
    as large (180 against 95 MB for 30 destinations) and took 60% more time to compress.
    """
    if zarr_format == 2:
        import numcodecs

        return numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.NOSHUFFLE)
    from zarr.codecs import BloscCodec

    return BloscCodec(cname="lz4", clevel=5, shuffle="noshuffle")


def _done(partial: Path) -> Path:
    """The folder of a partial store's finished blocks: one empty file per block."""
    return partial.with_name(partial.name + ".done")


def _block_names(
    dataset: xr.Dataset,
) -> dict[str, tuple[str, tuple[int, ...], tuple[slice, ...]]]:
    """Every dask block of the dataset by name (``emissions.0.3.0.0``): its variable, block
    index and region."""
    import itertools

    import numpy as np

    blocks = {}
    for name, variable in dataset.data_vars.items():
        if variable.chunks is None:
            continue
        starts = [np.cumsum((0, *sizes[:-1])) for sizes in variable.chunks]
        for index in itertools.product(*(range(len(sizes)) for sizes in variable.chunks)):
            region = tuple(
                slice(int(starts[d][i]), int(starts[d][i] + variable.chunks[d][i]))
                for d, i in enumerate(index)
            )
            blocks[f"{name}.{'.'.join(map(str, index))}"] = (str(name), index, region)
    return blocks


def resumable_blocks(data: xr.DataArray | xr.Dataset, partial: str | Path) -> tuple[int, int]:
    """(blocks already written to ``partial``, blocks in all) of a :func:`write_zarr` with
    ``partial=``: what a resumed write will not compute again."""
    blocks = _block_names(_as_dataset(data))
    done = _done(Path(partial))
    if not (Path(partial).is_dir() and done.is_dir()):
        return 0, len(blocks)
    return len({p.name for p in done.iterdir()} & blocks.keys()), len(blocks)


def _store_block(block: Any, store: str, name: str, region: tuple[slice, ...], done: str) -> int:
    """Write one computed block into its region of the store, then mark it done (a marker
    follows the chunks: zarr writes each chunk file whole, by renaming it into place)."""
    import zarr

    array = zarr.open_array(store, path=name, mode="r+", config={"write_empty_chunks": True})
    array[region] = block
    Path(done).touch()
    return 0


def _write_resumable(
    dataset: xr.Dataset, path: Path, partial: Path, encoding: dict, zarr_format: int
) -> Path:
    """:func:`write_zarr` through ``partial``: blocks written there before are kept."""
    import shutil

    import dask
    import zarr

    from gridfoot.io.atomic import _replaceable

    done = _done(partial)
    # gridfoot makes the markers' folder before the store: a store without it is someone
    # else's, and so is a markers' folder holding anything but empty markers
    markers = not done.exists() or (
        done.is_dir() and all(p.is_file() and not p.stat().st_size for p in done.iterdir())
    )
    for folder, ours in ((partial, done.is_dir() and _replaceable(partial)), (done, markers)):
        if folder.exists() and not ours:
            raise OutputError(f"{folder}: exists and was not written by gridfoot; move it away")
    done.mkdir(parents=True, exist_ok=True)
    if not (partial / (".zmetadata" if zarr_format == 2 else "zarr.json")).is_file():
        shutil.rmtree(partial, ignore_errors=True)  # begun but never described (ours)
        for marker in done.iterdir():  # markers of blocks of a store that is gone
            marker.unlink()
        with atomic_dir(partial) as temporary:
            _to_zarr(dataset, temporary, encoding, zarr_format, compute=False)
    finished = {p.name for p in done.iterdir()}
    names = _block_names(dataset)
    delayed = {name: dataset[name].data.to_delayed() for name, _, _ in names.values()}
    tasks = [
        dask.delayed(_store_block, pure=False)(
            delayed[name][index], str(partial), name, region, str(done / block)
        )
        for block, (name, index, region) in names.items()
        if block not in finished
    ]
    dask.compute(*tasks)
    # the attributes of this write (date_created), not of the one that started the store
    group = zarr.open_group(partial, mode="r+", zarr_format=zarr_format)
    group.attrs.clear()
    group.attrs.update(dataset.attrs)
    zarr.consolidate_metadata(partial, zarr_format=zarr_format)
    with atomic_dir(path) as temporary:
        temporary.rmdir()
        shutil.move(partial, temporary)
    shutil.rmtree(done, ignore_errors=True)
    return path


def write_cube(
    data: xr.DataArray | xr.Dataset,
    path: str | Path,
    *,
    attrs: Mapping[str, Any] | None = None,
) -> Path:
    """Write a grid or cube to Zarr (``.zarr``) or NetCDF-4 (``.nc``) by the path's suffix.

    NetCDF variables are compressed (zlib) and chunked by ``(y, x)`` layer; dask data are
    written chunk by chunk. ``attrs``: global attributes, as :func:`write_zarr`.
    """
    path = Path(path)
    if path.suffix == ".zarr":
        return write_zarr(data, path, attrs=attrs)
    if path.suffix not in _NETCDF:
        raise InputFileError(
            f"{path}: write a cube to .zarr or .nc, not {path.suffix or 'no suffix'}"
        )
    dataset = _prepared(data, attrs)
    encoding = {}
    for name, variable in dataset.data_vars.items():
        options: dict[str, Any] = {}
        if variable.dtype.kind in "fiu":
            options = dict(NETCDF_COMPRESSION)
            chunks = _layer_chunks(variable)
            if chunks and variable.size:
                options["chunksizes"] = chunks
        encoding[name] = options
    with NETCDF_LOCK, atomic_file(path) as temporary:
        dataset.to_netcdf(temporary, engine="netcdf4", encoding=encoding)
    return path


def open_cube(path: str | Path, as_dataset: bool = False) -> xr.DataArray | xr.Dataset:
    """Open a grid or cube written by gridfoot (Zarr or NetCDF), lazily, with its CRS.

    Returns the single data variable as a DataArray (or the Dataset when there are several,
    or ``as_dataset=True``); ``land_fraction``, ``cell_area`` and ``spatial_ref`` are
    coordinates again.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file or store")
    try:
        if path.suffix in _NETCDF:
            dataset = xr.open_dataset(path, decode_coords="all", chunks={})
        else:
            dataset = xr.open_zarr(path, decode_coords="all")
    except (OSError, ValueError, KeyError) as error:
        raise InputFileError(f"{path}: cannot open it as a cube: {error}") from None
    if as_dataset or len(dataset.data_vars) != 1:
        return dataset
    return dataset[next(iter(dataset.data_vars))]
