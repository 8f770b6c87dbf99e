"""Zones and their coverage on a 4 x 4 grid whose answers are worked out by hand.

Grid: 4 x 4 cells of 10 km in EPSG:3035 from (0, 0) to (40 km, 40 km); row 0 in the north.

Zones:
    W = x 0..15 km, every row: column 0 whole, column 1 half.
    E = two parts: x 25..40 km, y 20..40 km (rows 0-1: column 2 half, column 3 whole) and
        x 30..40 km, y 0..10 km (row 3, column 3 whole).

Coverage (share of each cell)::

    W  1  .5  0  0      E  0  0  .5  1      land  1  .5  .5  1
       1  .5  0  0         0  0  .5  1            1  .5  .5  1
       1  .5  0  0         0  0  0   0            1  .5  0   0
       1  .5  0  0         0  0  0   1            1  .5  0   1
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, box

from gridfoot.errors import GridError, GridfootWarning, InputFileError, LabelError
from gridfoot.spatial import Grid, ZoneCoverage, Zones, load_coverage
from gridfoot.spatial.zones import as_coverage

CRS = "EPSG:3035"
W = np.array([[1, 0.5, 0, 0]] * 4)
E = np.array([[0, 0, 0.5, 1], [0, 0, 0.5, 1], [0, 0, 0, 0], [0, 0, 0, 1]])
LAND = W + E


def grid() -> Grid:
    return Grid.from_bounds((0, 0, 40_000, 40_000), CRS)


def frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["W", "E", "E"], "name": ["West", "East", "East"]},
        geometry=[
            box(0, 0, 15_000, 40_000),
            box(25_000, 20_000, 40_000, 40_000),
            box(30_000, 0, 40_000, 10_000),
        ],
        crs=CRS,
    )


def zones() -> Zones:
    return Zones.from_frame(frame(), label="code", name="name", source="provinces.geojson")


# ------------------------------------------------------------------------------ zones
def test_zones_from_a_frame_hold_labels_names_and_polygons():
    made = zones()
    assert made.labels.tolist() == ["W", "E", "E"]  # one per polygon
    assert made.zones.tolist() == ["W", "E"]  # one per zone, in order of appearance
    assert dict(made.names) == {"W": "West", "E": "East"}
    assert len(made) == 2 and len(made.polygons) == 3
    assert made.source == "provinces.geojson" and made.column == "code"
    assert repr(made) == (
        "<Zones: 2 zones (W West, E East) from 3 polygons of provinces.geojson, label 'code'>"
    )
    with pytest.raises(TypeError):
        made.names["W"] = "Elsewhere"  # read-only, like the frozen object holding it


def test_labels_default_to_the_index_and_names_to_the_labels():
    series = frame().set_index("code").geometry
    made = Zones.from_frame(series)
    assert made.zones.tolist() == ["W", "E"]
    assert dict(made.names) == {"W": "W", "E": "E"}
    assert made.source == "the polygons" and made.column is None
    numbered = Zones.from_frame(frame())
    assert numbered.zones.tolist() == ["0", "1", "2"]  # labels are text


def test_a_frame_read_from_a_file_is_named_in_messages():
    read = frame()
    read.attrs["source"] = "boundaries/provinces.geojson"
    with pytest.raises(LabelError, match=r"boundaries/provinces\.geojson: no column 'gb'"):
        Zones.from_frame(read, label="gb")


def test_unusable_frames_are_refused_naming_source_and_column():
    with pytest.raises(LabelError) as error:
        Zones.from_frame(frame(), label="gb", source="p.gpkg")
    assert str(error.value) == (
        "p.gpkg: no column 'gb' to label the zones (label=); columns: code, name"
    )
    with pytest.raises(LabelError, match=r"p.gpkg: no column 'nom' to name the zones \(name=\)"):
        Zones.from_frame(frame(), label="code", name="nom", source="p.gpkg")
    missing = frame().assign(code=["W", None, ""])
    with pytest.raises(LabelError, match=r"p.gpkg: 2 polygon\(s\) have no code value: rows 1, 2"):
        Zones.from_frame(missing, label="code", source="p.gpkg")
    unnamed = frame().assign(name=["West", np.nan, "East"])
    with pytest.raises(LabelError, match=r"1 polygon\(s\) have no name value: rows 1"):
        Zones.from_frame(unnamed, label="code", name="name")
    clash = frame().assign(name=["West", "East", "Far East"])
    several = r"p.gpkg: .* several names in column 'name': E \(East, Far East\)"
    with pytest.raises(LabelError, match=several):
        Zones.from_frame(clash, label="code", name="name", source="p.gpkg")
    with pytest.raises(InputFileError, match=r"p\.gpkg: no CRS"):
        Zones.from_frame(frame().set_crs(None, allow_override=True), source="p.gpkg")
    with pytest.raises(GridError, match="got DataFrame"):
        Zones.from_frame(pd.DataFrame(frame().drop(columns="geometry")))
    with pytest.raises(GridError, match="got str; read a file with"):
        Zones.from_frame("provinces.geojson")


def test_features_that_are_not_polygons_are_dropped_with_a_warning():
    border = gpd.GeoDataFrame(
        {"code": ["line"]}, geometry=[LineString([(15_000, 0), (15_000, 40_000)])], crs=CRS
    )
    with pytest.warns(GridfootWarning, match=r"1 feature\(s\) that are not polygons"):
        made = Zones.from_frame(pd.concat([frame(), border], ignore_index=True), label="code")
    assert made.zones.tolist() == ["W", "E"]
    with pytest.raises(InputFileError, match=r"no \(multi\)polygons \(only 1 LineString"):
        Zones.from_frame(border, label="code")


def test_hand_built_zones_are_checked():
    with pytest.raises(LabelError, match="3 labels for 2 polygons"):
        Zones(frame().iloc[:2], pd.Index(["W", "E", "E"]), {"W": "W", "E": "E"})
    with pytest.raises(LabelError, match=r"zone\(s\) E have no name"):
        Zones(frame(), pd.Index(["W", "E", "E"]), {"W": "West"})


# --------------------------------------------------------------------------- coverage
def test_coverage_by_hand():
    coverage = zones().coverage(grid())
    assert isinstance(coverage, ZoneCoverage)
    assert coverage.labels.tolist() == ["W", "E"] and coverage.names.tolist() == ["West", "East"]
    assert coverage.matrix.shape == (2, 16)
    np.testing.assert_allclose(coverage.matrix.toarray(), np.stack([W.ravel(), E.ravel()]))
    np.testing.assert_allclose(coverage.land, LAND)
    np.testing.assert_allclose(coverage.cells("E"), E.ravel())
    assert coverage.grid == grid()
    assert "2 zones (West, East), 13 covered cells" in repr(coverage)
    with pytest.raises(LabelError, match="no zone 'N'; the zones: W, E"):
        coverage.cells("N")


def test_parts_of_a_zone_add_up_to_at_most_the_whole_cell():
    # parts of a zone are added, as they always were (they should not overlap: the run warns
    # about overlapping regions); a cell never holds more than its whole area of land
    twice = gpd.GeoDataFrame(
        {"code": ["X", "X"]}, geometry=[box(0, 0, 15_000, 40_000)] * 2, crs=CRS
    )
    coverage = Zones.from_frame(twice, label="code").coverage(grid())
    np.testing.assert_allclose(coverage.matrix.toarray()[0], 2 * W.ravel())
    np.testing.assert_allclose(coverage.cells("X"), np.minimum(2 * W, 1).ravel())
    np.testing.assert_allclose(coverage.land, np.minimum(2 * W, 1))


def test_land_fraction_from_zones_or_their_coverage():
    coverage = zones().coverage(grid())
    np.testing.assert_allclose(grid().with_land(coverage).land, LAND)
    np.testing.assert_allclose(grid().with_land(zones()).land, LAND)
    np.testing.assert_allclose(grid().with_land(frame()).land, LAND)  # via Zones.from_frame
    fitted = Grid.for_boundaries(zones(), crs=CRS)
    assert fitted == grid()
    np.testing.assert_allclose(fitted.land, LAND)
    bare = Grid.for_boundaries(zones(), crs=CRS, land=False)
    assert bare == grid() and bare.land is None
    other = Grid.from_bounds((0, 0, 50_000, 40_000), CRS)
    with pytest.raises(GridError, match="belongs to another grid"):
        other.with_land(coverage)
    with pytest.raises(GridError, match="belongs to another grid"):
        as_coverage(coverage, other)
    assert as_coverage(coverage, grid()) is coverage


def test_a_cell_split_between_zones_is_whole_land():
    # thirds do not add up to 1 in floating point; the cell is land all the same
    cuts = [0, 10_000 / 3, 20_000 / 3, 10_000]
    thirds = gpd.GeoDataFrame(
        {"code": ["a", "b", "c"]},
        geometry=[box(cuts[i], 0, cuts[i + 1], 10_000) for i in range(3)],
        crs=CRS,
    )
    one = Grid.from_bounds((0, 0, 10_000, 10_000), CRS)
    coverage = Zones.from_frame(thirds, label="code").coverage(one)
    assert coverage.land.tolist() == [[1.0]]


def test_totals_and_weights_by_hand():
    coverage = zones().coverage(grid())
    values = np.arange(16.0).reshape(4, 4)
    # every cell counted as land: a zone takes its share of the cell's area
    totals, outside = coverage.totals(values)
    west = (W * values).sum()  # 0+4+8+12 + 0.5 (1+5+9+13) = 38
    east = (E * values).sum()  # 0.5 (2+6) + 3+7+15 = 29
    assert totals.tolist() == [west, east] == [38.0, 29.0]
    assert float(outside) == values.sum() - 67.0
    # with the zones' own land fraction a zone takes its share of the cell's land: all of it
    totals, outside = coverage.totals(values, coverage.land)
    assert totals.tolist() == [
        values[:, :2].sum(),
        values[0, 2] + values[0, 3] + values[1, 2] + values[1, 3] + values[3, 3],
    ]
    assert float(outside) == values[2, 2] + values[2, 3] + values[3, 2]
    weights = coverage.weights(coverage.land).toarray()
    np.testing.assert_allclose(weights.sum(axis=0), (LAND > 0).ravel())
    # several layers at once, NaN as nothing
    stack = np.stack([values, np.where(values == 0, np.nan, 1.0)])
    totals, outside = coverage.totals(stack)
    assert totals.shape == (2, 2) and outside.shape == (2,)
    assert totals[1].tolist() == [W.sum() - 1, E.sum()]


def test_overlap_of_groups_of_cells_by_hand():
    coverage = zones().coverage(grid())
    values = np.full((4, 4), 2.0)
    groups = np.zeros((4, 4), dtype=int)
    groups[0, 1:3] = 1  # W's half cell and E's half cell
    groups[3, 0] = 2  # W only
    everywhere = coverage.overlap(values, groups)  # by area: half of each cell is sea
    assert everywhere.tolist() == [[1.0, 2.0], [1.0, 0.0]]
    on_land = coverage.overlap(values, groups, coverage.land)  # by land: each cell whole
    assert on_land.tolist() == [[2.0, 2.0], [2.0, 0.0]]
    assert coverage.overlap(values, np.zeros((4, 4), dtype=int)).shape == (2, 0)


@pytest.mark.parametrize("name", ["coverage.nc", "coverage.zarr"])
def test_save_and_load_round_trip(tmp_path, name):
    coverage = zones().coverage(grid().with_land(zones()))
    again = load_coverage(coverage.save(tmp_path / name))
    assert again.grid == coverage.grid
    np.testing.assert_array_equal(again.grid.land, LAND)
    assert again.labels.tolist() == ["W", "E"] and again.names.tolist() == ["West", "East"]
    assert (again.matrix != coverage.matrix).nnz == 0
    np.testing.assert_array_equal(again.land, coverage.land)
    bare = zones().coverage(grid())  # a grid without land stays without
    assert load_coverage(bare.save(tmp_path / f"bare_{name}")).grid.land is None


def test_load_refuses_other_files(tmp_path):
    path = tmp_path / "other.nc"
    grid().wrap(np.zeros((4, 4)), name="other").to_dataset().to_netcdf(path)
    with pytest.raises(GridError, match="not a gridfoot zone coverage file"):
        load_coverage(path)


def test_a_coverage_must_fit_its_grid():
    coverage = zones().coverage(grid())
    with pytest.raises(GridError, match=r"needs a matrix of shape \(2, 20\)"):
        ZoneCoverage(
            Grid.from_bounds((0, 0, 50_000, 40_000), CRS),
            coverage.labels,
            coverage.names,
            coverage.matrix,
        )
