"""The config-driven run and the ``gridfoot urban`` command."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridfoot.cli import main
from gridfoot.config import load_config
from gridfoot.datasets import sample_data_dir, sample_mrio
from gridfoot.errors import ConfigError
from gridfoot.urban import city_footprint, city_footprint_from_mrio, read_city_table
from gridfoot.workflows.urban import UrbanConfig, run_urban
from tests.workflows.test_writer import SUMMARY_KEYS


@pytest.fixture
def study(tmp_path):
    """Two sample city tables and one province of the host, in a folder with its config."""
    source = sample_data_dir() / "cities"
    for name in ("hgg.csv", "hgg_emissions.csv", "hgg_origins.csv", "ltn.csv", "ltn_emissions.csv"):
        shutil.copy(source / name, tmp_path / name)
    (tmp_path / "urban.toml").write_text(
        f"""
composition_sector = "CON"
top_sectors = 3

[host]
mrio = "{(sample_data_dir() / "mrio").as_posix()}"
country = "MER"
monetary_unit = "million USD"

[sector_names]
CON = "Construction"

[[city]]
name = "Haigang"
table = "hgg.csv"
emissions = "hgg_emissions.csv"
population = 420000
import_share = "total-use"
origin_shares = "hgg_origins.csv"

[[city]]
name = "Longtan"
table = "ltn.csv"
emissions = "ltn_emissions.csv"
population = 120000
assumption = "single-region"

[[city]]
name = "Gaoyuan province"
regions = ["GAO"]
population = 90000
gdp = 600
"""
    )
    return tmp_path


def test_run_writes_tables_figures_and_report(study) -> None:
    out = study / "out"
    run = run_urban(study / "urban.toml", out)
    names = sorted(run.files)
    assert names == sorted(
        [
            "comparison.csv",
            "accounts.csv",
            "sectors.csv",
            "composition.csv",
            "cities/Haigang.nc",
            "cities/Longtan.nc",
            "cities/Gaoyuan_province.nc",
            "figures/quadrants.png",
            "figures/composition_CON.png",
            "figures/boundaries_Haigang.png",
            "figures/boundaries_Longtan.png",
            "figures/boundaries_Gaoyuan_province.png",
            "report.html",
            "summary.json",
        ]
    )
    mrio = sample_mrio()
    haigang = city_footprint(
        read_city_table(study / "hgg.csv", study / "hgg_emissions.csv", population=420000,
                        monetary_unit="million USD"),
        mrio, country="MER", import_share="total-use", origin_shares=study / "hgg_origins.csv",
    )  # fmt: skip
    gaoyuan = city_footprint_from_mrio(mrio, "GAO", population=90000, gdp=600)
    comparison = pd.read_csv(out / "comparison.csv", index_col="city")
    assert comparison.loc["Haigang", "consumption_based (t)"] == pytest.approx(
        haigang.boundaries["consumption_based"]
    )
    assert comparison.loc[
        "Gaoyuan province", "carbon_production_intensity (t per million USD)"
    ] == (pytest.approx(gaoyuan.boundaries["production_based"] / 600))
    assert "single-region" in comparison.loc["Longtan", "imports_priced_by"]
    accounts = pd.read_csv(out / "accounts.csv")
    eee = accounts.query("city == 'Haigang' and quantity == 'eee' and split == 'foreign'")
    assert eee["value"].item() == pytest.approx(haigang.accounts.loc["eee", "foreign"])
    composition = pd.read_csv(out / "composition.csv")
    assert composition.groupby("city")["share"].sum().to_numpy() == pytest.approx(1.0)
    with xr.open_dataset(out / "cities" / "Haigang.nc") as written:
        np.testing.assert_allclose(written["footprint"], haigang.dataset["footprint"])
        assert written["eee"].attrs["units"] == "t"
    report = (out / "report.html").read_text()
    assert "<h1>Urban carbon footprints (CO2)</h1>" in report
    assert "<h2>Consumed footprint of Construction</h2>" in report
    assert report.count('<img src="data:image/png;base64,') == 5  # every figure, inline
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary) == SUMMARY_KEYS
    assert summary["study"] == "urban" and summary["options"]["composition_sector"] == "CON"
    cities = {row["city"]: row for row in summary["results"]["cities"]}
    assert cities["Haigang"]["consumption_based"] == pytest.approx(
        haigang.boundaries["consumption_based"]
    )
    assert len(run.cities) == 3


def test_command_line(study, capsys) -> None:
    config = (study / "urban.toml").read_text()
    header, *cities = config.split("[[city]]")
    (study / "urban.toml").write_text(header + "[[city]]" + cities[-1])  # one city is enough
    assert main(["urban", str(study / "urban.toml"), "--out", str(study / "cli")]) == 0
    printed = capsys.readouterr().out
    assert "Gaoyuan province: direct" in printed and "report.html" in printed


def test_inconsistent_table_ends_in_one_line(study, capsys) -> None:
    table = (study / "ltn.csv").read_text().splitlines()
    row = table[1].split(",")
    row[1] = str(float(row[1]) + 50.0)  # an intermediate flow the row total does not have
    (study / "ltn.csv").write_text("\n".join([table[0], ",".join(row), *table[2:]]) + "\n")
    assert main(["urban", str(study / "urban.toml"), "--out", str(study / "bad")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("gridfoot: error: ") and error.count("\n") == 1
    assert "ltn.csv" in error and "row balance" in error and row[0] in error
    assert not (study / "bad" / "report.html").exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("population = 120000", "populaton = 120000"), r"city\[1\].populaton: unknown key"),
        (('regions = ["GAO"]', 'regions = ["GAO"]\ntable = "x.csv"'), "either table"),
        (('emissions = "ltn_emissions.csv"', ""), "needs emissions"),
        (('assumption = "single-region"', 'assumption = "single"'), "expected one of"),
        (('name = "Longtan"', 'name = "Haigang"'), "names must differ"),
    ],
)
def test_config_errors_name_the_key(study, edit, message) -> None:
    path = study / "urban.toml"
    path.write_text(path.read_text().replace(*edit))
    with pytest.raises(ConfigError, match=message):
        load_config(path, UrbanConfig)


def test_sample_config_reads() -> None:
    config = load_config(sample_data_dir() / "cities" / "cities.toml", UrbanConfig)
    assert len(config.city) == 8
    assert config.host.country == "MER"
    assert config.city[0].origin_shares == sample_data_dir() / "cities" / "hgg_origins.csv"
