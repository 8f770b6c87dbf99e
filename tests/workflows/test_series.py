"""A series of years on the sample: 2019 is the sample's MRIO, 2020 the same with the USA's
final demand doubled. Each year's study is the single-year run of that year; the footprint
and the cube carry a year dimension; the trend table and figure are written."""

from __future__ import annotations

import json
import shutil
import tomllib

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridfoot.config import RunConfig
from gridfoot.datasets import sample_data_dir
from gridfoot.errors import ConfigError
from gridfoot.io import open_cube
from gridfoot.workflows import run_grid


def _synthesise(folder, year, usa_factor):
    sample = sample_data_dir() / "mrio"
    target = folder / f"mrio_{year}"
    shutil.copytree(sample, target)
    frame = pd.read_csv(sample / "Y.csv", header=[0, 1], index_col=[0, 1])
    usa = frame.columns.get_level_values(0) == "USA"
    frame.loc[:, usa] *= usa_factor
    frame.to_csv(target / "Y.csv")


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    folder = tmp_path_factory.mktemp("series")
    _synthesise(folder, 2019, 1.0)
    _synthesise(folder, 2020, 2.0)
    sample = sample_data_dir()
    data = tomllib.loads((sample / "gridfoot.toml").read_text())
    data["mrio"]["path"] = str(folder / "mrio_{year}")
    data["mrio"]["years"] = [2019, 2020]
    data["output"] = {"maps": ["png"], "geotiff": ["total"]}
    config = RunConfig.from_mapping(data, base_dir=sample)
    result = run_grid(config, folder / "out", progress=False)
    single = dict(data, mrio={k: v for k, v in data["mrio"].items() if k != "years"})
    single["mrio"]["path"] = str(folder / "mrio_2019")
    alone = run_grid(
        RunConfig.from_mapping(single, base_dir=sample), folder / "alone", progress=False
    )
    return result, alone, folder


def test_each_year_is_that_years_own_run(series):
    result, alone, folder = series
    assert result.years == [2019, 2020]
    first = result.studies[2019]
    np.testing.assert_allclose(first.total.values, alone.total.values, rtol=1e-12)
    out = folder / "out"
    for name in ("hubs.csv", "concentration.csv", "geotiff/total.tif", "figures/total_map.png"):
        assert (out / "2019" / name).is_file() and (out / "2020" / name).is_file()
    assert not (out / "2019" / "footprint.nc").exists()  # written once, with a year dim


def test_the_year_with_more_us_demand_drives_more(series):
    result, _, _ = series
    usa = {y: s.key_figures["by_destination"]["USA"] for y, s in result.studies.items()}
    assert usa[2020] > usa[2019]
    totals = result.table.set_index("year")["total"]
    assert totals[2020] > totals[2019]


def test_footprint_and_cube_carry_the_years(series):
    result, _, folder = series
    out = folder / "out"
    footprint = xr.open_dataset(out / "footprint.nc")
    assert list(footprint["year"].values) == [2019, 2020]
    cube = open_cube(out / "cube.zarr")
    assert cube.dims[0] == "year" and list(cube["year"].values) == [2019, 2020]
    for year, study in result.studies.items():
        assert float(cube.sel(year=year).sum()) == pytest.approx(float(study.total.sum()), rel=1e-9)
    footprint.close()


def test_the_trend_is_written_and_summarised(series):
    folder = series[2]
    out = folder / "out"
    table = pd.read_csv(out / "series.csv")
    assert table["year"].tolist() == [2019, 2020]
    assert {"spatial_extent", "area_for_share 0.75", "gini"} <= set(table.columns)
    np.testing.assert_allclose(table["spatial_extent"], table["area_for_share 0.9"])
    assert (out / "figures" / "trend.png").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["study"] == "series" and summary["results"]["years"] == [2019, 2020]
    assert "2020/figures/total_map.png" in summary["files"]


def test_a_series_started_again_reuses_each_years_footprint_and_weights(series):
    """Each year keeps its stages in a folder of its own in the run's cache; --fresh
    recomputes them all."""
    result, _, folder = series
    out = folder / "out"

    def stages():
        return json.loads((out / "summary.json").read_text())["results"]["stages"]

    assert stages() == {
        y: {"footprint": "computed", "allocation": "computed"} for y in ("2019", "2020")
    }
    again = run_grid(result.config, out, progress=False)
    assert stages() == {
        y: {"footprint": "reused", "allocation": "reused"} for y in ("2019", "2020")
    }
    for year, study in again.studies.items():
        np.testing.assert_array_equal(study.total.values, result.studies[year].total.values)
    cache = folder / ".gridfoot-cache-out"
    assert json.loads((cache / ".gridfoot-cache.json").read_text())["files"] == ["2019", "2020"]
    run_grid(result.config, out, progress=False, fresh=True)
    assert stages()["2020"] == {"footprint": "computed", "allocation": "computed"}


def test_a_series_needs_the_year_in_a_path():
    with pytest.raises(ConfigError, match=r"neither mrio\.path nor mrio\.files holds \{year\}"):
        RunConfig.from_mapping(
            {
                "mrio": {"path": "mrio", "years": [2019, 2020]},
                "sources": {"path": "f.csv"},
                "boundaries": {"path": "b.json", "region": "X"},
            }
        )
    with pytest.raises(ConfigError, match=r"\{year\} in the path .* but no mrio\.years"):
        RunConfig.from_mapping(
            {
                "mrio": {"path": "mrio_{year}"},
                "sources": {"path": "f.csv"},
                "boundaries": {"path": "b.json", "region": "X"},
            }
        )
