"""The config-driven run and the ``gridfoot urban`` command."""

from __future__ import annotations

import inspect
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridfoot.cli import main
from gridfoot.config import MrioConfig, UrbanConfig, load_config
from gridfoot.datasets import sample_data_dir, sample_mrio
from gridfoot.errors import ConfigError, DeprecatedKeyWarning
from gridfoot.mrio import read_mrio
from gridfoot.urban import city_footprint, city_footprint_from_mrio, read_city_table
from gridfoot.workflows.urban import run_urban
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
country = "MER"

[mrio]
path = "{(sample_data_dir() / "mrio").as_posix()}"
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
        (
            ("population = 120000", "populaton = 120000"),
            r"city\[1\].populaton: unknown key; did you mean 'population'\?",
        ),
        (("population = 120000", "population = -3"), r"city\[1\].population: .*> 0, got -3"),
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
    assert config.country == "MER" and config.mrio.path == sample_data_dir() / "mrio"
    assert config.city[0].origin_shares == sample_data_dir() / "cities" / "hgg_origins.csv"


# -- one [mrio] section for every study ---------------------------------------------------


def _wiod_named_folder(folder):
    """The sample MRIO in a folder named the WIOD way: gzipped wiot2009_* tables and a long
    satellite account with WIOD's column names, a year column and no stressor or unit."""
    mrio = sample_mrio()
    folder.mkdir()
    mrio.Z.to_csv(folder / "wiot2009_Z.csv.gz")
    mrio.Y.to_csv(folder / "wiot2009_Y.csv.gz")
    mrio.x.rename("x").reset_index().to_csv(folder / "wiot2009_x.csv", index=False)
    producers = mrio.F.T.stack().rename("co2").reset_index()
    households = mrio.F_Y.T.stack().rename("co2").reset_index()
    long = pd.concat([producers, households.rename(columns={"category": "sector"})])
    long = long.drop(columns="stressor").rename(columns={"region": "country", "sector": "code"})
    other_year = long.assign(year=2008, co2=long["co2"] * 2)
    pd.concat([long.assign(year=2009), other_year]).to_csv(folder / "co2_long.csv", index=False)
    mrio.countries.rename("country").rename_axis("region").reset_index().to_csv(
        folder / "wiot2009_countries.csv", index=False
    )
    return folder


WIOD_MRIO = """
[mrio]
path = "wiod"
monetary_unit = "million USD"
x = "file"

[mrio.files]
Z = "wiot2009_Z.csv.gz"
Y = "wiot2009_Y.csv.gz"
x = "wiot2009_x.csv"
satellite = "co2_long.csv"
countries = "wiot2009_countries.csv"

[mrio.satellite]
region = "country"
sector = "code"
value = "co2"
stressor_name = "CO2"
unit_name = "{unit}"
where = {{ year = 2009 }}
"""


def test_urban_reads_a_wiod_named_folder_like_the_run(study) -> None:
    # `gridfoot urban` used to read only a folder of Z.csv, Y.csv, ...: its [host] had no
    # files or satellite. Its [mrio] is the run's section, so a WIOD-named folder reads.
    _wiod_named_folder(study / "wiod")
    path = study / "urban.toml"
    original = path.read_text()
    head, tail = original.split("[mrio]")
    tail = tail[tail.index("[sector_names]") :]
    unit = str(sample_mrio().units["CO2"])
    (study / "wiod.toml").write_text(head + WIOD_MRIO.format(unit=unit) + "\n" + tail)
    config = load_config(study / "wiod.toml", UrbanConfig)
    assert config.mrio.path == study / "wiod" and config.mrio.x == "file"
    run = run_urban(study / "wiod.toml", study / "out")
    assert (study / "out" / "report.html").is_file()
    # the same footprints as from the sample folder the WIOD-named one was written from
    expected = run_urban(study / "urban.toml", study / "expected")
    for got, want in zip(run.cities, expected.cities, strict=True):
        assert got.name == want.name
        assert got.boundaries.to_numpy() == pytest.approx(want.boundaries.to_numpy(), rel=1e-9)


def test_both_studies_read_their_mrio_with_the_same_arguments(study) -> None:
    # every keyword of read_mrio is a key of [mrio], and read_options gives them all
    from gridfoot.config import load_run_config

    urban = load_config(study / "urban.toml", UrbanConfig).mrio
    run = load_run_config(sample_data_dir() / "gridfoot.toml").mrio
    assert type(urban) is type(run) is MrioConfig
    keywords = set(inspect.signature(read_mrio).parameters)
    assert set(urban.read_options()) == set(run.read_options()) == keywords
    assert urban.read_options()["path"] == run.read_options()["path"] == sample_data_dir() / "mrio"


def test_host_is_read_as_mrio_with_a_warning(study) -> None:
    path = study / "urban.toml"
    new = load_config(path, UrbanConfig)
    old_text = path.read_text().replace("[mrio]\npath =", "[host]\nmrio =")
    old_text = old_text.replace('country = "MER"\n', "").replace(
        "[host]\n", '[host]\ncountry = "MER"\n'
    )
    assert "[mrio]" not in old_text and "country" in old_text.split("[sector_names]")[0]
    path.write_text(old_text)
    with pytest.warns(DeprecatedKeyWarning, match=r"urban.toml: .*host.mrio -> mrio.path"):
        old = load_config(path, UrbanConfig)
    assert old == new
    path.write_text(old_text + "\n[mrio]\npath = 'x'\n")
    with pytest.raises(ConfigError, match=r"host.mrio: the old name of mrio.path; give"):
        load_config(path, UrbanConfig)  # refused before anything is renamed (or warned about)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[mrio]\n", '[mrio]\nstressor = "CO2"\n'), "mrio.stressor: .* top level"),
        (("[mrio]\n", "[mrio]\nfiles = { Z = 3 }\n"), "mrio.files.Z: expected a string"),
        (("[mrio]\n", "[mrio]\nsatellite = { colour = 1 }\n"), "mrio.satellite: unknown"),
        (("[mrio]\n", '[mrio]\nlayout = "wiod"\n'), "mrio.layout: expected one of"),
    ],
)
def test_mrio_keys_are_checked_in_urban_as_in_the_run(study, edit, message) -> None:
    path = study / "urban.toml"
    path.write_text(path.read_text().replace(*edit))
    with pytest.raises(ConfigError, match=message):
        load_config(path, UrbanConfig)


def test_country_needs_an_mrio(tmp_path) -> None:
    from gridfoot.config import CityConfig

    city = CityConfig(name="A", table=tmp_path / "a.csv", emissions=tmp_path / "e.csv")
    with pytest.raises(ConfigError, match="country: 'MER' is the cities' country in the"):
        UrbanConfig(city=(city,), country="MER")
    assert UrbanConfig(city=(city,), country="MER", mrio=MrioConfig(path=tmp_path)).country
