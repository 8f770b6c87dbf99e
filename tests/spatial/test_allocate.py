"""Allocation weights, map and the lazy cube on the hand-computed 4 x 4 fixture (conftest.py)."""

from __future__ import annotations

import warnings

import dask.array as dsa
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfoot.errors import (
    GridError,
    GridfootWarning,
    LabelError,
    UnplacedError,
    UnplacedWarning,
    ValueCheckError,
)
from gridfoot.spatial.allocate import allocate, load_allocation, unit_factor
from gridfoot.spatial.sources import read_sources
from gridfoot.spatial.zones import Zones

CRS = "EPSG:3035"

EXPECTED_C_ELE = np.array(
    [
        [6.0, 0, 0, 0],  # A/ele 16 x 3/8 (p1)
        [0, 2.0, 0.5, 0.5],  # A/ele 16 x 1/8 (p2); B/ele 5 x 0.5/5 in B's half cells
        [0, 8.0, 1.0, 1.0],  # A/ele 16 x 4/8 (p3, on a corner: the SE cell); B/ele 5 x 1/5
        [0, 0, 1.0, 1.0],
    ]
)
EXPECTED_C_MAN = np.array(
    [
        [1.0, 1, 0, 0],  # A/man 8 spread evenly over A's 8 cells (no points)
        [1.0, 1, 0, 0],
        [1.0, 1, 10, 0],  # B/man 20: half at p5; p6 is off the grid, its share follows
        [1.0, 1, 0, 10],  # the other half at p4, on the grid's SE corner
    ]
)


def fixture_sources(points, **options):
    return read_sources(
        points,
        lon="x",
        lat="y",
        crs=CRS,
        region="region",
        sector="sector",
        weight="co2",
        id="name",
        **options,
    )


@pytest.fixture
def sources(points):
    return fixture_sources(points)


@pytest.fixture
def allocation(sources, grid, driven, zones):
    with pytest.warns(UnplacedWarning, match="1 point"):
        return allocate(sources, grid, driven, zones=zones)


def test_hand_computed_weights_and_report(allocation):
    assert allocation.regions.tolist() == ["A", "B"]
    assert list(allocation.producers) == [("A", "ele"), ("A", "man"), ("B", "ele"), ("B", "man")]
    P = allocation.weights.toarray()
    assert np.allclose(P.sum(axis=1), 1)
    assert np.allclose(P[0, [0, 5, 9]], [3 / 8, 1 / 8, 4 / 8])
    assert np.allclose(P[1].reshape(4, 4), np.repeat([[1, 1, 0, 0]], 4, axis=0) / 8)
    assert np.allclose(P[2].reshape(4, 4)[1:, 2:], [[0.1, 0.1], [0.2, 0.2], [0.2, 0.2]])
    assert np.allclose(P[3, [10, 15]], [0.5, 0.5])
    report = allocation.report
    assert report["method"].tolist() == ["points", "land", "land", "points"]
    assert report["emissions"].tolist() == [80, 16, 10, 50]
    assert report["points"].tolist() == [3, 0, 0, 2]
    assert report["unplaced_points"].tolist() == [0, 0, 0, 1]
    assert report["fallback"].tolist() == [0, 16, 10, 0]
    assert report["reassigned"].tolist() == pytest.approx([0, 0, 0, 10])  # 50 x 1/5
    assert report["unplaced"].sum() == 0
    assert report["on_grid"].tolist() == [80, 16, 10, 50]
    lost = allocation.unplaced
    assert lost[["id", "reason"]].values.tolist() == [["p6", "outside the grid"]]
    assert lost["tonnes"].tolist() == pytest.approx([10])
    assert "mode mrio" in repr(allocation)


def test_hand_computed_cube_and_map(allocation, driven):
    cube = allocation.cube(driven)
    assert isinstance(cube.data, dsa.Array)
    assert cube.dims == ("destination", "sector", "y", "x")
    assert cube.attrs["units"] == "t"
    assert cube.rio.crs.to_epsg() == 3035
    values = cube.sel(destination="C").values
    assert np.allclose(values[0], EXPECTED_C_ELE)
    assert np.allclose(values[1], EXPECTED_C_MAN)
    foreign = driven.sel(destination="C").sum("category")
    grid_map = allocation.map(foreign)
    assert grid_map.dims == ("y", "x")
    assert np.allclose(grid_map.values, EXPECTED_C_ELE + EXPECTED_C_MAN)
    by_sector = allocation.map(foreign.transpose("sector", "region"))
    assert by_sector.dims == ("y", "x")  # dims are found by name, in any order
    per_sector = allocation.map(driven.sum("category"))
    assert per_sector.dims == ("destination", "y", "x")
    assert np.allclose(per_sector.values, cube.sum("sector").values)
    # the same layers made two at a time when used (a run need not hold them all)
    lazy = allocation.map(driven.sum("category"), chunk_layers=2)
    assert isinstance(lazy.data, dsa.Array) and lazy.data.chunks[0] == (2, 1)
    np.testing.assert_array_equal(lazy.values, per_sector.values)
    assert lazy.rio.crs.to_epsg() == 3035 and lazy.attrs == per_sector.attrs


def test_map_and_cube_refuse_unusable_values(allocation, driven):
    with pytest.raises(LabelError, match="need dims region and sector"):
        allocation.map(driven.sum("sector"))
    with pytest.raises(ValueCheckError, match="NaN"):
        allocation.map(driven.where(driven > 40))
    with pytest.raises(LabelError, match="gas"):
        allocation.map(driven.assign_coords(sector=["ele", "gas"]))
    with pytest.raises(LabelError, match="destination"):
        allocation.cube(driven.sum("destination"))
    with pytest.raises(LabelError, match="no 'category'"):
        allocation.cube(driven.sum("category"), keep_category=True)


def test_cube_keeps_categories_and_chunks_along_destination(allocation, driven):
    kept = allocation.cube(driven, keep_category=True)
    assert kept.dims == ("destination", "sector", "category", "y", "x")
    assert np.allclose(kept.sum("category").values, allocation.cube(driven).values)
    small = allocation.cube(driven, chunk_bytes=2 * 16 * 8)  # two 4 x 4 layers a chunk
    assert small.chunks[0] == (1, 1, 1) and small.chunks[1] == (2,)
    assert small.chunks[2:] == ((4,), (4,))
    tiny = allocation.cube(driven, chunk_bytes=1)  # a layer a chunk: sectors split too
    assert tiny.chunks[:2] == ((1, 1, 1), (1, 1))
    assert np.array_equal(tiny.values, small.values)


def test_conservation_for_every_producer_destination_category(allocation, driven):
    for region in ["A", "B"]:
        only = driven.where(driven.region == region, 0.0)
        sums = allocation.cube(only, keep_category=True).sum(["y", "x"])
        expected = driven.sel(region=region).transpose("destination", "sector", "category")
        assert np.allclose(sums.values, expected.values, rtol=1e-12, atol=0)


def test_placement_by_hand_on_the_four_by_four_fixture(grid, zones, points, driven):
    """A/ele 80 t on points; A/man 16 t and B/ele 10 t over land; B/man 50 t on points (10 t of
    it reassigned from p6, off the grid). Destination C (foreign) drives 16 + 8 + 5 + 20."""
    sources = fixture_sources(points)
    with pytest.warns(UnplacedWarning, match="1 point"):
        allocation = allocate(sources, grid, driven, zones=zones)
    whole = allocation.placement()
    assert whole["on_points"].tolist() == [80, 0, 0, 50]
    assert whole["fallback"].tolist() == [0, 16, 10, 0]
    assert whole["unplaced"].sum() == 0
    foreign = allocation.placement(driven.sel(destination="C"))
    assert foreign["on_points"].tolist() == pytest.approx([16, 0, 0, 20])
    assert foreign["fallback"].tolist() == pytest.approx([0, 8, 5, 0])
    assert allocation.report.loc[("B", "man"), "reassigned"] == pytest.approx(10)
    assert allocation.unplaced["outcome"].tolist() == ["reassigned to the producer's placed points"]


def test_inventory_mode_by_hand(points, grid, driven, zones):
    in_kg = points.assign(co2=points["co2"] * 1000)
    sources = fixture_sources(in_kg, units="kg")
    with pytest.warns(UnplacedWarning, match=r"1 t of 1 producer"):
        allocation = allocate(sources, grid, driven, zones=zones, mode="inventory")
    report = allocation.report
    assert report["on_grid"].tolist() == pytest.approx([8, 16, 10, 4])  # points: 8 t and 4 t
    assert report["unplaced"].tolist() == pytest.approx([0, 0, 0, 1])  # p6's own tonne
    assert report["reassigned"].sum() == 0
    assert allocation.unplaced["tonnes"].tolist() == pytest.approx([1])
    values = allocation.cube(driven).sel(destination="C").values
    # Each point keeps its emission, split by its producer's shares driven / F:
    # A/ele: 16/80 -> p1 0.6, p2 0.2, p3 0.8; B/man: 20/50 -> p4 0.8, p5 0.8.
    expected_ele = EXPECTED_C_ELE.copy()
    expected_ele[0, 0], expected_ele[1, 1], expected_ele[2, 1] = 0.6, 0.2, 0.8
    expected_man = EXPECTED_C_MAN.copy()
    expected_man[2, 2] = expected_man[3, 3] = 0.8
    assert np.allclose(values[0], expected_ele)
    assert np.allclose(values[1], expected_man)
    # Conservation: points' emissions x shares for every destination and category.
    only = driven.sel(region=["A"], sector=["ele"])
    sums = allocation.cube(only, keep_category=True).sum(["y", "x"]).sel(sector="ele")
    assert np.allclose(sums.values, 8 * only.squeeze().values / 80, rtol=1e-12)


def test_inventory_needs_mass_units(sources, grid, driven, zones):
    with pytest.raises(ValueCheckError, match="cannot convert"):
        allocate(sources, grid, driven, zones=zones, mode="inventory")
    assert unit_factor("Mt", "kt") == 1000
    assert unit_factor("kg", "t") == pytest.approx(1e-3)


def test_inventory_producer_without_mrio_emissions_is_unplaced(points, grid, driven, zones):
    sources = fixture_sources(points, units="t")
    zeroed = driven.where(~((driven.region == "A") & (driven.sector == "ele")), 0.0)
    with pytest.warns(UnplacedWarning, match="A/ele"):
        allocation = allocate(sources, grid, zeroed, zones=zones, mode="inventory")
    assert allocation.report.loc[("A", "ele"), "unplaced"] == 8
    assert allocation.report.loc[("A", "ele"), "method"] == "unplaced"


def test_single_region_falls_back_to_grid_land_and_proxy(points, grid, driven, zones):
    only_a = points[points["region"] == "A"]
    sources = fixture_sources(only_a)
    land = grid.with_land(zones)  # A and B
    allocation = allocate(sources, land, driven.sel(region=["A", "C"]))
    assert np.allclose(allocation.weights.toarray()[1].reshape(4, 4), land.land / land.land.sum())
    proxy = land.wrap(np.arange(16.0).reshape(4, 4))
    with_proxy = allocate(sources, land, driven.sel(region=["A", "C"]), proxy=proxy)
    expected = np.arange(16.0) * land.land.ravel()
    assert np.allclose(with_proxy.weights.toarray()[1], expected / expected.sum())
    assert with_proxy.report["method"].tolist() == ["points", "proxy"]
    by_sector = land.wrap(
        np.stack([np.zeros((4, 4)), np.eye(4)]), dims=["sector"], coords={"sector": ["ele", "man"]}
    )
    diagonal = allocate(sources, land, driven.sel(region=["A", "C"]), proxy=by_sector)
    assert np.allclose(diagonal.weights.toarray()[1].reshape(4, 4), np.eye(4) / 4)
    elsewhere = land.wrap(np.zeros((4, 4)))
    # the proxy is 0 over all of A's land: its producer is spread by land area, and told so
    with pytest.warns(GridfootWarning, match=r"0 over the whole land of region\(s\) A: 1 prod"):
        zero_proxy = allocate(sources, land, driven.sel(region=["A", "C"]), proxy=elsewhere)
    assert zero_proxy.report["method"].tolist() == ["points", "land"]


def test_fallback_of_many_regions_is_sparse_from_the_start(monkeypatch):
    import importlib

    import geopandas as gpd
    from shapely import box

    from gridfoot.spatial.grid import Grid
    from gridfoot.spatial.zones import ZoneCoverage

    # 60 regions, strips 20 km wide offset by 3 km (border cells split between two regions)
    # over 30 x 121 cells; each has a plant of sector "ele", none of "man": every region
    # falls back to its land for "man", and region R59 has no plant at all.
    n_regions, width = 60, 20_000
    grid = Grid.from_bounds((0, 0, 1_210_000, 300_000), CRS)
    labels = [f"R{r:02d}" for r in range(n_regions)]
    frame = gpd.GeoDataFrame(
        {"region": labels},
        geometry=[
            box(3_000 + r * width, 0, 3_000 + (r + 1) * width, 300_000) for r in range(n_regions)
        ],
        crs=CRS,
    )
    coverage = Zones.from_frame(frame, label="region").coverage(grid)
    plants = pd.DataFrame(
        {
            "x": 13_000 + width * np.arange(n_regions - 1),
            "y": 150_000.0,
            "region": labels[:-1],
            "sector": "ele",
            "co2": 1.0,
        }
    )
    sources = read_sources(
        plants, lon="x", lat="y", crs=CRS, region="region", sector="sector", weight="co2"
    )
    driven = xr.DataArray(
        np.ones((n_regions, 2, 1)),
        dims=("region", "sector", "destination"),
        coords={"region": labels, "sector": ["ele", "man"], "destination": ["A"]},
    )

    def dense(*args):
        raise AssertionError("the fallback built a dense array of the grid for a region")

    looked_up = []

    def cover(self, label):
        looked_up.append(label)
        return original_cover(self, label)

    original_cover = ZoneCoverage.cover
    monkeypatch.setattr(ZoneCoverage, "cells", dense)
    monkeypatch.setattr(ZoneCoverage, "cover", cover)
    allocate_module = importlib.import_module("gridfoot.spatial.allocate")
    fallback = allocate_module._fallback
    built = []
    monkeypatch.setattr(
        allocate_module, "_fallback", lambda *a: built.append(fallback(*a)) or built[-1]
    )
    allocation = allocate(sources, grid, driven, zones=coverage)

    report = allocation.report
    spread = (report["method"] == "land").to_numpy()
    assert spread.sum() == n_regions + 1  # every region's "man", and R59's "ele"
    assert sorted(looked_up) == labels  # each region's cells read once, sparse
    matrix = built[0][0]
    cells_of = np.diff(coverage.matrix.indptr)  # cells each region covers
    assert cells_of.min() > 0
    per_producer = np.diff(matrix.indptr)
    region_of = allocation.producers.get_level_values("region").map(labels.index)
    assert per_producer[spread].tolist() == cells_of[region_of[spread]].tolist()
    assert matrix.nnz == coverage.matrix.nnz + cells_of[-1]  # R59 twice, the others once
    assert np.flatnonzero(per_producer).tolist() == np.flatnonzero(spread).tolist()
    # the weights: share of each cell in the region x cell area, normalised
    share = coverage.matrix.toarray()
    expected = share[region_of[spread]] / share[region_of[spread]].sum(axis=1, keepdims=True)
    assert np.allclose(allocation.weights.toarray()[spread], expected, rtol=1e-12, atol=0)


def test_proxy_checks(sources, grid, driven, zones):
    from gridfoot.spatial.grid import Grid

    other = Grid.from_bounds((0, 0, 50_000, 40_000), CRS)
    with pytest.raises(GridError, match="not on the allocation's grid"):
        allocate(sources, grid, driven, zones=zones, proxy=other.wrap(np.ones((4, 5))))
    with pytest.raises(ValueCheckError, match=">= 0: 16 cell"):
        allocate(sources, grid, driven, zones=zones, proxy=grid.wrap(-np.ones((4, 4))))
    infinite = np.ones((4, 4))
    infinite[0, 0] = np.inf
    with pytest.raises(ValueCheckError, match=r"1 cell\(s\) infinite"):
        allocate(sources, grid, driven, zones=zones, proxy=grid.wrap(infinite))


def test_inventory_far_from_the_mrio_warns_with_both_totals(points, grid, driven, zones):
    # the weights are tonnes, declared kg: 0.013 t against the MRIO's 130 t of A/ele, B/man
    sources = fixture_sources(points, units="kg")
    expected = r"hold 0.013 t .* 'kg'.* 2 producer.* 130 t"
    with pytest.warns(GridfootWarning, match=expected), warnings.catch_warnings():
        warnings.simplefilter("ignore", UnplacedWarning)
        allocate(sources, grid, driven, zones=zones, mode="inventory")
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridfootWarning)
        warnings.simplefilter("ignore", UnplacedWarning)  # p6, off the grid
        allocate(fixture_sources(points, units="t"), grid, driven, zones=zones, mode="inventory")


def test_no_polygon_for_several_regions_leaves_producers_unplaced(sources, grid, driven):
    with pytest.warns(UnplacedWarning, match="26 t of 2 producer"):
        allocation = allocate(sources, grid, driven)
    assert allocation.report.loc[("A", "man"), "method"] == "unplaced"
    assert allocation.report.loc[("B", "ele"), "unplaced"] == 10
    assert allocation.weights[1].nnz == 0
    with pytest.warns(UnplacedWarning, match="no cells"):
        allocation.map(driven.sum(["destination", "category"]))
    with pytest.raises(UnplacedError):
        allocate(sources, grid, driven, unplaced="raise")


def test_unknown_labels_raise_or_are_reported(points, grid, driven, regions, zones):
    odd = points.assign(sector=["ele", "ele", "gas", "man", "man", "man"])
    sources = fixture_sources(odd)
    with pytest.raises(LabelError, match="A/gas"):
        allocate(sources, grid, driven, zones=zones)
    with pytest.warns(UnplacedWarning, match="2 point"):
        allocation = allocate(sources, grid, driven, zones=zones, invalid="report")
    assert set(allocation.unplaced["reason"]) == {
        "outside the grid",
        "region or sector not in the footprint",
    }
    # p3's weight left the producer: A/ele now spreads 3/4 and 1/4.
    assert np.allclose(allocation.weights.toarray()[0, [0, 5]], [0.75, 0.25])
    elsewhere = Zones.from_frame(regions.assign(region=["A", "Z"]), label="region", source="r.gpkg")
    with pytest.raises(LabelError, match=r"the zones of r.gpkg name region\(s\) Z that are not in"):
        allocate(sources, grid, driven, zones=elsewhere)
    with pytest.raises(LabelError, match=r"regions: no column 'name' to label the zones"):
        allocate(sources, grid, driven, zones=Zones.from_frame(regions, "name", source="regions"))


def test_a_sector_its_region_lacks_is_not_in_the_footprint(points, grid, driven, zones):
    # a footprint of a table whose region B has no "ele" sector (sector lists differ by region)
    data = driven.where(~((driven.region == "B") & (driven.sector == "ele")), 0.0)
    footprint = xr.Dataset(
        {
            "driven": data,
            "is_producer": (("region", "sector"), [[True, True], [False, True], [True, True]]),
        }
    )
    odd = fixture_sources(points.assign(sector=["ele", "ele", "ele", "man", "ele", "man"]))
    with pytest.raises(LabelError, match=r"a sector of a region that lacks it.*B/ele"):
        allocate(odd, grid, footprint, zones=zones)


def test_stressor_selection(sources, grid, driven, zones):
    two = xr.concat([driven, driven * 2], dim=pd.Index(["CO2", "CH4"], name="stressor"))
    with pytest.raises(LabelError, match="choose one"):
        allocate(sources, grid, two, zones=zones)
    with pytest.warns(UnplacedWarning):
        allocation = allocate(sources, grid, two, zones=zones, stressor="CH4")
    assert allocation.report["emissions"].tolist() == [160, 32, 20, 100]
    with pytest.raises(LabelError, match="choose one"):
        allocation.cube(two)
    cube = allocation.cube(two, stressor="CO2")
    assert np.allclose(cube.sel(destination="C").values[0], EXPECTED_C_ELE)


def test_footprint_dataset_and_swapped_coordinates(grid):
    from gridfoot.datasets import textbook_mrio
    from gridfoot.mrio import footprint
    from gridfoot.spatial.grid import Grid

    fp = footprint(textbook_mrio())
    # Degrees: a grid over Germany in LAEA, points given lat-first by mistake.
    germany = Grid.from_bounds((4_000_000, 2_700_000, 4_600_000, 3_500_000), CRS)
    table = pd.DataFrame({"lon": [51.0, 52.5, 48.1], "lat": [10.0, 13.4, 11.6], "w": [1.0, 1, 1]})
    swapped = read_sources(table, weight="w", sector_value="goods", region_value="A")
    with pytest.raises(ValueCheckError, match="swapped"):
        allocate(swapped, germany, fp)
    right = read_sources(
        table.rename(columns={"lon": "lat", "lat": "lon"}),
        weight="w",
        sector_value="goods",
        region_value="A",
    )
    allocation = allocate(right, germany, fp)
    cube = allocation.cube(fp)
    sums = cube.sum(["y", "x"]).sel(sector="goods").values
    assert np.allclose(sums, fp.driven.sel(region="A").sum("category").squeeze().values)


def test_save_and_load_round_trip(allocation, driven, tmp_path):
    for name in ("weights.nc", "weights.zarr"):
        path = allocation.save(tmp_path / name)
        again = load_allocation(path)
        assert again.grid == allocation.grid
        assert np.array_equal(again.grid.land, allocation.grid._land)
        assert (again.weights != allocation.weights).nnz == 0
        assert again.mode == "mrio" and again.units == "t"
        pd.testing.assert_frame_equal(again.report, allocation.report, check_dtype=False)
        assert again.unplaced["id"].tolist() == ["p6"]
        assert np.array_equal(again.cube(driven).values, allocation.cube(driven).values)
    with pytest.raises(GridError, match="not a gridfoot allocation"):
        load_allocation(
            allocation.grid.wrap(np.zeros((4, 4)), name="other")
            .to_dataset()
            .pipe(lambda d: (d.to_netcdf(tmp_path / "other.nc"), tmp_path / "other.nc")[1])
        )


# --------------------------------------------------------------------------- properties
@st.composite
def problems(draw):
    """A random small grid cut into region strips, points (some on edges or off the grid),
    and a footprint with negative entries; everything a reference can recompute by hand."""
    nx, ny = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    n_regions = draw(st.integers(1, 3))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, nx * 4 - 1),
                min_size=n_regions - 1,
                max_size=n_regions - 1,
                unique=True,
            )
        )
    )
    edges = [0.0, *(c * 250.0 for c in cuts), nx * 1000.0]
    n_sectors, n_dest, n_cat = (draw(st.integers(1, 3)) for _ in range(3))
    n_points = draw(st.integers(1, 25))
    coordinate = st.one_of(
        st.floats(-300, 5_300, allow_nan=False), st.integers(-1, 11).map(lambda k: k * 500.0)
    )
    xs = draw(st.lists(coordinate, min_size=n_points, max_size=n_points))
    ys = draw(st.lists(coordinate, min_size=n_points, max_size=n_points))
    weight = st.one_of(st.just(0.0), st.floats(0.001, 1_000))
    driven = draw(
        st.lists(
            # no subnormal emissions (2e-313 t): inventory mode's points / emissions overflows
            st.floats(-50, 500, allow_subnormal=False),
            min_size=(n_regions + 1) * n_sectors * n_dest * n_cat,
            max_size=(n_regions + 1) * n_sectors * n_dest * n_cat,
        )
    )
    return {
        "shape": (ny, nx),
        "edges": edges,
        "points": pd.DataFrame(
            {
                "x": np.array(xs, dtype=float),
                "y": np.array(ys, dtype=float) * ny / 5,
                "region": [f"R{draw(st.integers(0, n_regions - 1))}" for _ in range(n_points)],
                "sector": [f"S{draw(st.integers(0, n_sectors - 1))}" for _ in range(n_points)],
                "w": draw(st.lists(weight, min_size=n_points, max_size=n_points)),
            }
        ),
        "driven": np.array(driven).reshape(n_regions + 1, n_sectors, n_dest, n_cat),
        "mode": draw(st.sampled_from(["mrio", "inventory"])),
    }


def reference_cube(problem) -> np.ndarray:
    """(destination, sector, category, y, x) straight from the points, cell by cell."""
    ny, nx = problem["shape"]
    driven, points, edges = problem["driven"], problem["points"], problem["edges"]
    n_regions, n_sectors, n_dest, n_cat = driven.shape[0] - 1, *driven.shape[1:]
    out = np.zeros((n_dest, n_sectors, n_cat, ny, nx))
    col = np.where(points["x"] == nx * 1000, nx - 1, np.floor(points["x"] / 1000)).astype(int)
    row = np.where(points["y"] == 0, ny - 1, np.floor((ny * 1000 - points["y"]) / 1000))
    row = row.astype(int)
    on_grid = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    for r in range(n_regions):
        for s in range(n_sectors):
            values = driven[r, s]  # (destination, category)
            total = values.sum()
            mine = on_grid & (points["region"] == f"R{r}") & (points["sector"] == f"S{s}")
            placed = points["w"][mine].sum()
            if placed > 0:
                for i in np.flatnonzero(mine):
                    if problem["mode"] == "mrio":
                        share = points["w"][i] / placed
                    else:
                        share = points["w"][i] / total if total != 0 else 0.0
                    out[:, s, :, row[i], col[i]] += values * share
            elif total != 0:
                # Fallback: the strip's share of each column, the same in every row.
                left, right = edges[r], edges[r + 1]
                columns = np.arange(nx) * 1000.0
                overlap = np.clip(
                    np.minimum(columns + 1000, right) - np.maximum(columns, left), 0, None
                )
                land = np.tile(overlap, (ny, 1))
                out[:, s] += values[..., None, None] * land / land.sum()
    return out


@settings(max_examples=40, deadline=None)
@given(problems())
def test_conservation_and_lazy_cube_equal_an_independent_dense_reference(problem):
    import geopandas as gpd
    from shapely import box

    from gridfoot.spatial.grid import Grid

    ny, nx = problem["shape"]
    driven = problem["driven"]
    n_regions, n_sectors, n_dest, n_cat = driven.shape[0] - 1, *driven.shape[1:]
    grid = Grid.from_bounds((0, 0, nx * 1000, ny * 1000), CRS, 1000)
    edges = problem["edges"]
    strips = gpd.GeoDataFrame(
        {"region": [f"R{r}" for r in range(n_regions)]},
        geometry=[box(edges[r], 0, edges[r + 1], ny * 1000) for r in range(n_regions)],
        crs=CRS,
    )
    footprint = xr.DataArray(
        driven,
        dims=("region", "sector", "destination", "category"),
        coords={
            "region": [f"R{r}" for r in range(n_regions)] + ["foreign"],
            "sector": [f"S{s}" for s in range(n_sectors)],
            "destination": [f"D{d}" for d in range(n_dest)],
            "category": [f"K{k}" for k in range(n_cat)],
        },
        attrs={"units": "t"},
    )
    with warnings.catch_warnings():
        # random data: unplaced points, extreme weights, inventories far from the MRIO
        warnings.simplefilter("ignore", GridfootWarning)
        sources = read_sources(
            problem["points"],
            lon="x",
            lat="y",
            crs=CRS,
            region="region",
            sector="sector",
            weight="w",
            units="t",
            invalid="report",  # every weight 0 is set aside: the producers fall back to land
        )
        allocation = allocate(
            sources,
            grid,
            footprint,
            zones=Zones.from_frame(strips, label="region"),
            mode=problem["mode"],
        )
        cube = allocation.cube(footprint, keep_category=True, chunk_bytes=nx * ny * n_cat * 8)
        grid_map = allocation.map(footprint.sum(["destination", "category"]))
    rows = np.asarray(allocation.weights.sum(axis=1)).ravel()
    assert np.allclose(rows[rows > 0], 1, rtol=1e-12)
    expected = reference_cube(problem)
    scale = max(np.abs(driven).max(), 1.0)
    assert isinstance(cube.data, dsa.Array)
    np.testing.assert_allclose(cube.values, expected, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(
        grid_map.values, expected.sum(axis=(0, 1, 2)), rtol=1e-9, atol=1e-9 * scale
    )
    # Conservation, region by region: every (region, sector, destination, category).
    for r in range(n_regions):
        only = footprint.where(footprint.region == f"R{r}", 0.0)
        sums = allocation.cube(only, keep_category=True).sum(["y", "x"]).values
        report = allocation.report.loc[f"R{r}"]
        factor = np.where(
            report["method"] == "points",
            allocation.scale.reshape(n_regions, -1)[r],
            (report["method"] != "unplaced").astype(float),
        )
        target = driven[r].transpose(1, 0, 2) * factor[None, :, None]
        np.testing.assert_allclose(sums, target, rtol=1e-9, atol=1e-9 * scale)
