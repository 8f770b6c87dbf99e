"""A series on the real case: WIOD 2009 and a 2010 synthesised from it (final demand of the
USA up a fifth, China's CO2 down 2%), China's electricity on its coal units. The year is
filled in the file names and in the satellite's ``where``; 2009 is the single-year run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gridfoot.config import RunConfig
from gridfoot.datasets import WIOD2009
from gridfoot.workflows import run_grid

pytestmark = [
    pytest.mark.slow,
    # a few coastal units lie off every province: the run warns and lists them
    pytest.mark.filterwarnings("ignore::gridfoot.errors.UnplacedWarning"),
]


@pytest.fixture(scope="module")
def wiod_series(reference_data, china_provinces, tmp_path_factory):
    folder = tmp_path_factory.mktemp("wiod_series")
    source = reference_data / "wiod2013"
    tables = folder / "wiod"
    tables.mkdir()
    for name in ("Z.csv.gz", "x.csv"):
        (tables / f"wiot2009_{name}").symlink_to(source / f"wiot2009_{name}")
        (tables / f"wiot2010_{name}").symlink_to(source / f"wiot2009_{name}")
    (tables / "wiot2009_Y.csv.gz").symlink_to(source / "wiot2009_Y.csv.gz")
    demand = pd.read_csv(source / "wiot2009_Y.csv.gz", header=[0, 1], index_col=[0, 1])
    demand = demand.astype(float)
    demand.loc[:, demand.columns.get_level_values(0) == "USA"] *= 1.2
    demand.to_csv(tables / "wiot2010_Y.csv.gz")
    for name in ("wiod2013_sectors.csv",):
        if (source / name).exists():
            (tables / name).symlink_to(source / name)
    accounts = pd.read_csv(source / "wiod2013_co2_accounts_1995_2009_long.csv")
    later = accounts[accounts["year"] == 2009].assign(year=2010).astype({"co2_kt": float})
    later.loc[later["region"] == "CHN", "co2_kt"] *= 0.98
    pd.concat([accounts, later]).to_csv(tables / "co2_long.csv", index=False)
    mainland = china_provinces[~china_provinces["gb"].str[3:5].isin(["71", "81", "82"])]
    mainland = mainland.assign(geometry=mainland.geometry.make_valid())
    mainland[["gb", "geometry"]].to_file(folder / "mainland.gpkg")
    mrio = {
        **WIOD2009,
        "path": str(tables),
        "files": {
            "Z": "wiot{year}_Z.csv.gz",
            "Y": "wiot{year}_Y.csv.gz",
            "x": "wiot{year}_x.csv",
            "satellite": "co2_long.csv",
        },
        "satellite": {**WIOD2009["satellite"], "where": {"year": "{year}"}},
        "stressor": "CO2",
        "x": "balanced",
        "zero_output": "ignore",
        "years": [2009, 2010],
    }
    data = {
        "mrio": mrio,
        "sources": {
            "path": str(reference_data / "gcpt" / "gcpt_units_jan2023.csv"),
            "lon": "Longitude",
            "lat": "Latitude",
            "id": "Tracker ID",
            "where": {"Country": "China", "Status": "operating"},
            "weight": "Annual CO2 (million tonnes / annum)",
            "units": "Mt",
            "sector_value": "secE",
            "region_value": "CHN",
        },
        "boundaries": {"path": str(folder / "mainland.gpkg"), "region": "CHN"},
        "downscale": {"country": "CHN", "sectors": ["secE"]},
        "output": {"maps": ["png"], "geotiff": ["total"], "cube": False},
    }
    series = run_grid(RunConfig.from_mapping(data), folder / "out", progress=False)
    one = {
        **data,
        "mrio": {
            **WIOD2009,
            "path": str(reference_data / "wiod2013"),
            "stressor": "CO2",
            "x": "balanced",
            "zero_output": "ignore",
        },
    }
    alone = run_grid(RunConfig.from_mapping(one), folder / "alone", progress=False)
    return series, alone, folder


def test_2009_of_the_series_is_the_single_run(wiod_series):
    series, alone, _ = wiod_series
    np.testing.assert_allclose(series.studies[2009].total.values, alone.total.values, rtol=1e-10)


def test_2010_moves_as_its_inputs_do(wiod_series):
    series, _, folder = wiod_series
    by_year = {y: s.key_figures for y, s in series.studies.items()}
    assert by_year[2010]["by_destination"]["USA"] > by_year[2009]["by_destination"]["USA"]
    table = pd.read_csv(folder / "out" / "series.csv").set_index("year")
    assert list(table.index) == [2009, 2010]
    summary = json.loads((folder / "out" / "summary.json").read_text())
    assert summary["results"]["years"] == [2009, 2010]
