"""GeoTIFF / COG export: bands, descriptions, nodata, CRS, compression, atomic writes."""

from __future__ import annotations

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
