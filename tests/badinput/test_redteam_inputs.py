"""Cases of the red team's report (rows named in each test) that are not about the point
sources' table: the downscale scope, the grid, the proxy raster, overlapping polygons and
the inventory's units. Each refusal is one line naming the key or file; each warning one line
with the counts."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pytest

from gridfoot.errors import AreaWarning, GridfootWarning
from tests.badinput.conftest import assert_refused, edit_toml, run_cli


def validate(capsys, study):
    return run_cli(capsys, "validate", study / "gridfoot.toml")


# ---------------------------------------------------------------------- downscale scope
@pytest.mark.parametrize(
    "changes, names",
    [
        ({"downscale.destinations": ["USA", "USA"]}, ("downscale.destinations", "USA")),
        (
            {"downscale.country": None, "downscale.regions": ["HAI", "JIB", "HAI"]},
            ("downscale.regions", "HAI"),
        ),
        ({"downscale.sectors": ["ELE", "STL", "ELE"]}, ("downscale.sectors", "ELE")),
    ],
)
def test_a_code_listed_twice_is_refused(capsys, study, changes, names):
    # red team row 19: a repeated destination was mapped twice
    edit_toml(study / "gridfoot.toml", **changes)
    assert_refused(validate(capsys, study), *names, "more than once")


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"downscale.sectors": []}, "downscale.sectors"),
        ({"downscale.country": None, "downscale.regions": []}, "downscale.regions"),
        ({"downscale.destinations": []}, "downscale.destinations"),
    ],
)
def test_an_empty_list_is_refused(capsys, study, changes, key):
    # red team rows 20 and 21: [] meant "all" without a word
    edit_toml(study / "gridfoot.toml", **changes)
    assert_refused(validate(capsys, study), key, "empty list")


def test_polygons_of_regions_the_map_leaves_out_are_refused_by_validate_too(capsys, study):
    # validate passed and run failed in allocate when the boundaries held such polygons
    edit_toml(study / "gridfoot.toml", **{"downscale.country": None, "downscale.regions": ["HAI"]})
    line = assert_refused(validate(capsys, study), "provinces.geojson", "leaves out")
    assert "drop them from the boundaries" in line


def test_published_shares_of_destinations_not_mapped_are_refused(capsys, study):
    # red team row 22
    edit_toml(study / "gridfoot.toml", **{"output.published": {"ZZZ": 0.1, "USA": 0.2}})
    assert_refused(validate(capsys, study), "output.published", "ZZZ")


# ---------------------------------------------------------------------------------- grid
def test_a_grid_without_land_is_refused(capsys, study):
    # red team row 6: 2 x 2 cells of 10,000 km and hotspot statistics on them
    edit_toml(study / "gridfoot.toml", **{"grid.resolution": 1e7})
    assert_refused(validate(capsys, study), "grid.resolution", "no land")


def test_a_grid_with_few_land_cells_warns(capsys, study):
    edit_toml(study / "gridfoot.toml", **{"grid.resolution": 200_000.0})
    with pytest.warns(AreaWarning, match="grid.resolution") as caught:
        outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    assert len([w for w in caught if issubclass(w.category, AreaWarning)]) == 1


@pytest.mark.parametrize(
    "crs, resolution", [("EPSG:3857", 10_000.0), ("EPSG:4326", 0.1)], ids=["mercator", "degrees"]
)
def test_a_grid_that_is_not_equal_area_warns(capsys, study, crs, resolution):
    # red team row 7
    edit_toml(study / "gridfoot.toml", **{"grid.crs": crs, "grid.resolution": resolution})
    with pytest.warns(AreaWarning, match="grid.crs .* not an equal-area") as caught:
        outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    assert "km2" in str(caught[0].message) and "cell_area" in str(caught[0].message)


# ---------------------------------------------------------------------------------- proxy
def _grid(study):
    from gridfoot.config import load_run_config
    from gridfoot.workflows.grid_inputs import load_inputs

    return load_inputs(load_run_config(study / "gridfoot.toml")).grid


def _write_proxy(study, values) -> None:
    grid = _grid(study)
    with warnings.catch_warnings():  # affine's own PendingDeprecationWarning inside rasterio
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        grid.wrap(values(grid)).rio.to_raster(study / "proxy.tif")
    edit_toml(study / "gridfoot.toml", **{"downscale.proxy": "proxy.tif"})


def _bad_cells(grid):
    values = np.ones(grid.shape)
    values[100, 100], values[101, 101] = -5.0, np.inf
    return values


def test_a_proxy_with_negative_or_infinite_cells_is_refused(capsys, study):
    # red team row 13: caught only by run, naming nothing
    _write_proxy(study, _bad_cells)
    assert_refused(
        validate(capsys, study),
        "proxy.tif",
        "downscale.proxy",
        "1 cell(s) below 0",
        "1 cell(s) infinite",
    )


def test_a_proxy_of_zeros_is_refused(capsys, study):
    # red team row 14: spread over land as if no proxy had been given
    _write_proxy(study, lambda grid: np.zeros(grid.shape))
    assert_refused(validate(capsys, study), "proxy.tif", "downscale.proxy", "0 (or no data)")


def test_a_proxy_of_zeros_over_a_region_warns_that_land_is_used(capsys, study):
    from gridfoot.spatial.grid import cell_coverage

    provinces = gpd.read_file(study / "boundaries" / "provinces.geojson")

    def values(grid):
        hai = cell_coverage(grid, provinces[provinces["code"] == "HAI"]).toarray().sum(axis=0)
        return np.where(hai.reshape(grid.shape) > 0, 0.0, 1.0)

    _write_proxy(study, values)
    with pytest.warns(GridfootWarning, match=r"proxy raster is 0 over .* HAI") as caught:
        outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    message = next(str(w.message) for w in caught if issubclass(w.category, GridfootWarning))
    assert "spread over land" in message and "producer(s)" in message


# ----------------------------------------------------------------------- overlapping polygons
def test_overlapping_regions_warn_naming_the_pair(capsys, study):
    # red team row 29: JIB's polygon replaced by HAI's
    path = study / "boundaries" / "provinces.geojson"
    data = json.loads(path.read_text())
    data["features"][1]["geometry"] = data["features"][0]["geometry"]
    path.write_text(json.dumps(data))
    with pytest.warns(GridfootWarning, match="overlap") as caught:
        outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    message = next(str(w.message) for w in caught if "overlap" in str(w.message))
    assert "provinces.geojson" in message and "HAI and JIB" in message and "km2" in message


# -------------------------------------------------------------------- inventory and its units
def test_an_inventory_in_the_wrong_units_warns_with_both_totals(capsys, study):
    # red team row 12: points 1000 times smaller than the MRIO's emissions of their producers
    edit_toml(study / "gridfoot.toml", **{"downscale.mode": "inventory", "sources.units": "kg"})
    with pytest.warns(GridfootWarning, match="inventory mode") as caught:
        outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    message = str(caught[0].message)
    assert "30,000 t" in message and "sources.units" in message
