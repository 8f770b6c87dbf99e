"""Bad nestings: a table that is not there, sectors or money the MRIO does not share, options that
do not go together, boundaries that do not name the nested regions. Each is one line naming the
option (``--nest`` on the command line, ``nest.table`` in a configuration), exit 2, nothing
written; the controls show the same inputs, mended, are accepted.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from gridfoot.datasets import sample_data_dir
from tests.badinput.conftest import assert_refused, edit_toml, run_cli, snapshot
from tests.mrio.splits import write_subnational_folder
from tests.workflows.nested import REGION, nested_study, split_table

MRIO = sample_data_dir() / "mrio"


@pytest.fixture
def table(tmp_path) -> Path:
    """HAI of the sample MRIO as two provinces, HAW and HAE, in the folder layout."""
    return write_subnational_folder(split_table(), tmp_path / "provinces")


def footprint(capsys, out: Path, *options) -> object:
    argv = ["footprint", "--mrio", MRIO, "--monetary-unit", "million USD", *options]
    return run_cli(capsys, *argv, "--out", out)


def refused_and_nothing_written(outcome, folder: Path, before: dict, *names: str) -> str:
    line = assert_refused(outcome, *names)
    assert not (folder / "out").exists()
    assert snapshot(folder) == before
    return line


def test_a_missing_table_folder_is_named_with_its_option(capsys, tmp_path) -> None:
    before = snapshot(tmp_path)
    outcome = footprint(
        capsys, tmp_path / "out", "--nest", tmp_path / "provincs", "--nest-region", REGION
    )
    refused_and_nothing_written(outcome, tmp_path, before, "provincs", "no such folder", "--nest")


def test_table_sectors_the_mrio_lacks_need_a_concordance(capsys, tmp_path, table) -> None:
    # the table calls agriculture A01, a code of its own
    for name in ("Z.csv", "Y.csv", "exports.csv", "imports.csv", "satellite.csv"):
        path = table / name
        path.write_text(path.read_text().replace("AGR", "A01"))
    before = snapshot(tmp_path)
    outcome = footprint(capsys, tmp_path / "out", "--nest", table, "--nest-region", REGION)
    line = refused_and_nothing_written(outcome, tmp_path, before, "--nest (provinces)", "A01")
    assert "concordance" in line
    # control: the concordance says what A01 is, and the table nests
    sectors = pd.read_csv(MRIO / "sectors.csv")["sector"]
    concordance = tmp_path / "concordance.csv"
    pd.DataFrame({"sector": sectors.replace("AGR", "A01"), "host_sector": sectors}).to_csv(
        concordance, index=False
    )
    options = ["--nest", table, "--nest-region", REGION, "--nest-concordance", concordance]
    outcome = footprint(capsys, tmp_path / "out", *options)
    assert outcome.status == 0, outcome.err
    assert (tmp_path / "out" / "nesting_totals.csv").is_file()


def test_a_table_in_other_money_needs_an_exchange_rate(capsys, tmp_path, table) -> None:
    (table / "table.toml").write_text('monetary_unit = "10 thousand CNY"\n')
    before = snapshot(tmp_path)
    outcome = footprint(capsys, tmp_path / "out", "--nest", table, "--nest-region", REGION)
    names = ("--exchange-rate", "'10 thousand CNY'", "'million USD'")
    refused_and_nothing_written(outcome, tmp_path, before, *names)
    # control: with the rate (a made-up one: the table is the host's in another unit) it nests
    options = ["--nest", table, "--nest-region", REGION, "--exchange-rate", "1"]
    assert footprint(capsys, tmp_path / "out", *options).status == 0


@pytest.mark.parametrize(
    ("options", "names"),
    [
        (["--nest-region", "HAI"], ["--nest-region", "give --nest", "--nest-shares"]),
        (["--balance", "none", "--exchange-rate", "2"], ["--balance, --exchange-rate"]),
        (["--nest", "TABLE", "--nest-delta", "0.3"], ["--nest-delta", "for a regionalisation"]),
        (["--nest", "TABLE", "--exchange-rate", "abc"], ["--exchange-rate", "got 'abc'"]),
        (["--nest", "TABLE", "--exchange-rate", "0"], ["--exchange-rate", "> 0", "got 0.0"]),
        (["--nest", "TABLE", "--nest-region", "CHN"], ["--nest-region", "'CHN' is not a region"]),
        (["--nest", "TABLE", "--nest-shares", "s.csv"], ["--nest and --nest-shares", "not both"]),
        (["--nest-shares", "s.csv", "--nest-delta", "1"], ["--nest-delta", "[0, 1)"]),
        (["--nest-shares", "s.csv", "--nest-emissions", "output"], ["--nest-emissions"]),
        (["--nest", "TABLE", "--nest-method", "lq"], ["--nest-method", "invalid choice: 'lq'"]),
    ],
)
def test_nesting_options_that_do_not_go_together(capsys, tmp_path, table, options, names):
    options = [table if option == "TABLE" else option for option in options]
    (tmp_path / "s.csv").write_text("region,sector,value\nHAN,ELE,1\nHAS,ELE,1\n")
    before = snapshot(tmp_path)
    outcome = footprint(capsys, tmp_path / "out", *options)
    refused_and_nothing_written(outcome, tmp_path, before, *names)


# -- [nest] in a run configuration -----------------------------------------------------------


@pytest.fixture
def nested(tmp_path) -> Path:
    """The sample with HAI split in two halves and their table, ``[nest]`` nesting it."""
    return nested_study(tmp_path / "study", {"region": REGION, "table": "provinces"})


def test_validate_and_run_name_a_missing_table(capsys, nested) -> None:
    config = edit_toml(nested, **{"nest.table": "provincs"})
    folder = nested.parent.parent
    before = snapshot(folder)
    for command in (
        ["validate", config],
        ["run", config, "--out", folder / "out", "--no-progress"],
    ):
        outcome = run_cli(capsys, *command)
        refused_and_nothing_written(outcome, folder, before, "provincs", "nest.table")


def test_boundaries_must_name_the_nested_regions(capsys, nested) -> None:
    # the original boundaries: HAI is one polygon, but the run's MRIO has HAW and HAE instead
    study = nested.parent
    (study / "boundaries" / "provinces.geojson").write_bytes(
        (sample_data_dir() / "boundaries" / "provinces.geojson").read_bytes()
    )
    line = assert_refused(run_cli(capsys, "validate", nested), "provinces.geojson", "regions HAI")
    assert "HAI is replaced by the regions of [nest]: label its polygons with them" in line
    # shares from the sources cannot tell the sub-regions either
    edit_toml(nested, **{"nest.table": None, "nest.shares": "sources"})
    assert_refused(run_cli(capsys, "validate", nested), "nest.shares", "label its polygons")


def test_shares_from_sources_need_points_in_every_sub_region(capsys, nested) -> None:
    study = nested.parent
    edit_toml(nested, **{"nest.table": None, "nest.shares": "sources"})
    halves = gpd.read_file(study / "boundaries" / "provinces.geojson")
    west = halves[halves["code"] == "HAW"].geometry.iloc[0].buffer(0.5)
    firms = pd.read_csv(study / "firms.csv")
    inside = gpd.points_from_xy(firms["lon"], firms["lat"]).within(west)
    firms[~inside].to_csv(study / "firms.csv", index=False)
    line = assert_refused(run_cli(capsys, "validate", nested), "nest.shares", "sub-region(s) HAW")
    assert "no point source" in line and "CSV" in line


def test_a_region_the_mrio_lacks_is_named(capsys, nested) -> None:
    config = edit_toml(nested, **{"nest.region": "Haiyang"})
    assert_refused(run_cli(capsys, "validate", config), "nest.region", "'Haiyang'")


def test_validate_reports_the_nesting(capsys, nested) -> None:
    outcome = run_cli(capsys, "validate", nested)
    assert outcome.status == 0, outcome.err
    assert "nesting: HAI replaced by 2 regions (nested table, gras)" in outcome.out
    assert "13 regions x 12 sectors" in outcome.out  # HAW and HAE mapped where HAI was
