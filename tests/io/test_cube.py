"""Zarr / NetCDF round trips of grids and lazy cubes, CRS included, atomically."""

from __future__ import annotations

import dask.array as dsa
import numpy as np
import pyproj
import pytest
import xarray as xr

from gridfoot.errors import InputFileError
from gridfoot.io.cube import open_cube, write_cube, write_zarr
from gridfoot.spatial.grid import Grid, albers_for


@pytest.fixture
def cube():
    """A lazy (destination, sector, y, x) cube on a fitted Albers grid (a custom CRS)."""
    grid = Grid.from_bounds((-30_000, -20_000, 20_000, 20_000), albers_for(100, 20, 120, 40))
    values = dsa.arange(3 * 2 * 4 * 5, dtype=float, chunks=2 * 4 * 5).reshape(3, 2, 4, 5)
    return grid.wrap(
        values,
        dims=["destination", "sector"],
        coords={"destination": ["USA", "JPN", "DEU"], "sector": ["ele", "man"]},
        name="driven",
        units="kt",
        long_name="CO2 driven",
    )


def test_zarr_round_trip_keeps_crs_coordinates_and_layer_chunks(cube, tmp_path):
    store = write_zarr(cube, tmp_path / "cube.zarr")
    raw = xr.open_zarr(store, decode_coords="all")
    assert raw["driven"].rio.crs == cube.rio.crs  # the same CRS, now with an area of use
    assert raw["driven"].encoding["chunks"] == (1, 1, 4, 5)
    again = open_cube(store)
    assert isinstance(again.data, dsa.Array)
    assert again.dims == cube.dims
    np.testing.assert_array_equal(again.values, cube.values)
    assert again.attrs["units"] == "kt" and again.attrs["cell_methods"] == "area: sum"
    assert again["destination"].values.tolist() == ["USA", "JPN", "DEU"]
    assert {"land_fraction", "cell_area", "spatial_ref"} <= set(again.coords)
    assert Grid.from_dataarray(again) == Grid.from_dataarray(cube)


def test_netcdf_round_trip(cube, tmp_path):
    path = write_cube(cube, tmp_path / "cube.nc")
    again = open_cube(path)
    assert again.rio.crs == cube.rio.crs
    np.testing.assert_array_equal(again.values, cube.values)
    assert again["destination"].values.tolist() == ["USA", "JPN", "DEU"]
    assert Grid.from_dataarray(again) == Grid.from_dataarray(cube)
    dataset = open_cube(path, as_dataset=True)
    assert list(dataset.data_vars) == ["driven"]


def test_reopened_cube_can_be_written_again(cube, tmp_path):
    first = open_cube(write_zarr(cube, tmp_path / "a.zarr"))
    second = open_cube(write_zarr(first.isel(destination=[0, 2]), tmp_path / "b.zarr"))
    np.testing.assert_array_equal(second.values, cube.values[[0, 2]])
    nc = open_cube(write_cube(first, tmp_path / "a.nc"))
    np.testing.assert_array_equal(nc.values, cube.values)


def test_atomic_replace_and_errors(cube, tmp_path):
    store = tmp_path / "cube.zarr"
    write_zarr(cube, store)
    write_zarr(cube * 2, store)
    np.testing.assert_array_equal(open_cube(store).values, 2 * cube.values)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cube.zarr"]
    broken = cube.copy(data=cube.data.map_blocks(_fail, dtype=float))
    with pytest.raises(RuntimeError, match="boom"):
        write_zarr(broken, store)
    np.testing.assert_array_equal(open_cube(store).values, 2 * cube.values)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cube.zarr"]
    with pytest.raises(InputFileError, match=r"\.zarr or \.nc"):
        write_cube(cube, tmp_path / "cube.tif")
    with pytest.raises(InputFileError, match="no such"):
        open_cube(tmp_path / "absent.zarr")


def test_zarr_describes_itself(cube, tmp_path):
    about = {"title": "CO2 by destination", "stressor": "CO2", "allocation_mode": "mrio"}
    store = write_zarr(cube, tmp_path / "cube.zarr", attrs=about)
    raw = xr.open_zarr(store)
    assert about.items() <= raw.attrs.items()
    assert raw.attrs["Conventions"] == "CF-1.10"
    assert raw.attrs["source"].startswith("gridfoot ")
    assert raw.attrs["date_created"].endswith("Z")
    assert raw["driven"].attrs["units"] == "kt" and raw["driven"].attrs["long_name"]
    assert raw["driven"].attrs["cell_methods"] == "area: sum"
    for name in ("x", "y", "destination", "sector", "land_fraction", "cell_area"):
        assert raw[name].attrs["long_name"], name
    assert raw["x"].attrs["standard_name"] == "projection_x_coordinate"  # kept
    crs = pyproj.CRS.from_wkt(raw["spatial_ref"].attrs["crs_wkt"])
    assert crs.geodetic_crs.name == "WGS 84"
    west, south, east, north = crs.area_of_use.bounds  # the grid's lon/lat extent
    assert 109 < west < 110 < east < 111 and 29 < south < 30 < north < 31
    assert not cube.attrs.get("Conventions") and "long_name" not in cube["x"].attrs


def test_creation_time_from_source_date_epoch(cube, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    store = write_zarr(cube, tmp_path / "cube.zarr", attrs={"title": "CO2"})
    assert xr.open_zarr(store).attrs["date_created"] == "1970-01-01T00:00:00Z"
    plain = xr.open_zarr(write_zarr(cube, tmp_path / "plain.zarr")).attrs
    assert plain["Conventions"] == "CF-1.10" and "date_created" not in plain


def test_netcdf_describes_itself_too(cube, tmp_path):
    path = write_cube(cube, tmp_path / "cube.nc", attrs={"title": "CO2"})
    with xr.open_dataset(path) as dataset:
        assert dataset.attrs["title"] == "CO2" and dataset.attrs["Conventions"] == "CF-1.10"
        assert dataset["destination"].attrs["long_name"]


def _fail(block):
    raise RuntimeError("boom")


def test_a_store_built_through_a_partial_one_equals_a_direct_write(cube, tmp_path, monkeypatch):
    """Block by block through ``partial``: the same store (values, chunks, attributes) as a
    direct write; blocks marked done are not written again; the partial store is moved."""
    import dask

    import gridfoot.io.cube as module
    from gridfoot.io.cube import resumable_blocks

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    direct = write_zarr(cube, tmp_path / "direct.zarr", attrs={"title": "t"})
    partial = tmp_path / "cache" / "cube-1.zarr"
    assert resumable_blocks(cube, partial) == (0, 3)
    real, stored = module._store_block, []

    def counted(*args):
        stored.append(args[-1])
        return real(*args)

    def stopped(*args):
        if stored:
            raise RuntimeError("stop")
        return counted(*args)

    with dask.config.set(scheduler="synchronous"):
        monkeypatch.setattr(module, "_store_block", stopped)
        with pytest.raises(RuntimeError, match="stop"):  # a write stopped after one block
            write_zarr(cube, tmp_path / "via.zarr", attrs={"title": "t"}, partial=partial)
        assert resumable_blocks(cube, partial) == (1, 3) and not (tmp_path / "via.zarr").exists()
        monkeypatch.setattr(module, "_store_block", counted)
        via = write_zarr(cube, tmp_path / "via.zarr", attrs={"title": "t"}, partial=partial)
    assert len(stored) == 3  # the first block once, then the two left
    assert not partial.exists() and not partial.with_name("cube-1.zarr.done").exists()
    with xr.open_zarr(direct) as one, xr.open_zarr(via) as other:
        xr.testing.assert_identical(one, other)
        assert one["driven"].encoding["chunks"] == other["driven"].encoding["chunks"]


def test_a_partial_store_that_is_not_gridfoots_is_refused_and_left(cube, tmp_path):
    from gridfoot.errors import OutputError

    partial = tmp_path / "mine"
    partial.mkdir()
    (partial / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="was not written by gridfoot"):
        write_zarr(cube, tmp_path / "cube.zarr", partial=partial)
    assert (partial / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "cube.zarr").exists()
    # a Zarr store of the user's (complete, with no markers' folder beside it) likewise
    theirs = write_zarr(cube, tmp_path / "theirs.zarr")
    before = sorted(p.relative_to(theirs) for p in theirs.rglob("*"))
    with pytest.raises(OutputError, match=r"theirs\.zarr: exists and was not written by gridfoot"):
        write_zarr(cube, tmp_path / "cube.zarr", partial=theirs)
    assert sorted(p.relative_to(theirs) for p in theirs.rglob("*")) == before
    assert not (tmp_path / "theirs.zarr.done").exists()
