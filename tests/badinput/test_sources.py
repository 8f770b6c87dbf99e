"""Bad point sources through the CLI: every refusal is one line naming the file and the column,
code, row or key at fault; every ``invalid = "report"`` counterpart runs and counts the points
and their weight.

The sample's firms.csv has 30,000 firms (id, lon, lat, industry, province, co2_t) whose
industry codes map to the MRIO's 12 sectors through concordance.csv; regions come from the
province polygons. Cases use ``gridfoot validate``, which reads and checks every input.
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from gridfoot.errors import GridfootWarning, UnplacedWarning
from tests.badinput.conftest import assert_refused, edit_toml, run_cli, snapshot


def firms(study: Path) -> pd.DataFrame:
    return pd.read_csv(study / "firms.csv", dtype={"industry": str, "firm_id": str})


def write_firms(study: Path, table: pd.DataFrame) -> None:
    table.to_csv(study / "firms.csv", index=False)


def validate(capsys, study: Path):
    return run_cli(capsys, "validate", study / "gridfoot.toml")


def line(outcome, start: str) -> str:
    """The validate report's line that starts with ``start``."""
    found = [text for text in outcome.out.splitlines() if text.startswith(start)]
    assert len(found) == 1, outcome.out
    return found[0]


def validate_warned(capsys, study: Path, *names: str):
    """``validate`` that succeeds with one UnplacedWarning naming every one of ``names``.

    Under pytest the warning reaches pytest's recorder rather than stderr, so it is caught
    here instead of read from the output.
    """
    with pytest.warns(UnplacedWarning) as caught:
        outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    messages = [str(w.message) for w in caught if issubclass(w.category, UnplacedWarning)]
    assert len(messages) == 1, messages
    for name in names:
        assert name in messages[0], (name, messages[0])
    return outcome


# ------------------------------------------------------------------- columns and constants
@pytest.mark.parametrize(
    "key, value, listed",
    [
        ("sector", "industy", "industry"),
        ("weight", "co2", "co2_t"),
        ("id", "firm", "firm_id"),
        ("lat", "latitude", "lat"),
    ],
)
def test_a_misspelt_column_is_refused_listing_the_columns(capsys, study, key, value, listed):
    edit_toml(study / "gridfoot.toml", **{f"sources.{key}": value})
    error = assert_refused(validate(capsys, study), "firms.csv", repr(value), listed)
    assert "columns:" in error


def test_a_misspelt_region_column_is_refused(capsys, study):
    edit_toml(study / "gridfoot.toml", **{"sources.region": "provnce"})
    assert_refused(validate(capsys, study), "firms.csv", "'provnce'", "province")


def test_column_and_constant_together_are_refused(capsys, study):
    edit_toml(study / "gridfoot.toml", **{"sources.sector_value": "ELE"})
    assert_refused(validate(capsys, study), "sources.sector", "sources.sector_value", "industry")


def test_a_constant_sector_that_the_mrio_lacks_is_refused(capsys, study):
    edit_toml(
        study / "gridfoot.toml",
        **{"sources.sector": None, "sources.concordance": None, "sources.sector_value": "ELX"},
    )
    error = assert_refused(validate(capsys, study), "firms.csv", "ELX", "30000 point(s)")
    assert "ELE" in error  # the MRIO's sectors are listed


def test_a_constant_sector_is_used_for_every_point(capsys, study):
    edit_toml(
        study / "gridfoot.toml",
        **{"sources.sector": None, "sources.concordance": None, "sources.sector_value": "ELE"},
    )
    outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    assert "sector 'ELE' for every point" in line(outcome, "sources:")


def test_a_zero_constant_weight_is_refused(capsys, study):
    edit_toml(study / "gridfoot.toml", **{"sources.weight": None, "sources.weight_value": 0.0})
    assert_refused(validate(capsys, study), "sources.weight_value", "0.0")


@pytest.mark.parametrize("tolerance", [-5000.0, math.inf, math.nan])
def test_a_negative_or_non_finite_tolerance_is_refused(capsys, study, tolerance):
    edit_toml(study / "gridfoot.toml", **{"sources.tolerance": tolerance})
    assert_refused(validate(capsys, study), "sources.tolerance", str(tolerance))


# ----------------------------------------------------------------------- sector codes
def test_codes_without_their_concordance_are_refused(capsys, study):
    """Forgetting the concordance key must not turn the map into land only."""
    edit_toml(study / "gridfoot.toml", **{"sources.concordance": None})
    error = assert_refused(
        validate(capsys, study), "firms.csv", "30000 point(s)", "A01", "concordance", "industry"
    )
    assert f"weight {firms(study)['co2_t'].sum():,.0f} t" in error


def test_a_concordance_row_naming_a_sector_the_mrio_lacks_is_refused(capsys, study):
    path = study / "concordance.csv"
    table = pd.read_csv(path)
    table.loc[table["code"] == "C18", "sector"] = "APP"  # row 6: apparel, not an MRIO sector
    table.to_csv(path, index=False)
    assert_refused(validate(capsys, study), "concordance.csv", "row 6", "C18", "APP")


def test_typos_in_codes_are_refused_naming_rows_codes_and_weight(capsys, study):
    table = firms(study)
    rows = table.index[table["industry"] == "C17"][:30]
    table.loc[rows, "industry"] = "C71"
    write_firms(study, table)
    weight = table.loc[rows, "co2_t"].sum()
    error = assert_refused(
        validate(capsys, study), "firms.csv", "30 point(s)", "C71", f"row(s) {rows[0]} (id"
    )
    assert f"weight {weight:,.6g} t" in error


def test_typos_under_report_are_set_aside_counted_and_weighed(capsys, study):
    table = firms(study)
    rows = table.index[table["industry"] == "C17"][:30]
    table.loc[rows, "industry"] = "C71"
    write_firms(study, table)
    edit_toml(study / "gridfoot.toml", **{"sources.invalid": "report"})
    weight = table.loc[rows, "co2_t"].sum()
    outcome = validate_warned(
        capsys, study, "firms.csv", "30 point(s) set aside", f"weight {weight:,.6g} t", "C71"
    )
    counted = line(outcome, "points set aside")
    assert ": 30, weight" in counted and f"{weight:,.6g} t" in counted


def test_a_missing_code_is_refused(capsys, study):
    table = firms(study)
    table.loc[7, "industry"] = None
    write_firms(study, table)
    assert_refused(validate(capsys, study), "firms.csv", "missing sector", "row(s) 7 (id F000007)")


def test_semicolons_and_decimal_commas_in_the_concordance_are_read(capsys, study):
    path = study / "concordance.csv"
    table = pd.read_csv(path)
    table.to_csv(path, index=False, sep=";", decimal=",")
    assert ";" in path.read_text() and "0,6" in path.read_text()
    outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    assert "12 sectors" in line(outcome, "sources:")


def test_a_concordance_without_its_sector_column_is_refused(capsys, study):
    path = study / "concordance.csv"
    pd.read_csv(path).rename(columns={"sector": "mrio"}).to_csv(path, index=False)
    assert_refused(validate(capsys, study), "concordance.csv", "sector", "mrio")


def test_concordance_shares_that_do_not_add_up_are_refused(capsys, study):
    path = study / "concordance.csv"
    table = pd.read_csv(path)
    table.loc[(table["code"] == "C33") & (table["sector"] == "MAC"), "share"] = 0.3
    table.to_csv(path, index=False)
    assert_refused(validate(capsys, study), "concordance.csv", "C33 sums to 0.9")


def test_a_missing_concordance_file_is_refused(capsys, study):
    (study / "concordance.csv").unlink()
    assert_refused(validate(capsys, study), "concordance.csv", "no such file")


# ---------------------------------------------------------------------------- regions
def test_region_codes_the_mrio_lacks_are_refused(capsys, study):
    table = firms(study)
    table.loc[[3, 9], "province"] = "XXX"
    write_firms(study, table)
    edit_toml(study / "gridfoot.toml", **{"sources.region": "province"})
    assert_refused(
        validate(capsys, study), "firms.csv", "XXX", "'province'", "row(s) 3 (id F000003)"
    )


def test_a_constant_region_the_mrio_lacks_is_refused(capsys, study):
    edit_toml(study / "gridfoot.toml", **{"sources.region": None, "sources.region_value": "MER"})
    assert_refused(validate(capsys, study), "firms.csv", "MER", "region_value")


# ---------------------------------------------------------------------- rows and files
def test_a_header_without_rows_is_refused(capsys, study):
    path = study / "firms.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert_refused(validate(capsys, study), "firms.csv", "no points", "no rows")


def test_every_weight_zero_is_refused(capsys, study):
    write_firms(study, firms(study).assign(co2_t=0.0))
    assert_refused(validate(capsys, study), "firms.csv", "30000 point(s)", "'co2_t'", "weight 0")


def test_every_weight_zero_under_report_sets_every_point_aside(capsys, study):
    write_firms(study, firms(study).assign(co2_t=0.0))
    edit_toml(study / "gridfoot.toml", **{"sources.invalid": "report"})
    outcome = validate_warned(capsys, study, "30000 point(s) set aside", "weight 0 t")
    assert line(outcome, "points set aside").startswith(
        "points set aside (invalid = 'report'): 30,000"
    )
    # every producer with emissions falls back to land, and says so
    assert "(fall back to land): 144" in line(outcome, "producers with emissions")


def test_a_where_that_keeps_nothing_is_refused(capsys, study):
    edit_toml(study / "gridfoot.toml", **{"sources.where": {"province": "ZZZ"}})
    assert_refused(validate(capsys, study), "firms.csv", "where", "province", "ZZZ")


@pytest.mark.parametrize(
    "column, value, reason",
    [
        ("co2_t", -3.0, "negative weight ('co2_t')"),
        ("co2_t", None, "missing or non-finite weight ('co2_t')"),
        ("lat", None, "missing or non-numeric coordinates"),
        ("lat", 95.0, "latitude beyond +-90 ('lat')"),
        ("firm_id", "F000001", "duplicated id ('firm_id')"),
    ],
)
def test_a_bad_row_is_refused_naming_it(capsys, study, column, value, reason):
    table = firms(study).astype({column: object})
    table.loc[4, column] = value
    write_firms(study, table)
    assert_refused(validate(capsys, study), "firms.csv", reason, "row(s) ", "4 (id F00000")


def test_bad_rows_under_report_are_counted_with_their_weight(capsys, study):
    table = firms(study)
    table.loc[[4, 5], "co2_t"] = -3.0
    table.loc[6, "lon"] = None
    write_firms(study, table)
    edit_toml(study / "gridfoot.toml", **{"sources.invalid": "report"})
    weight = -6.0 + table.loc[6, "co2_t"]
    outcome = validate_warned(capsys, study, "3 point(s) set aside", f"weight {weight:,.6g} t")
    counted = line(outcome, "points set aside")
    assert f": 3, weight {weight:,.6g} t" in counted
    assert "2 with negative weight" in counted and "1 with missing" in counted


def test_a_gbk_file_needs_its_encoding(capsys, study):
    table = firms(study).assign(province="海阳")  # a province name in Chinese
    (study / "firms.csv").write_bytes(table.to_csv(index=False).encode("gbk"))
    assert_refused(validate(capsys, study), "firms.csv", "encoding", "gbk")
    edit_toml(study / "gridfoot.toml", **{"sources.encoding": "gbk"})
    outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err


def test_firms_outside_every_province_are_counted(capsys, study):
    table = firms(study)
    table.loc[[0, 1], ["lon", "lat"]] = [10.0, 50.0]  # far from Meridia
    write_firms(study, table)
    weight = table.loc[[0, 1], "co2_t"].sum()
    outcome = validate_warned(
        capsys, study, "2 point(s)", "outside every boundary polygon", f"weight {weight:,.6g} t"
    )
    assert f": 2, weight {weight:,.6g} t" in line(outcome, "points outside every boundary")
    edit_toml(study / "gridfoot.toml", **{"downscale.unplaced": "raise"})
    assert_refused(validate(capsys, study), "firms.csv", "outside every boundary polygon", "0 (id")


def test_a_refused_run_writes_nothing(capsys, study, tmp_path):
    edit_toml(study / "gridfoot.toml", **{"sources.concordance": None})
    out = tmp_path / "out"
    before = snapshot(study)
    assert_refused(run_cli(capsys, "run", study / "gridfoot.toml", "--out", out), "A01")
    assert not out.exists()
    assert snapshot(study) == before


# ------------------------------------------------------------------ red-team cases (rows)
@pytest.mark.parametrize(
    "where",
    [{"province": "HAI"}, {"co2_t": 5.5}, {"industry": ["A01", "C18"]}],
)
def test_a_where_that_keeps_some_rows_works(capsys, study, where):
    # red team row 2: every where= keeping only some rows crashed (unaligned indexes)
    edit_toml(study / "gridfoot.toml", **{"sources.where": where})
    outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    table = firms(study)
    column, wanted = next(iter(where.items()))
    kept = table[column].isin(wanted if isinstance(wanted, list) else [wanted]).sum()
    assert f"Sources({kept:,} points" in line(outcome, "sources:")


def test_a_folder_as_the_sources_is_refused(capsys, study):
    # red team rows 3 and 30c: a folder is not "no such file"
    (study / "firms_dir.csv").mkdir()
    edit_toml(study / "gridfoot.toml", **{"sources.path": "firms_dir.csv"})
    assert_refused(validate(capsys, study), "firms_dir.csv", "is a folder, not a table file")


def test_a_layer_for_a_csv_is_refused(capsys, study):
    edit_toml(study / "gridfoot.toml", **{"sources.layer": "points"})
    assert_refused(validate(capsys, study), "sources.layer", "firms.csv")


@pytest.mark.parametrize("mode", ["mrio", "inventory"])
def test_units_gridfoot_cannot_convert_are_refused(capsys, study, mode):
    edit_toml(study / "gridfoot.toml", **{"sources.units": "bananas", "downscale.mode": mode})
    assert_refused(validate(capsys, study), "sources.units", "'bananas'", "Mt")


def test_a_repeated_column_name_is_refused(capsys, study):
    text = (study / "firms.csv").read_text().splitlines()
    rows = [text[0] + ",co2_t"] + [row + ",999" for row in text[1:]]
    (study / "firms.csv").write_text("\n".join(rows) + "\n")
    assert_refused(validate(capsys, study), "firms.csv", "'co2_t'", "columns 6, 7")


def test_points_all_outside_the_boundaries_are_refused(capsys, study):
    # red team row 8: every point 100 degrees east, or the wrong sources.crs
    table = firms(study)
    table["lon"] += 100
    write_firms(study, table)
    assert_refused(
        validate(capsys, study), "firms.csv", "none of the 30,000 point(s)", "sources.crs"
    )


def test_points_in_the_wrong_crs_are_refused_naming_it(capsys, study):
    edit_toml(study / "gridfoot.toml", **{"sources.crs": "EPSG:3857"})
    assert_refused(validate(capsys, study), "firms.csv", "EPSG:3857", "sources.crs")


def test_most_points_outside_the_boundaries_warn_to_check_the_crs(capsys, study):
    table = firms(study)
    table.loc[:19_999, "lon"] += 100
    write_firms(study, table)
    validate_warned(capsys, study, "20000 point(s)", "67% of the points", "sources.crs")


def test_a_point_with_an_absurd_weight_is_named(capsys, study):
    # red team row 11: one point of 1e12 t took its producer's whole emissions silently.
    # Every firm in one sector spans 2e4 x the median, but none holds half its region's
    # total: quiet.
    edit_toml(
        study / "gridfoot.toml",
        **{"sources.sector_value": "ELE", "sources.sector": None, "sources.concordance": None},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridfootWarning)
        assert validate(capsys, study).status == 0
    table = firms(study)
    table.loc[5, "co2_t"] = 1e12
    write_firms(study, table)
    with pytest.warns(GridfootWarning, match="median weight of their sector") as caught:
        outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    message = str(caught[0].message)
    assert "row 5 (id F000005" in message and "1e+12 t" in message


def test_a_geopackage_in_web_mercator_with_degree_columns(capsys, study):
    # red team row 9: the file's CRS applies to its geometry, not to the lon/lat columns
    table = firms(study)
    points = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table.lon, table.lat), crs="EPSG:4326"
    )
    points.to_crs("EPSG:3857").to_file(study / "firms.gpkg")
    edit_toml(study / "gridfoot.toml", **{"sources.path": "firms.gpkg"})
    outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    assert "Sources(30,000 points" in line(outcome, "sources:")


def test_an_excel_export_with_every_field_quoted(capsys, study):
    # red team row 26: ";" with decimal commas, thousands dots and every field quoted
    table = firms(study).astype(str)
    for column in ("lon", "lat", "co2_t"):
        table[column] = table[column].str.replace(".", ",")
    table.loc[3, "co2_t"] = "5.500,00"
    table.to_csv(study / "firms.csv", sep=";", index=False, quoting=csv.QUOTE_ALL)
    outcome = validate(capsys, study)
    assert outcome.status == 0, outcome.err
    assert "Sources(30,000 points" in line(outcome, "sources:")


def test_a_weight_with_a_thousands_separator_is_called_non_numeric(capsys, study):
    table = firms(study).astype({"co2_t": object})
    table.loc[3, "co2_t"] = "5.500,00"
    write_firms(study, table)
    assert_refused(
        validate(capsys, study), "firms.csv", "non-numeric weight ('co2_t': 5.500,00", "3 (id"
    )
