"""Several inventories, proxies, draws, series and the run's cache: bad settings are refused
in one line naming the key, before anything is computed."""

from __future__ import annotations

import tomllib

from gridfoot.config import to_toml
from tests.badinput.conftest import assert_refused, edit_toml, run_cli


def _two_inventories(study, **second):
    data = tomllib.loads((study / "gridfoot.toml").read_text())
    first = dict(data["sources"], name="firms")
    data["sources"] = [first, {**first, "name": "power plants", **second}]
    (study / "gridfoot.toml").write_text(to_toml(data))
    return study / "gridfoot.toml"


def test_two_inventories_of_one_name_are_refused(study, capsys) -> None:
    config = _two_inventories(study, name="firms")
    assert_refused(run_cli(capsys, "validate", config), "sources", "firms", "more than once")


def test_a_factor_column_that_is_absent_is_named(study, capsys) -> None:
    config = _two_inventories(
        study, sectors=["ELE"], factor={"column": "route", "values": {"BOF": 2.0}}
    )
    assert_refused(run_cli(capsys, "validate", config), "firms.csv", "'route'", "factor.column")


def test_a_sector_an_inventory_places_must_be_the_mrios(study, capsys) -> None:
    config = _two_inventories(study, sectors=["POWER"])
    assert_refused(
        run_cli(capsys, "validate", config),
        "sources[1].sectors",
        "power plants",
        "POWER",
        "not MRIO",
    )


def test_a_missing_proxy_raster_is_named(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"downscale.proxies": {"CEM": "cement.tif"}})
    assert_refused(run_cli(capsys, "validate", config), "cement.tif", "downscale.proxies.CEM")


def test_a_proxy_for_an_unknown_sector_is_named(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"downscale.proxies": {"XYZ": "land"}})
    assert_refused(run_cli(capsys, "validate", config), "downscale.proxies.XYZ", "not MRIO")


def test_draws_of_an_unknown_inventory_are_refused(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"uncertainty.weights": {"coal": 0.2}})
    assert_refused(
        run_cli(capsys, "validate", config), "uncertainty.weights", "coal", "not inventories"
    )


def test_one_fallback_rule_is_no_alternative(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"uncertainty.fallbacks": ["land"]})
    assert_refused(run_cli(capsys, "validate", config), "uncertainty.fallbacks", "two or more")


def test_a_series_whose_tables_are_missing_is_refused_before_it_starts(study, capsys) -> None:
    config = edit_toml(
        study / "gridfoot.toml", **{"mrio.path": "mrio_{year}", "mrio.years": [2019, 2020]}
    )
    outcome = run_cli(capsys, "run", config, "--out", study.parent / "out", "--no-progress")
    assert_refused(outcome, "mrio_2019")
    assert not (study.parent / "out").exists()


def test_a_folder_in_the_caches_place_is_not_touched(study, capsys) -> None:
    foreign = study.parent / ".gridfoot-cache-out"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep")
    outcome = run_cli(
        capsys,
        "run",
        study / "gridfoot.toml",
        "--out",
        study.parent / "out",
        "--no-progress",
        "--fresh",
    )
    assert_refused(outcome, ".gridfoot-cache-out", "not gridfoot's cache")
    assert (foreign / "mine.txt").read_text() == "keep"
