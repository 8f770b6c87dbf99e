"""Zonal totals: border cells split by area, coastal cells by their land, what falls outside."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, box

from gridfoot.errors import GridError, GridfootWarning, InputFileError, LabelError
from gridfoot.hotspots import zonal_totals
from gridfoot.io import tidy
from gridfoot.io.vector import read_polygons
from gridfoot.spatial import Grid, Zones
from tests.strategies import uniform

PROVINCES = gpd.GeoDataFrame(
    {"name": ["A", "B"]},
    geometry=[box(0, 0, 12_000, 20_000), box(12_000, 0, 25_000, 20_000)],
    crs=3035,
)


def named(frame, column="name"):
    """Zones labelled by their name."""
    return Zones.from_frame(frame, label=column)


def test_coastal_cells_go_wholly_to_their_provinces():
    # land is the two provinces: the third column is half sea (land fraction 0.5)
    grid = Grid.for_boundaries(PROVINCES, crs=3035)
    assert grid.land_fraction.values.tolist() == [[1, 1, 0.5], [1, 1, 0.5]]
    result = zonal_totals(grid.wrap(np.ones(grid.shape), units="t"), named(PROVINCES))
    # A: column 0 and 0.2 of column 1; B: 0.8 of column 1 and all of column 2's land
    np.testing.assert_allclose(result.total.sel(zone=["A", "B"]), [2.4, 3.6])
    np.testing.assert_allclose(result.share, [0.4, 0.6])
    assert float(result.outside) == pytest.approx(0.0, abs=1e-12)
    assert result.total.attrs["units"] == "t"
    np.testing.assert_allclose(result.land_area, [2.4e8, 2.6e8])  # km2 of land: 240, 160 + 100


def test_without_land_fraction_the_sea_part_of_a_cell_is_outside():
    grid = Grid.from_bounds((0, 0, 30_000, 20_000), 3035)
    result = zonal_totals(grid.wrap(np.ones(grid.shape)), named(PROVINCES))
    np.testing.assert_allclose(result.total, [2.4, 2 * (0.8 + 0.5)])
    assert float(result.outside) == pytest.approx(2 * 0.5)
    assert float(result.outside_share) == pytest.approx(1 / 6)


def test_cities_cover_part_of_the_land():
    grid = Grid.for_boundaries(PROVINCES, crs=3035)
    values = np.zeros(grid.shape)
    values[0, 2] = 10.0  # the coastal cell: 5 km2 x 10 km of land
    city = gpd.GeoDataFrame({"city": ["Port"]}, geometry=[box(20_000, 15_000, 25_000, 20_000)])
    city = city.set_crs(3035)
    result = zonal_totals(grid.wrap(values), named(city, "city"))
    # the city covers a quarter of the cell, half of its land
    assert float(result.total.sel(zone="Port")) == pytest.approx(5.0)
    assert float(result.outside) == pytest.approx(5.0)


def test_offshore_values_are_outside_and_names_are_merged():
    grid = Grid.from_bounds((0, 0, 40_000, 20_000), 3035)
    values = np.ones(grid.shape)
    values[:, 3] = 7.0  # offshore: no polygon
    zones = gpd.GeoDataFrame(
        {"name": ["A", "B", "A"]},
        geometry=[
            box(0, 0, 10_000, 20_000),
            box(10_000, 0, 20_000, 20_000),
            box(20_000, 0, 30_000, 20_000),
        ],
        crs=3035,
    )
    result = zonal_totals(grid.wrap(values), named(zones))
    assert result.zone.values.tolist() == ["A", "B"]
    np.testing.assert_allclose(result.total, [4.0, 2.0])
    assert float(result.outside) == pytest.approx(14.0)
    table = tidy(result[["total", "share"]])
    assert set(table.columns) >= {"variable", "zone", "value"}


def test_layers_lazily():
    grid = Grid.for_boundaries(PROVINCES, crs=3035)
    rng = np.random.default_rng(0)
    cube = grid.wrap(
        rng.random((3, *grid.shape)),
        dims=["destination"],
        coords={"destination": ["USA", "JPN", "DEU"]},
    )
    lazy = zonal_totals(cube.chunk({"destination": 1}), named(PROVINCES))
    assert lazy.total.chunks is not None
    result = lazy.compute()
    assert result.total.dims == ("destination", "zone")
    for name in ["USA", "JPN", "DEU"]:
        one = zonal_totals(cube.sel(destination=name), named(PROVINCES))
        xr.testing.assert_allclose(result.sel(destination=name), one)
    np.testing.assert_allclose(result.total.sum("zone") + result.outside, cube.sum(["y", "x"]))


@settings(max_examples=40, deadline=None)
# values: one per cell of the 3 x 4 grid below
@given(st.integers(1, 39_999), st.integers(1, 29_999), uniform((3, 4), 0, 1e6))
def test_partitions_conserve_the_total(cut_x, cut_y, values):
    # three rectangles tiling the grid: nothing is outside and every tonne is somewhere
    grid = Grid.from_bounds((0, 0, 40_000, 30_000), 3035)
    zones = gpd.GeoDataFrame(
        {"name": ["W", "NE", "SE"]},
        geometry=[
            box(0, 0, cut_x, 30_000),
            box(cut_x, cut_y, 40_000, 30_000),
            box(cut_x, 0, 40_000, cut_y),
        ],
        crs=3035,
    )
    result = zonal_totals(grid.wrap(values), named(zones))
    assert float(result.total.sum()) == pytest.approx(values.sum(), rel=1e-12)
    assert abs(float(result.outside)) <= 1e-12 * values.sum()
    west = (
        values[:, : cut_x // 10_000].sum()
        + values[:, cut_x // 10_000].sum() * (cut_x % 10_000) / 10_000
    )
    assert float(result.total.sel(zone="W")) == pytest.approx(west, rel=1e-12)


def test_features_that_are_not_polygons_are_dropped_with_a_warning():
    grid = Grid.for_boundaries(PROVINCES, crs=3035)
    border = gpd.GeoDataFrame(
        {"name": ["border"]}, geometry=[LineString([(12_000, 0), (12_000, 20_000)])], crs=3035
    )
    with_line = pd.concat([PROVINCES, border], ignore_index=True)
    with pytest.warns(GridfootWarning, match=r"1 feature\(s\) that are not polygons.*LineString"):
        result = zonal_totals(grid.wrap(np.ones(grid.shape)), named(with_line))
    assert result.zone.values.tolist() == ["A", "B"]
    with pytest.raises(InputFileError, match=r"no \(multi\)polygons \(only 1 LineString"):
        named(border)


def test_bad_polygons_are_refused(tmp_path):
    layer = Grid.from_bounds((0, 0, 30_000, 20_000), 3035).wrap(np.ones((2, 3)))
    with pytest.raises(LabelError, match=r"no column 'province'.*name"):
        named(PROVINCES, "province")
    with pytest.raises(InputFileError, match=r"missing\.geojson: no such file"):
        read_polygons(tmp_path / "missing.geojson")
    (tmp_path / "junk.geojson").write_text("not json")
    with pytest.raises(InputFileError, match=r"junk\.geojson: not a vector file"):
        read_polygons(tmp_path / "junk.geojson")
    unnamed = PROVINCES.assign(name=[None, "B"])
    with pytest.raises(LabelError, match=r"1 polygon\(s\) have no name value: rows 0"):
        named(unnamed)
    with pytest.raises(LabelError, match=r"2 polygon\(s\) have no name value: rows 0, 1"):
        named(PROVINCES.assign(name=["", " "]))
    # a path is read by read_polygons, not here: no file I/O in the analysis
    with pytest.raises(GridError, match=r"got PosixPath; read a file with .*read_polygons"):
        zonal_totals(layer, tmp_path / "junk.geojson")


def _geojson(path, geometries, **members):
    features = [
        {"type": "Feature", "properties": {"i": i}, "geometry": g} for i, g in enumerate(geometries)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", **members, "features": features}))
    return path


def test_a_bow_tie_is_repaired_into_its_two_triangles(tmp_path):
    # the ring crosses itself at (0.5, 0.5): two triangles of area 1/4 each
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    square = {"type": "Polygon", "coordinates": [[[2, 0], [3, 0], [3, 1], [2, 1], [2, 0]]]}
    path = _geojson(tmp_path / "zones.geojson", [bow_tie, square])
    with pytest.warns(GridfootWarning, match=r"zones.geojson: 1 invalid .* rows 0"):
        polygons = read_polygons(path)
    assert polygons.is_valid.all()
    assert shapely.area(np.asarray(polygons.geometry.array)).tolist() == pytest.approx([0.5, 1])
    assert polygons.geom_type.tolist() == ["MultiPolygon", "Polygon"]


def test_a_geodataframe_is_used_as_given():
    bow_tie = gpd.GeoDataFrame(
        geometry=[shapely.from_wkt("POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))")], crs=3035
    )
    assert read_polygons(bow_tie) is bow_tie  # the caller's object, unchanged and unwarned
    with pytest.raises(InputFileError, match="the polygons: no CRS"):
        read_polygons(bow_tie.set_crs(None, allow_override=True))


@pytest.mark.parametrize(
    ("geometries", "members", "pattern"),
    [
        ([], {}, r"zones.geojson: holds no \(multi\)polygons \(no features at all\)"),
        ([{"type": "Point", "coordinates": [1, 2]}], {},
         r"zones.geojson: holds no \(multi\)polygons \(only 1 Point feature\(s\)\)"),
        ([{"type": "Polygon", "coordinates": [[[0, 0], [5e5, 0], [5e5, 4e6], [0, 0]]]}], {},
         r"zones.geojson: coordinates reach x 500000, y 4e\+06, outside longitude/latitude, "
         r"but the CRS is EPSG:4326"),
    ],
    ids=["empty", "points", "metres"],
)  # fmt: skip
def test_polygon_files_that_cannot_be_used_are_named(tmp_path, geometries, members, pattern):
    path = _geojson(tmp_path / "zones.geojson", geometries, **members)
    with pytest.raises(InputFileError, match=pattern):
        read_polygons(path)


def test_metres_with_their_crs_member_are_read(tmp_path):
    square = {"type": "Polygon", "coordinates": [[[0, 0], [2e4, 0], [2e4, 2e4], [0, 2e4], [0, 0]]]}
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3035"}}
    polygons = read_polygons(_geojson(tmp_path / "zones.geojson", [square], crs=crs))
    assert polygons.crs.to_epsg() == 3035
    assert float(polygons.area.iloc[0]) == 4e8


def test_files_without_crs_or_geometries_are_named(tmp_path):
    with pytest.warns(UserWarning, match="crs"):  # pyogrio: writing without a CRS
        PROVINCES.set_crs(None, allow_override=True).to_file(tmp_path / "zones.shp")
    (tmp_path / "zones.prj").unlink(missing_ok=True)
    with pytest.raises(InputFileError, match=r"zones.shp: no CRS"):
        read_polygons(tmp_path / "zones.shp")
    (tmp_path / "zones.csv").write_text("name,lon,lat\nA,1,2\n")
    with pytest.raises(InputFileError, match=r"zones.csv: holds a table without geometries"):
        read_polygons(tmp_path / "zones.csv")
    (tmp_path / "zones.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputFileError, match=r"zones.parquet: not a vector file"):
        read_polygons(tmp_path / "zones.parquet")


def test_a_missing_name_column_names_the_file(tmp_path):
    path = tmp_path / "zones.geojson"
    PROVINCES.to_file(path)
    layer = Grid.from_bounds((0, 0, 30_000, 20_000), 3035).wrap(np.ones((2, 3)))
    with pytest.raises(LabelError, match=r"zones.geojson: no column 'province'.*columns: name"):
        zonal_totals(layer, named(read_polygons(path), "province"))


def test_overlapping_regions_warn_once_naming_pairs_and_area():
    from shapely import box

    from gridfoot.errors import GridfootWarning
    from gridfoot.hotspots.zonal import warn_overlaps

    frame = gpd.GeoDataFrame(
        {"code": ["A", "B", "C", "A"]},
        geometry=[
            box(0, 0, 10_000, 10_000),
            box(5_000, 0, 15_000, 10_000),  # half of A: 50 km2
            box(10_000, 0, 20_000, 10_000),  # replaced below: a sliver beside B
            box(0, 10_000, 10_000, 20_000),
        ],
        crs="EPSG:3035",
    )
    frame.loc[2, "geometry"] = box(14_999.999, 0, 25_000, 10_000)
    with pytest.warns(GridfootWarning, match=r"f.gpkg: .* 1 pair\(s\) .* \(code\)") as caught:
        warn_overlaps(frame, "code", "f.gpkg")
    assert len(caught) == 1
    assert "A and B (50 km2, 50% of the smaller)" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_overlaps(frame.iloc[[0, 2, 3]], "code", "f.gpkg")  # touching only: quiet
