"""GeoTIFF / Cloud-Optimized GeoTIFF export of grid layers, one band per layer, atomic.

Bands are written block by block into a tiled, band-interleaved GeoTIFF (dask layers are
computed one chunk of bands at a time, so memory stays bounded); a COG is then made from it
with GDAL's COG driver, which can only copy a finished dataset. Band-interleaving and tiles
matter: pixel-interleaved multiband files written from dask come out several times larger.

What GIS users see: each band's description names its entry (``"USA (United States)"``) and
its unit is the band unit (QGIS shows it); class layers (CF ``flag_values`` and
``flag_meanings``) get those as tags, no units, and a colour table from ``flag_colors``;
overviews exist down to a thumbnail, averaged for quantities and by mode for classes.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
import threading
from collections.abc import Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from gridfoot.errors import GridError, OutputError
from gridfoot.io.atomic import atomic_file

__all__ = ["crs_with_area", "georeference", "write_geotiff"]

#: Attributes of a quantity that a class (flag) layer must not carry into its tags.
_QUANTITY_ONLY = ("units", "cell_methods", "standard_name", "valid_min", "valid_max")
#: Overviews are made down to a layer whose larger side fits in this many pixels.
_THUMBNAIL = 64


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


class _Stderr:
    """One redirection of the process's standard error (fd 2) into a temporary file, shared
    by every GeoTIFF being written: fd 2 belongs to the process, so writers on several
    threads must not each swap it (two swaps interleaved leave it pointing at a deleted
    file). The first writer in redirects, the last one out restores it and passes on what
    was printed."""

    lock = threading.Lock()
    depth = 0
    saved = -1
    file: Any = None

    @classmethod
    @contextlib.contextmanager
    def captured(cls) -> Iterator[Any]:
        import os
        import sys

        with cls.lock:
            if cls.depth == 0:
                sys.stderr.flush()
                cls.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the last writer out)
                cls.saved = os.dup(2)
                os.dup2(cls.file.fileno(), 2)
            cls.depth += 1
            file = cls.file
        try:
            yield file
        finally:
            with cls.lock:
                cls.depth -= 1
                if cls.depth == 0:
                    os.dup2(cls.saved, 2)
                    os.close(cls.saved)
                    text = _printed(file)
                    file.close()
                    if text:
                        print(text, file=sys.stderr)


def _printed(file: Any) -> str:
    """What has been printed into a capture so far (read without moving its position)."""
    import os

    size = os.fstat(file.fileno()).st_size
    return os.pread(file.fileno(), size, 0).decode(errors="replace").strip()


@contextlib.contextmanager
def _write_errors(path: Path) -> Iterator[None]:
    """GDAL's failures (a full disk, say) as one OutputError naming the file.

    libtiff prints the cause straight to the process's standard error and GDAL then raises a
    vague "Write failed"; the C-level stream is captured while files are written (one
    capture shared by concurrent writers, see :class:`_Stderr`), its last line goes into the
    error, and what was printed goes back to standard error when the last writer is done.
    """
    from rasterio.errors import RasterioError

    with _Stderr.captured() as captured:
        try:
            yield
        except RasterioError as error:
            text = _printed(captured)
            cause = text.splitlines()[-1] if text else str(error)
            raise OutputError(f"{path}: cannot write the GeoTIFF ({cause})") from None


def _tag(value: object) -> str | None:
    """An attribute as a GeoTIFF tag: numbers and strings; arrays space-separated (CF)."""
    if isinstance(value, str | int | float | np.number):
        return str(value)
    if isinstance(value, np.ndarray | list | tuple) and np.ndim(value) == 1:
        return " ".join(str(v) for v in np.asarray(value).tolist())
    return None


def _rgba(colour: str) -> tuple[int, int, int, int]:
    """``#rrggbb`` or ``#rrggbbaa`` as an RGBA tuple."""
    text = colour.lstrip("#")
    if len(text) not in (6, 8):
        raise GridError(f"flag colour {colour!r} is not #rrggbb or #rrggbbaa")
    rgba = [int(text[i : i + 2], 16) for i in range(0, len(text), 2)]
    return (*rgba, 255)[:4] if len(rgba) == 3 else tuple(rgba)  # type: ignore[return-value]


def _flags(
    attrs: Mapping[Hashable, object], dtype: np.dtype, nodata: float
) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """``(values, codes, colours)`` of a CF flag layer, or None for a quantity.

    Codes are the values themselves when the band type holds them; otherwise (Gi* classes
    -3..3 in an unsigned band that can carry a colour table) 1..n in flag order.
    """
    if "flag_values" not in attrs:
        return None
    values = np.atleast_1d(np.asarray(attrs["flag_values"])).astype(np.int64)
    meanings = str(attrs.get("flag_meanings", "")).split()
    colours = str(attrs.get("flag_colors", "")).split()
    if len(meanings) != len(values) or (colours and len(colours) != len(values)):
        raise GridError(
            f"the layer has {len(values)} flag_values but {len(meanings)} flag_meanings"
            + (f" and {len(colours)} flag_colors" if colours else "")
        )
    codes = values
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if values.min() < info.min or values.max() > info.max:
            codes = np.arange(1, len(values) + 1, dtype=np.int64)
    if np.isfinite(nodata) and int(nodata) in codes.tolist():
        raise GridError(f"nodata {nodata:g} is one of the flag values {codes.tolist()}")
    return values, codes, colours


def crs_with_area(crs: Any, bounds: Sequence[float]) -> Any:
    """A custom projected CRS (no EPSG code) with ``bounds``' lon/lat extent as area of use.

    GDAL and QGIS show a CRS's area of use (WKT2 ``USAGE``); gridfoot's fitted Albers CRS has
    one, but it is lost on the way through rioxarray, so it is given again from the grid's
    extent. Other CRSs (EPSG ones, those with an area) are returned as they are; None when
    unchanged.
    """
    import pyproj

    crs = pyproj.CRS.from_user_input(crs)
    return _with_area(crs.to_wkt(), tuple(float(b) for b in bounds))


@functools.lru_cache(maxsize=16)
def _with_area(wkt: str, bounds: tuple[float, ...]) -> Any:
    """:func:`crs_with_area` once per CRS and extent: looking a custom CRS up among the EPSG
    codes (``to_epsg``) takes 0.1 s, and a run writes a hundred GeoTIFFs on one grid."""
    import pyproj

    crs = pyproj.CRS.from_wkt(wkt)
    if not crs.is_projected or crs.area_of_use is not None or crs.to_epsg() is not None:
        return None
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    west, south, east, north = (
        round(float(v), 6) for v in to_lonlat.transform_bounds(*bounds, densify_pts=21)
    )
    described = crs.to_json_dict()
    described.pop("usages", None)
    conversion = described.get("conversion", {})
    if conversion.get("name", "unnamed") == "unnamed" and "method" in conversion:
        conversion["name"] = conversion["method"]["name"]  # WKT1 keeps no conversion name
    described.update(
        scope="gridfoot grid",
        area="extent of the grid",
        bbox={
            "south_latitude": south,
            "west_longitude": west,
            "north_latitude": north,
            "east_longitude": east,
        },
    )
    return pyproj.CRS.from_json_dict(described)


def _write_sidecar(path: Path, crs: Any) -> None:
    """The CRS in WKT2 (with its area of use) in GDAL's ``.aux.xml``, or a stale one removed.

    GeoTIFF keys cannot hold an area of use; GDAL (and so QGIS) reads the sidecar's CRS first.
    """
    from xml.sax.saxutils import escape

    sidecar = path.with_name(path.name + ".aux.xml")
    if crs is None:
        sidecar.unlink(missing_ok=True)  # it described the file just replaced
        return
    text = escape(crs.to_wkt("WKT2_2019"))
    with atomic_file(sidecar) as temporary:
        Path(temporary).write_text(
            f'<PAMDataset>\n  <SRS dataAxisToSRSAxisMapping="1,2">{text}</SRS>\n'
            # GDAL takes the dataset's metadata from the sidecar once there is one
            '  <Metadata>\n    <MDI key="AREA_OR_POINT">Area</MDI>\n  </Metadata>\n'
            "</PAMDataset>\n",
            encoding="utf-8",
        )


def _spacing(values: np.ndarray, dim: str) -> float:
    steps = np.diff(values)
    if not np.allclose(steps, steps[0], rtol=1e-9, atol=0):
        raise GridError(f"the {dim!r} coordinate is not regularly spaced")
    # The span over the count is exact for the round numbers grids use; a single step may not be.
    return float((values[-1] - values[0]) / (len(values) - 1))


def georeference(data: xr.DataArray | xr.Dataset) -> tuple[Any, Any, tuple[int, int]]:
    """``(crs, transform, shape)`` of a layer that follows the grid conventions.

    The CRS (a ``pyproj.CRS``) from rioxarray's ``spatial_ref``; the north-up affine
    transform from the cell-centre coordinates (their span over their count, exact for round
    cell sizes). The one reading of a layer's grid: :meth:`gridfoot.spatial.Grid.from_dataarray`
    uses it too, and io needs nothing of the analysis packages.

    Raises
    ------
    GridError
        No CRS, no ``y`` or ``x`` dimension, irregular coordinates, or not north-up.

    Examples
    --------
    >>> from gridfoot.spatial.grid import Grid
    >>> grid = Grid.from_bounds((0, 0, 30_000, 20_000), "EPSG:3035")
    >>> crs, transform, shape = georeference(grid.wrap(np.ones(grid.shape)))
    >>> crs.to_epsg(), tuple(transform)[:6], shape
    (3035, (10000.0, 0.0, 0.0, 0.0, -10000.0, 20000.0), (2, 3))
    """
    import pyproj
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    from affine import Affine

    crs = data.rio.crs
    if crs is None:
        raise GridError("the layer has no CRS (no spatial_ref coordinate or crs attribute)")
    for dim in ("y", "x"):
        if dim not in data.dims:
            raise GridError(f"the layer has no {dim!r} dimension (dims: {tuple(data.dims)})")
    x, y = data["x"].to_numpy().astype(float), data["y"].to_numpy().astype(float)
    if len(x) > 1 and len(y) > 1:
        dx, dy = _spacing(x, "x"), -_spacing(y, "y")
        if dy <= 0:
            raise GridError(
                "y must be descending (north-up); use data.sortby('y', ascending=False)"
            )
        transform = Affine(dx, 0.0, x[0] - dx / 2, 0.0, -dy, y[0] + dy / 2)
    else:
        transform = data.rio.transform()
    if transform.b != 0 or transform.d != 0 or transform.a <= 0 or transform.e >= 0:
        raise GridError(
            f"the grid must be north-up and unrotated (Affine(dx, 0, west, 0, -dy, north) "
            f"with dx, dy > 0), got {tuple(transform)[:6]}"
        )
    return pyproj.CRS.from_user_input(crs), transform, (len(y), len(x))


def _bounds(transform: Any, shape: tuple[int, int]) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of a north-up raster's outer edges."""
    west, north = transform.c, transform.f
    return (west, north + transform.e * shape[0], west + transform.a * shape[1], north)


def _overview_factors(shape: tuple[int, int]) -> list[int]:
    """2, 4, 8, ... until the larger side fits a thumbnail (none for tiny grids)."""
    factors, side = [], max(shape)
    while side > _THUMBNAIL:
        factors.append(2 ** (len(factors) + 1))
        side = -(-side // 2)
    return factors


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
    names: Mapping[str, str] | None = None,
    resampling: str | None = None,
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
    names : mapping, optional
        Names of the band labels (e.g. ``{"USA": "United States"}``): the band description
        becomes ``"USA (United States)"`` and the band gets a ``<band_dim>_name`` tag. Labels
        without a name keep the code alone.
    resampling : str, optional
        How overviews (2x, 4x, ... down to a 64-pixel thumbnail) are made: ``average`` for
        quantities, ``mode`` for class layers by default; ``nearest`` suits labels too.

    Notes
    -----
    Quantities: the layer's ``units`` become each band's unit (``rasterio``'s
    ``dataset.units``, QGIS's band unit) as well as a tag; scale 1, offset 0. A class layer
    (CF ``flag_values``/``flag_meanings`` attributes) keeps neither ``units`` nor
    ``cell_methods``; its flags become tags and, with ``flag_colors`` (``#rrggbb`` per flag,
    as in ESA CCI land cover) and an unsigned band, a colour table (GeoTIFF palettes have
    no alpha: only the nodata entry is transparent). Flag values that the band type cannot
    hold (Gi* classes -3..3 in ``uint8``, which GeoTIFF colour tables need) are written as
    codes 1..n in flag order;
    ``flag_values`` then lists the codes and ``flag_values_of_layer`` the layer's values.

    A custom projected CRS (gridfoot's fitted Albers) is named in the GeoTIFF keys, but its
    area of use cannot be: ``<path>.aux.xml`` holds the CRS in WKT2 with the grid's lon/lat
    extent (:func:`crs_with_area`), which GDAL and QGIS read first.

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
    ...     f.count, f.descriptions, f.units, f.read(2)[0].tolist()
    (2, ('USA', 'JPN'), ('t', 't'), [6.0, 7.0, 8.0])
    """
    import rasterio
    import rasterio.shutil
    from rasterio.crs import CRS
    from rasterio.enums import Compression, Resampling

    path = Path(path)
    if compress.lower() not in {c.name for c in Compression}:
        raise GridError(
            f"unknown compression {compress!r}; one of "
            f"{', '.join(sorted(c.name for c in Compression))}"
        )
    crs, transform, shape = georeference(data)
    bands = _bands(data, band_dim)
    dtype = np.dtype(dtype or bands.dtype)
    if dtype.kind not in "fiu":
        raise GridError(f"cannot write {dtype} bands to a GeoTIFF")
    if dtype.kind in "iu" and not np.isfinite(nodata):
        raise GridError("integer bands need a finite nodata value")
    flags = _flags(data.attrs, dtype, nodata)
    if flags is not None and dtype.kind not in "iu":
        raise GridError(f"a class layer (flag_values) needs an integer band type, not {dtype}")
    land = None
    if mask_sea and "land_fraction" in data.coords:
        land = data["land_fraction"].transpose("y", "x").values
    name = band_dim if isinstance(band_dim, str) else "band"
    profile = {
        "driver": "GTiff",
        "width": shape[1],
        "height": shape[0],
        "count": bands.sizes["band"],
        "dtype": dtype.name,
        "crs": CRS.from_wkt(crs.to_wkt()),
        "transform": transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": blocksize,
        "blockysize": blocksize,
        "interleave": "band",
        "compress": compress,
        "predictor": 3 if dtype.kind == "f" else 2,
        "BIGTIFF": "IF_SAFER",
    }
    tags = {
        str(k): text
        for k, v in data.attrs.items()
        if not str(k).startswith("_") and k != "flag_colors" and (text := _tag(v)) is not None
    }
    units = tags.get("units") if flags is None else None
    if flags is not None:
        values, codes, _ = flags
        for key in _QUANTITY_ONLY:
            tags.pop(key, None)
        tags["flag_values"] = " ".join(map(str, codes.tolist()))
        if not np.array_equal(codes, values):
            tags["flag_values_of_layer"] = " ".join(map(str, values.tolist()))
    if band_dim is not None:
        tags["bands"] = str(name)
    labels = [str(label) for label in bands["band"].values]
    described = [
        f"{label} ({names[label]})" if names and names.get(label, label) != label else label
        for label in labels
    ]
    if band_dim is not None and len(labels) == 1:  # one entry per file: say which, file-wide
        tags[str(name)] = labels[0]
        if described[0] != labels[0]:
            tags[f"{name}_name"] = names[labels[0]]  # type: ignore[index]
    kind = resampling or ("average" if flags is None and dtype.kind == "f" else "mode")
    try:
        how = Resampling[kind]
    except KeyError:
        raise GridError(
            f"unknown resampling {kind!r}; one of average, mode, nearest, ..."
        ) from None
    with (
        _write_errors(path),
        atomic_file(path) as temporary,
        _staging(path.parent) if cog else contextlib.nullcontext(temporary) as stage,
    ):
        # a COG is compressed once, by the COG driver's copy: the stage it copies is not
        staged = {**profile, "compress": "none", "predictor": 1} if cog else profile
        with rasterio.open(stage, "w", **staged) as target:
            target.update_tags(**tags)
            for first, block in _blocks(bands):
                if land is not None:
                    block = np.where((land == 0) & (block == 0), np.nan, block)
                if flags is not None:  # the flag values as codes; anything else nodata
                    order = np.argsort(flags[0])
                    known = np.isin(block, flags[0])
                    where = np.searchsorted(
                        flags[0], np.where(known, block, flags[0][0]), sorter=order
                    )
                    block = np.where(known, flags[1][order][where], nodata)
                elif not np.isnan(nodata):
                    block = np.where(np.isnan(block), nodata, block)
                target.write(
                    block.astype(dtype, copy=False),
                    list(range(first + 1, first + 1 + len(block))),
                )
            for number, (label, description) in enumerate(
                zip(labels, described, strict=True), start=1
            ):
                target.set_band_description(number, description)
                band_tags = {str(name): label}
                if description != label:
                    band_tags[f"{name}_name"] = names[label]  # type: ignore[index]
                target.update_tags(number, **band_tags)
                if units:
                    target.set_band_unit(number, units)
            if flags is not None and flags[2] and dtype.name in ("uint8", "uint16"):
                table = {int(c): _rgba(h) for c, h in zip(flags[1], flags[2], strict=True)}
                if np.isfinite(nodata):
                    table[int(nodata)] = (0, 0, 0, 0)
                for number in range(1, target.count + 1):
                    target.write_colormap(number, table)
            factors = _overview_factors(shape)
            if factors:
                target.build_overviews(factors, how)
        if cog:
            rasterio.shutil.copy(
                stage,
                temporary,
                driver="COG",
                COMPRESS=compress.upper(),
                PREDICTOR="YES",
                BLOCKSIZE=blocksize,
                OVERVIEWS="FORCE_USE_EXISTING",
                OVERVIEW_RESAMPLING=kind.upper(),
                BIGTIFF="IF_SAFER",
            )
    _write_sidecar(path, crs_with_area(crs, _bounds(transform, shape)))
    return path
