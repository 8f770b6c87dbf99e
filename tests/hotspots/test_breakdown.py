"""Breakdowns by destination, category, sector and region, from the footprint and a cube."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridfoot import footprint
from gridfoot.datasets import sample_mrio, textbook_mrio
from gridfoot.errors import LabelError
from gridfoot.hotspots import breakdown, export_linked, reclassify


@pytest.fixture(scope="module")
def fp() -> xr.Dataset:
    return footprint(sample_mrio())


def test_export_linked_is_what_the_accounts_call_exports(fp):
    linked = export_linked(fp, "MER", stressor="CO2")
    assert set(linked.destination_country.values) == {"USA", "HKG", "JPN", "DEU", "KOR", "RoW"}
    assert set(linked.country.values) == {"MER"}
    provinces = fp.region.values[fp.country.values == "MER"]
    expected = float(fp.eee.sel(stressor="CO2", region=provinces).sum())
    assert float(linked.sum()) == pytest.approx(expected, rel=1e-12)


def test_shares_by_destination_category_and_sector(fp):
    linked = export_linked(fp, "MER", stressor="CO2")
    by_destination = breakdown(linked, by="destination")
    expected = linked.sum(["region", "sector", "category"]).to_series()
    assert by_destination["value"].is_monotonic_decreasing
    assert by_destination.set_index("destination")["value"].to_dict() == pytest.approx(
        expected.to_dict(), rel=1e-12
    )
    assert by_destination["share"].sum() == pytest.approx(1.0)
    assert (by_destination["unit"] == "t").all()
    mix = breakdown(linked, by="category", within="destination")
    assert mix.groupby("destination")["share"].sum().to_numpy() == pytest.approx(np.ones(6))
    usa = mix[mix.destination == "USA"].set_index("category")["value"]
    assert usa.to_dict() == pytest.approx(
        linked.sel(destination="USA").sum(["region", "sector"]).to_series().to_dict()
    )
    # the largest destination's block comes first
    assert mix["destination"].iloc[0] == by_destination["destination"].iloc[0]
    sectors = breakdown(linked, by="sector")
    assert sectors["sector"].iloc[0] == linked.sum(["region", "destination", "category"]).idxmax()


def test_coordinates_and_pairs(fp):
    by_country = breakdown(fp, by="destination_country")
    assert set(by_country.destination_country) == {"MER", "USA", "HKG", "JPN", "DEU", "KOR", "RoW"}
    assert by_country["value"].sum() == pytest.approx(float(fp.driven.sum()))
    pairs = breakdown(fp, by=["country", "destination_country"])
    mer = pairs[(pairs.country == "MER") & (pairs.destination_country != "MER")]
    assert mer["value"].sum() == pytest.approx(float(export_linked(fp, "MER").sum()))


def test_cube_lazily():
    rng = np.random.default_rng(1)
    cube = xr.DataArray(
        rng.random((3, 2, 4, 5)),
        dims=("destination", "sector", "y", "x"),
        coords={"destination": ["USA", "HKG", "JPN"], "sector": ["ELE", "STL"]},
        attrs={"units": "t"},
    ).chunk({"destination": 1})
    table = breakdown(cube, by="sector", within="destination")
    assert len(table) == 6 and (table["unit"] == "t").all()
    assert table.set_index(["destination", "sector"])["value"].to_dict() == pytest.approx(
        cube.sum(["y", "x"]).compute().to_series().to_dict()
    )
    with pytest.raises(LabelError, match="zonal_totals"):
        breakdown(cube, by="region")


def test_several_stressors_must_be_chosen():
    two = footprint(textbook_mrio()).driven
    two = xr.concat(
        [two, two.assign_coords(stressor=["CH4"], unit=("stressor", ["kt"]))], "stressor"
    )
    with pytest.raises(LabelError, match="several stressors"):
        breakdown(two, by="destination")
    table = breakdown(two, by="destination", within="stressor")
    assert set(table.stressor) == {"CO2", "CH4"}
    with pytest.raises(LabelError, match="unknown country"):
        export_linked(footprint(textbook_mrio()), "Atlantis")


def test_reclassify_splits_labels_by_share_and_keeps_every_tonne_lazily() -> None:
    cube = xr.DataArray(
        np.arange(24.0).reshape(2, 3, 2, 2),
        dims=("destination", "sector", "y", "x"),
        coords={"destination": ["US", "JP"], "sector": ["coal power", "metals", "gas power"]},
    ).chunk({"destination": 1})
    concordance = pd.DataFrame(
        {
            "sector": ["coal power", "gas power", "metals", "metals"],
            "host_sector": ["power", "power", "steel", "other"],
            "share": [1.0, 1.0, 0.75, 0.25],
        }
    )
    common = reclassify(cube, concordance)
    assert common.chunks is not None  # still lazy
    assert common.dims == cube.dims
    assert common.sector.values.tolist() == ["power", "steel", "other"]
    values = cube.values
    np.testing.assert_allclose(common.sel(sector="power"), values[:, 0] + values[:, 2])
    np.testing.assert_allclose(common.sel(sector="steel"), 0.75 * values[:, 1])
    assert float(common.sum()) == pytest.approx(float(cube.sum()))
    with pytest.raises(LabelError, match="no 'industry' dim"):
        reclassify(cube, concordance, dim="industry")
