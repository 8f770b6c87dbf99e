"""A run with several inventories and per-sector proxies, on the sample: the sample's firms
split into a power-plant inventory (electricity) and the rest, cement spread like the power
plants, every other sector without points over land."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pandas as pd
import pytest
import rioxarray

from gridfoot.config import RunConfig
from gridfoot.datasets import sample_data_dir
from gridfoot.errors import ConfigError
from gridfoot.workflows import run_grid


@pytest.fixture(scope="module")
def two_inventories(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inventories")
    sample = sample_data_dir()
    firms = pd.read_csv(sample / "firms.csv", dtype={"industry": str})
    concordance = pd.read_csv(sample / "concordance.csv", dtype=str)
    power_codes = concordance.loc[concordance["sector"] == "ELE", "code"]
    plants = firms[firms["industry"].isin(power_codes)]
    # the plants' weight is a capacity in MW: 1 MW emits 4 t here (plants.csv holds co2 / 4)
    plants.assign(mw=plants["co2_t"] / 4).drop(columns="co2_t").to_csv(
        folder / "plants.csv", index=False
    )
    firms[~firms["industry"].isin(power_codes)].to_csv(folder / "firms.csv", index=False)
    data = tomllib.loads((sample / "gridfoot.toml").read_text())
    data["mrio"]["path"] = str(sample / "mrio")
    data["boundaries"].update(
        path=str(sample / "boundaries/provinces.geojson"),
        cities=str(sample / "boundaries/cities.geojson"),
    )
    common = {k: v for k, v in data["sources"].items() if k not in ("path", "weight", "units")}
    common["concordance"] = str(sample / "concordance.csv")
    data["sources"] = [
        {
            **common,
            "name": "power plants",
            "path": str(folder / "plants.csv"),
            "weight": "mw",
            "factor": {"value": 4.0, "units": "t CO2 per MW"},
            "units": "t",
            "sectors": ["ELE"],
        },
        {
            **common,
            "name": "firms",
            "path": str(folder / "firms.csv"),
            "weight": "co2_t",
            "units": "t",
        },
    ]
    data["downscale"]["proxies"] = {"CEM": "power plants", "default": "land"}
    data["output"] = {"maps": ["png"], "cube": False}
    config = RunConfig.from_mapping(data, base_dir=folder)
    study = run_grid(config, folder / "out", progress=False)
    return config, study, folder / "out"


def test_each_sector_names_the_rule_that_placed_it(two_inventories):
    _, study, out = two_inventories
    rules = pd.read_csv(out / "placement_by_sector.csv")
    by = rules.set_index(["sector", "rule"])["value"]
    assert ("ELE", "points of power plants") in by.index
    assert not rules.query("sector == 'ELE'")["rule"].str.contains("firms").any()
    assert set(rules.query("sector == 'CEM'")["rule"]) <= {
        "points of firms",
        "points of power plants",
    }
    assert "points of power plants" in set(rules.query("sector == 'CEM'")["rule"])
    # every tonne of the mapped total is in exactly one row
    assert rules["value"].sum() == pytest.approx(float(study.total.sum()), rel=1e-12)
    summary = json.loads((out / "summary.json").read_text())["results"]
    assert sum(summary["placed_by"].values()) == pytest.approx(rules["value"].sum(), rel=1e-12)


def test_the_fallback_layer_holds_the_tonnes_placed_without_points(two_inventories):
    out = two_inventories[2]
    fallback = rioxarray.open_rasterio(out / "geotiff/fallback.tif", masked=True)
    rules = pd.read_csv(out / "placement_by_sector.csv")
    without = rules[~rules["rule"].str.startswith("points of firms")]
    without = without[
        ~((without["sector"] == "ELE") & (without["rule"] == "points of power plants"))
    ]
    assert float(fallback.sum()) == pytest.approx(without["value"].sum(), rel=1e-6)
    assert np.nanmin(fallback.values) >= 0
    assert (fallback.attrs["long_name"], fallback.attrs["units"]) == ("fallback", "t")


def test_the_report_states_the_inventories_and_their_factor(two_inventories):
    _, _, out = two_inventories
    page = (out / "report.html").read_text()
    assert "How each sector was placed" in page
    assert "Inventory power plants: plants.csv" in page
    assert "emission factor 4 t CO2 per MW" in page


def test_a_proxy_naming_no_inventory_is_refused():
    with pytest.raises(ConfigError, match=r"proxies\.CEM: 'coal' is neither 'land'"):
        RunConfig.from_mapping(
            {
                "mrio": {"path": "m"},
                "sources": [{"path": "a.csv", "name": "firms"}],
                "boundaries": {"path": "b.json", "region": "X"},
                "downscale": {"proxies": {"CEM": "coal"}},
            }
        )
