"""GeoTIFF / COG export: bands, descriptions, nodata, CRS, compression, atomic writes."""

from __future__ import annotations

import html
import re

import dask.array as dsa
import geopandas as gpd
import numpy as np
import pyproj
import pytest
import rasterio
import rioxarray
from shapely import box

from gridfoot.errors import GridError
from gridfoot.io.raster import write_geotiff
from gridfoot.spatial.grid import Grid

CRS = "EPSG:3035"


@pytest.fixture
def grid() -> Grid:
    """3 x 4 cells of 10 km; land: the western 3 columns."""
    base = Grid.from_bounds((0, 0, 40_000, 30_000), CRS)
    return base.with_land(gpd.GeoSeries([box(0, 0, 30_000, 30_000)], crs=CRS))


@pytest.fixture
def cube(grid):
    values = np.arange(2 * 2 * 12, dtype=float).reshape(2, 2, 3, 4) * 1.5
    values[:, :, 0, 3] = 0.0  # an empty sea cell: nodata
    values[:, :, 1, 3] = 7.0  # a sea cell with emissions (a plant offshore): kept
    return grid.wrap(
        values,
        dims=["destination", "sector"],
        coords={"destination": ["USA", "JPN"], "sector": ["ele", "man"]},
        name="driven",
        units="t",
        long_name="CO2 driven by final demand",
    )


def test_cog_one_band_per_destination(cube, grid, tmp_path):
    layer = cube.sel(sector="ele")
    path = write_geotiff(layer, tmp_path / "ele.tif", band_dim="destination")
    with rasterio.open(path) as tif:
        assert tif.count == 2
        assert tif.descriptions == ("USA", "JPN")
        assert tif.tags(1)["destination"] == "USA"
        assert tif.tags()["units"] == "t" and tif.tags()["bands"] == "destination"
        assert np.isnan(tif.nodata)
        assert tif.dtypes == ("float64", "float64")
        assert tif.compression.name == "deflate"
        assert tif.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert tif.transform == grid.transform
        assert pyproj.CRS.from_wkt(tif.crs.to_wkt()) == grid.crs
        data = tif.read()
    expected = layer.values.copy()
    expected[:, 0, 3] = np.nan  # empty sea
    np.testing.assert_array_equal(data, expected)
    assert data[0, 1, 3] == 7.0


def test_read_back_with_rioxarray_recovers_the_grid(cube, grid, tmp_path):
    path = write_geotiff(cube.sel(destination="USA", sector="man"), tmp_path / "one.tif")
    opened = rioxarray.open_rasterio(path)
    again = Grid.from_dataarray(opened)
    assert again == grid
    assert opened.sizes["band"] == 1
    with rasterio.open(path) as tif:
        assert tif.descriptions == ("driven",)


def test_stacked_band_dims_and_dask_input(cube, tmp_path):
    lazy = cube.chunk({"destination": 1})
    assert isinstance(lazy.data, dsa.Array)
    path = write_geotiff(lazy, tmp_path / "all.tif", band_dim=["destination", "sector"], cog=False)
    with rasterio.open(path) as tif:
        assert tif.descriptions == ("USA | ele", "USA | man", "JPN | ele", "JPN | man")
        assert tif.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") != "COG"
        assert tif.profile["tiled"] and tif.profile["interleave"] == "band"
        data = tif.read()
    assert np.array_equal(np.nan_to_num(data), cube.values.reshape(4, 3, 4))


def test_finite_nodata_integer_bands_and_no_mask(cube, tmp_path):
    path = write_geotiff(
        cube.sel(sector="ele").round(),
        tmp_path / "int.tif",
        "destination",
        nodata=-1,
        dtype="int32",
        mask_sea=False,
    )
    with rasterio.open(path) as tif:
        assert tif.nodata == -1 and tif.dtypes[0] == "int32"
        assert tif.read(1)[0, 3] == 0  # not masked
    with pytest.raises(GridError, match="finite nodata"):
        write_geotiff(cube.sel(sector="ele"), tmp_path / "bad.tif", "destination", dtype="int32")


def test_refuses_ambiguous_layers(cube, tmp_path):
    with pytest.raises(GridError, match="band_dim"):
        write_geotiff(cube, tmp_path / "x.tif")
    with pytest.raises(GridError, match=r"select \['sector'\] first"):
        write_geotiff(cube, tmp_path / "x.tif", band_dim="destination")
    with pytest.raises(GridError, match="does not match"):
        write_geotiff(cube, tmp_path / "x.tif", band_dim="category")
    assert not list(tmp_path.iterdir())


def test_failed_write_leaves_nothing_and_keeps_the_old_file(cube, tmp_path):
    target = tmp_path / "map.tif"
    target.write_bytes(b"previous")
    failing = cube.sel(sector="ele").chunk({"destination": 1})
    failing = failing.copy(data=failing.data.map_blocks(_fail, dtype=float))
    for cog in (True, False):
        with pytest.raises(RuntimeError, match="boom"):
            write_geotiff(failing, target, "destination", cog=cog)
        assert target.read_bytes() == b"previous"
        assert [p.name for p in tmp_path.iterdir()] == ["map.tif"]
    with pytest.raises(GridError, match="unknown compression"):
        write_geotiff(cube.sel(sector="ele"), target, "destination", compress="no-such-codec")


def _fail(block):
    raise RuntimeError("boom")


def test_compression_keeps_sparse_layers_small(tmp_path):
    grid = Grid.from_bounds((0, 0, 2_000_000, 2_000_000), CRS)  # 200 x 200 cells
    values = np.zeros((10, 200, 200))
    rng = np.random.default_rng(1)
    values[:, rng.integers(0, 200, 300), rng.integers(0, 200, 300)] = rng.lognormal(size=300)
    layers = grid.wrap(values, dims=["destination"], coords={"destination": list("ABCDEFGHIJ")})
    path = write_geotiff(layers, tmp_path / "sparse.tif", "destination")
    assert path.stat().st_size < values.nbytes / 20


# -- what GIS users see: names, units, class layers, overviews, the CRS -----------------------


def test_bands_named_with_units_scale_and_offset(cube, tmp_path):
    names = {"USA": "United States", "JPN": "JPN"}  # a name equal to its code adds nothing
    path = write_geotiff(cube.sel(sector="ele"), tmp_path / "s.tif", "destination", names=names)
    with rasterio.open(path) as tif:
        assert tif.descriptions == ("USA (United States)", "JPN")
        assert tif.tags(1) == {"destination": "USA", "destination_name": "United States"}
        assert tif.tags(2) == {"destination": "JPN"}
        assert tif.units == ("t", "t")  # the band unit QGIS shows
        assert tif.tags()["units"] == "t" and tif.tags()["cell_methods"] == "area: sum"
        assert tif.scales == (1.0, 1.0) and tif.offsets == (0.0, 0.0)
    one = write_geotiff(
        cube.sel(sector="ele", destination=["USA"]),
        tmp_path / "usa.tif",
        "destination",
        names=names,
    )
    with rasterio.open(one) as tif:
        assert tif.descriptions == ("USA (United States)",)
        assert tif.tags()["destination"] == "USA"
        assert tif.tags()["destination_name"] == "United States"


def _flagged(grid, values, **attrs):
    return grid.wrap(np.asarray(values), name="classes").assign_attrs(
        units="t", cell_methods="area: sum", stressor="CO2", **attrs
    )


def test_class_layer_gets_flags_and_a_colour_table_not_units(grid, tmp_path):
    from gridfoot.hotspots.gistar import SIGNIFICANCE_FLAGS

    values = np.array([[-3, -2, -1, 0], [1, 2, 3, -128], [0, 0, 0, 0]], dtype=np.int8)
    layer = _flagged(grid, values, **SIGNIFICANCE_FLAGS)  # as if units were inherited
    path = write_geotiff(layer, tmp_path / "gi.tif", nodata=0, dtype="uint8", mask_sea=False)
    with rasterio.open(path) as tif:
        tags = tif.tags()
        assert tags["flag_values"] == "1 2 3 4 5 6 7"
        assert tags["flag_values_of_layer"] == "-3 -2 -1 0 1 2 3"
        assert tags["flag_meanings"].split()[0] == "cold_spot_99"
        assert "units" not in tags and "cell_methods" not in tags and "flag_colors" not in tags
        assert tags["stressor"] == "CO2"
        assert not tif.units[0]
        assert tif.read(1).tolist() == [[1, 2, 3, 4], [5, 6, 7, 0], [4, 4, 4, 4]]
        colours = tif.colormap(1)
    assert colours[0][3] == 0  # nodata transparent
    assert colours[1][:3] == (33, 102, 172)  # cold spot 99%: dark blue
    assert colours[4][:3] == (189, 189, 189)  # not significant: grey
    assert colours[7][:3] == (178, 24, 43)  # hot spot 99%: dark red
    for code in (5, 6, 7):  # hot spots are reds, cold spots blues
        assert colours[code][0] > colours[code][2] and colours[8 - code][2] > colours[8 - code][0]


def test_hotspot_mask_and_hub_labels_from_the_analysis(cube, tmp_path):
    from gridfoot.hotspots import gistar, hotspot_mask, hub_labels

    layer = cube.sel(destination="USA", sector="ele")
    mask = write_geotiff(
        hotspot_mask(layer, 0.5), tmp_path / "m.tif", nodata=255, dtype="uint8", mask_sea=False
    )
    with rasterio.open(mask) as tif:
        assert tif.tags()["flag_values"] == "0 1"
        assert tif.tags()["flag_meanings"] == "outside_hotspot hotspot"
        assert "units" not in tif.tags() and "cell_methods" not in tif.tags()
        assert tif.colormap(1)[1] == (215, 48, 31, 255)  # one colour, red
        assert tif.colormap(1)[0] == (240, 240, 240, 255)  # the rest pale (no alpha in TIFF)
    hubs = write_geotiff(
        hub_labels(layer, 0.5), tmp_path / "h.tif", nodata=-1, dtype="int32", mask_sea=False
    )
    with rasterio.open(hubs) as tif:
        tags = tif.tags()
        assert "units" not in tags and "cell_methods" not in tags
        assert tags["long_name"].startswith("rank of the hub")
        assert "label raster" in tags["comment"] and not tif.units[0]
    classes = gistar(layer).significance
    assert "units" not in classes.attrs and "cell_methods" not in classes.attrs


def test_overviews_even_on_a_small_grid(tmp_path):
    grid = Grid.from_bounds((0, 0, 2_060_000, 2_060_000), CRS)  # the sample's 206 x 206
    rng = np.random.default_rng(2)
    values = rng.lognormal(size=(206, 206))
    path = write_geotiff(grid.wrap(values, units="t"), tmp_path / "v.tif", mask_sea=False)
    with rasterio.open(path) as tif:
        assert tif.overviews(1) == [2, 4]
        assert tif.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    with rasterio.open(path, overview_level=0) as half:
        assert half.shape == (103, 103)
        assert half.read(1)[0, 0] == pytest.approx(values[:2, :2].mean())  # averaged
    flags = np.ones((206, 206), dtype=np.uint8)
    flags[::2, ::2] = 0  # nearest would take these; the mode of each 2 x 2 block is 1
    mask = grid.wrap(flags).assign_attrs(flag_values=[0, 1], flag_meanings="no yes")
    path = write_geotiff(mask, tmp_path / "c.tif", nodata=255, dtype="uint8", mask_sea=False)
    with rasterio.open(path) as tif:
        assert tif.overviews(1) == [2, 4]
    with rasterio.open(path, overview_level=0) as half:
        assert (half.read(1) == 1).all()


def test_custom_crs_is_named_with_its_area_of_use(tmp_path):
    from gridfoot.spatial.grid import albers_for

    albers = albers_for(100, 20, 120, 40)
    grid = Grid.from_bounds((-30_000, -20_000, 20_000, 20_000), albers)
    path = write_geotiff(grid.wrap(np.ones((4, 5)), units="t"), tmp_path / "a.tif")
    with rasterio.open(path) as tif:
        crs = pyproj.CRS.from_wkt(tif.crs.to_wkt(version="WKT2_2019"))
        assert tif.tags()["AREA_OR_POINT"] == "Area"  # kept though GDAL reads the sidecar
        assert tif.transform == grid.transform
    assert crs.name == "Albers Equal Area (gridfoot), WGS 84 datum"
    assert crs.geodetic_crs.name == "WGS 84"  # GDAL showed "undefined"
    # the GeoTIFF keys hold no area of use; GDAL (so QGIS) reads the sidecar's CRS first
    # (rasterio's CRS objects drop the area of use, so it is read from the sidecar here)
    sidecar = path.with_name("a.tif.aux.xml").read_text()
    described = pyproj.CRS.from_wkt(html.unescape(re.search(r"<SRS[^>]*>(.*)</SRS>", sidecar)[1]))
    assert described.equals(crs) and described.name == crs.name
    west, south, east, north = described.area_of_use.bounds
    assert 109 < west < 110 < east < 111 and 29 < south < 30 < north < 31
    assert crs.equals(albers, ignore_axis_order=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tif", "a.tif.aux.xml"]
    epsg = write_geotiff(grid.wrap(np.ones((4, 5))).rio.write_crs(CRS), tmp_path / "e.tif")
    assert not epsg.with_name("e.tif.aux.xml").exists()  # EPSG codes need no sidecar


def test_class_layer_errors(grid, tmp_path):
    layer = _flagged(grid, np.zeros((3, 4), dtype=np.uint8), flag_values=[0, 1])
    with pytest.raises(GridError, match="flag_meanings"):
        write_geotiff(layer, tmp_path / "x.tif", nodata=255, dtype="uint8")
    layer = layer.assign_attrs(flag_meanings="a b")
    with pytest.raises(GridError, match="nodata 1 is one of the flag values"):
        write_geotiff(layer, tmp_path / "x.tif", nodata=1, dtype="uint8")
    with pytest.raises(GridError, match="integer band type"):
        write_geotiff(layer, tmp_path / "x.tif", dtype="float32")
    with pytest.raises(GridError, match="unknown resampling"):
        write_geotiff(layer, tmp_path / "x.tif", nodata=255, dtype="uint8", resampling="magic")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("bounds", "crs", "resolution"),
    [
        ((0, 0, 30_000, 20_000), "EPSG:3035", 10_000),
        ((0, 0, 30_000, 10_000), "EPSG:3035", 10_000),  # one row: rioxarray's transform
        ((73.5, 18.1, 135.1, 53.6), "EPSG:4326", 0.1),  # steps that are not round
    ],
)
def test_io_reads_a_layer_as_the_grid_does(bounds, crs, resolution):
    """io.raster.georeference is io's own reading of Grid.from_dataarray (io imports no
    spatial): they must agree, or a written GeoTIFF would sit elsewhere than the grid."""
    from gridfoot.io.raster import _bounds, georeference

    grid = Grid.from_bounds(bounds, crs, resolution)
    layer = grid.wrap(np.ones(grid.shape))
    found, transform, shape = georeference(layer)
    recovered = Grid.from_dataarray(layer)
    assert (found, tuple(transform), shape) == (
        recovered.crs,
        tuple(recovered.transform),
        recovered.shape,
    )
    assert _bounds(transform, shape) == recovered.bounds
    if grid.shape[0] > 1:
        with pytest.raises(GridError, match="north-up"):
            georeference(layer.sortby("y"))
    with pytest.raises(GridError, match="no CRS"):
        georeference(layer.drop_vars("spatial_ref"))


def _printing_copy(message: bytes, fail: bool):
    """rasterio.shutil.copy as libtiff behaves: it prints to fd 2 (and may then fail)."""
    import os

    from rasterio.errors import RasterioIOError

    original = rasterio.shutil.copy

    def copy(*args, **kwargs):
        os.write(2, message)
        if fail:
            raise RasterioIOError("Write failed")
        return original(*args, **kwargs)

    return copy


def test_what_gdal_prints_names_the_file_that_failed(tmp_path, monkeypatch) -> None:
    from gridfoot.errors import OutputError

    layer = Grid.from_bounds((0, 0, 40_000, 40_000), "EPSG:3035").wrap(np.ones((4, 4)))
    monkeypatch.setattr(
        rasterio.shutil, "copy", _printing_copy(b"TIFFAppendToStrip: No space left\n", True)
    )
    with pytest.raises(OutputError, match=r"full\.tif: cannot write the GeoTIFF \(TIFF.*No space"):
        write_geotiff(layer, tmp_path / "full.tif")
    assert not (tmp_path / "full.tif").exists()


def test_concurrent_writers_share_one_capture_and_give_stderr_back(
    tmp_path, monkeypatch, capfd
) -> None:
    """Eight threads writing at once: every file is written, what libtiff printed comes back
    on standard error once they are done, and fd 2 is the process's again."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    layer = Grid.from_bounds((0, 0, 40_000, 40_000), "EPSG:3035").wrap(np.ones((4, 4)))
    monkeypatch.setattr(rasterio.shutil, "copy", _printing_copy(b"libtiff: a note\n", False))
    before = os.fstat(2)
    with ThreadPoolExecutor(max_workers=8) as pool:
        paths = list(pool.map(lambda i: write_geotiff(layer, tmp_path / f"{i}.tif"), range(16)))
    after = os.fstat(2)
    assert (before.st_dev, before.st_ino) == (after.st_dev, after.st_ino)
    assert all(p.is_file() for p in paths)
    assert capfd.readouterr().err.count("libtiff: a note") == 16
