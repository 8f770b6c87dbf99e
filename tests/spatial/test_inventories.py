"""Several inventories, emission factors and per-sector proxies, on grids small enough to
check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridfoot.errors import ConfigError, LabelError, UnplacedWarning
from gridfoot.spatial import EmissionFactor, Grid, allocate, combine_sources, read_sources

CRS = "EPSG:3035"


def _points(rows, **options):
    frame = pd.DataFrame(rows, columns=["x", "y", "sector", "w", "route"])
    options = {"lon": "x", "lat": "y", "crs": CRS, "weight": "w", "region_value": "A", **options}
    if "sector_value" not in options:
        options["sector"] = "sector"
    return read_sources(frame, **options)


@pytest.fixture
def grid():
    return Grid.from_bounds((0, 0, 20_000, 20_000), CRS)  # 2 x 2 cells of 10 km


@pytest.fixture
def driven():
    # A/power emits 10 t and A/steel 6 t, A/cement 4 t; all driven by destination B
    return xr.DataArray(
        [[[10.0], [6.0], [4.0]]],
        dims=("region", "sector", "destination"),
        coords={"region": ["A"], "sector": ["power", "steel", "cement"], "destination": ["B"]},
        attrs={"units": "t"},
    )


def test_factor_by_route_multiplies_the_capacity():
    steel = _points(
        [(5_000, 5_000, "steel", 100.0, "BOF"), (15_000, 5_000, "steel", 50.0, "EAF")],
        factor=EmissionFactor(column="route", values={"BOF": 2.0, "EAF": 0.5}, units="t/t"),
        units="kt",
    )
    assert steel.points["weight"].tolist() == [200.0, 25.0]
    assert EmissionFactor(column="route", values={"BOF": 2.0}, default=1.0).describe() == (
        "by route: BOF 2 (others 1)"
    )


def test_a_route_without_factor_is_named_or_set_aside():
    rows = [(5_000, 5_000, "steel", 100.0, "BOF"), (15_000, 5_000, "steel", 50.0, "DRI")]
    factor = EmissionFactor(column="route", values={"BOF": 2.0})
    with pytest.raises(LabelError, match=r"no emission factor for 'route' value.*DRI"):
        _points(rows, factor=factor)
    with pytest.warns(UnplacedWarning, match="1 point"):
        kept = _points(rows, factor=factor, invalid="report")
    assert kept.points["weight"].tolist() == [200.0]
    assert kept.unplaced["reason"].str.contains("no emission factor").all()
    with pytest.raises(ConfigError, match="not both"):
        EmissionFactor(value=1.0, column="route", values={"BOF": 1.0})


def test_one_sector_from_two_inventories_combines_them_by_weight_in_tonnes(grid, driven):
    coal = _points([(5_000, 15_000, "power", 3.0, "")], units="kt")  # 3,000 t
    gas = _points([(15_000, 5_000, "power", 1_000.0, "")], units="t")
    both = combine_sources({"coal": coal, "gas": gas})
    assert both.units == "t"
    assert both.points["weight"].tolist() == [3_000.0, 1_000.0]
    allocation = allocate(both, grid, driven.sel(sector=["power"]))
    # power's 10 t split 3:1 between the coal cell (top left) and the gas cell (bottom right)
    assert allocation.map(driven.sel(sector=["power"]).sum("destination")).values.tolist() == [
        [7.5, 0.0],
        [0.0, 2.5],
    ]


def test_a_proxy_without_units_cannot_share_a_sector(grid):
    coal = _points([(5_000, 15_000, "power", 3.0, "")], units="kt")
    capacity = _points([(15_000, 5_000, "power", 500.0, "")])  # MW, no units
    with pytest.raises(LabelError, match="sector 'power' is placed by several inventories"):
        combine_sources({"coal": coal, "gas": capacity})
    # on separate sectors they may differ: the combined weights are then as read
    plants = _points([(15_000, 5_000, "steel", 500.0, "")])
    assert combine_sources({"coal": coal, "plants": plants}).units is None


def test_points_of_sectors_an_inventory_does_not_place_are_set_aside(grid):
    firms = _points([(5_000, 5_000, "power", 1.0, ""), (15_000, 5_000, "steel", 2.0, "")])
    kept = combine_sources({"firms": firms}, {"firms": ["steel"]})
    assert kept.points["sector"].tolist() == ["steel"]
    assert kept.unplaced["reason"].str.startswith("of a sector this inventory").all()
    assert kept.unplaced["inventory"].tolist() == ["firms"]


def test_proxies_per_sector_and_the_rule_that_placed_each_producer(grid, driven):
    power = _points([(5_000, 15_000, "power", 1.0, "")])
    cement = grid.wrap(np.array([[0.0, 1.0], [0.0, 3.0]]), name="proxy cement.tif")
    allocation = allocate(power, grid, driven, proxy={"cement": cement, None: "land"})
    report = allocation.report
    assert report["rule"].tolist() == ["points", "land", "proxy cement.tif"]
    assert report["method"].tolist() == ["points", "land", "proxy"]
    layer = allocation.map(driven.sum("destination"))
    # power on its point; steel 6 t over four equal land cells; cement 4 t by 1:3
    assert layer.values.tolist() == [[10.0 + 1.5, 1.5 + 1.0], [1.5, 1.5 + 3.0]]
    assert float(layer.sum()) == pytest.approx(20.0)


def test_points_an_inventory_does_not_place_are_not_their_producers(grid, driven):
    firms = _points([(5_000, 5_000, "power", 1.0, ""), (15_000, 5_000, "steel", 2.0, "")])
    kept = combine_sources({"firms": firms}, {"firms": ["steel"]})
    allocation = allocate(kept, grid, driven)
    report = allocation.report
    # power's point belongs to no inventory placing power: power falls back, nothing is
    # "reassigned" from a point that was never its own
    assert report.loc[("A", "power"), "method"] == "land"
    assert report["reassigned"].sum() == 0
    assert len(allocation.unplaced) == 0
