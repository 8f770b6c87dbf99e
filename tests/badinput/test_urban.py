"""Bad city tables: every refusal names the file, the city and the column, row or label.

Each case breaks one file of a copy of the sample cities (``sample_data/cities``) and runs
``gridfoot urban``; the files are refused while they are read, before any output is written.
Jiangcheng (``jch.csv``) is the second city, Haigang (``hgg.csv``) the first and the one with
origin shares (``hgg_origins.csv``: columns region, share).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.badinput.conftest import assert_refused, run_cli, snapshot

CATEGORIES = ["rural_households", "urban_households", "government", "capital_formation"]


def no_final_demand(cities: Path) -> None:
    table = pd.read_csv(cities / "jch.csv", index_col=0)
    table.drop(columns=[*CATEGORIES, "inventory_change"]).to_csv(cities / "jch.csv")


def unknown_origin_region(cities: Path) -> None:
    path = cities / "hgg_origins.csv"
    path.write_text(path.read_text().replace("JIB,", "JIBX,"))


def origins_without_share(cities: Path) -> None:
    path = cities / "hgg_origins.csv"
    path.write_text(path.read_text().replace("region,share", "region,weight"))


def origin_share_not_a_number(cities: Path) -> None:
    path = cities / "hgg_origins.csv"
    path.write_text(path.read_text().replace("HAI,0.3", "HAI,lots"))


def origins_missing(cities: Path) -> None:
    (cities / "hgg_origins.csv").unlink()


def table_in_gbk(cities: Path) -> None:
    path = cities / "jch.csv"
    path.write_bytes(path.read_text().replace("government", "政府").encode("gbk"))


def emissions_without_value(cities: Path) -> None:
    path = cities / "jch_emissions.csv"
    path.write_text(path.read_text().replace("value", "amount"))


def emissions_unknown_sector(cities: Path) -> None:
    path = cities / "jch_emissions.csv"
    path.write_text(path.read_text().replace("AGR,", "AGX,"))


def empty_table(cities: Path) -> None:
    (cities / "jch.csv").write_text("")


def duplicated_sector_row(cities: Path) -> None:
    lines = (cities / "jch.csv").read_text().splitlines(keepends=True)
    lines.insert(3, lines[2])  # MIN twice
    (cities / "jch.csv").write_text("".join(lines))


def non_numeric_cell(cities: Path) -> None:
    table = pd.read_csv(cities / "jch.csv", index_col=0).astype(object)
    table.loc["FOO", "AGR"] = "abc"
    table.to_csv(cities / "jch.csv")


def missing_outflow(cities: Path) -> None:
    table = pd.read_csv(cities / "jch.csv", index_col=0)
    table.drop(columns=["outflow"]).to_csv(cities / "jch.csv")


def host_z_duplicated(cities: Path) -> None:
    path = cities.parent / "mrio" / "Z.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[4] = lines[3]  # a second HAI/AGR row instead of HAI/MIN
    path.write_text("".join(lines))


CASES: list[tuple[Callable[[Path], None], tuple[str, ...]]] = [
    (no_final_demand, ("jch.csv", "Jiangcheng", "no final-demand columns")),
    (unknown_origin_region, ("hgg_origins.csv", "Haigang", "JIBX", "row(s) 3")),
    (origins_without_share, ("hgg_origins.csv", "Haigang", "missing column(s) share")),
    (origin_share_not_a_number, ("hgg_origins.csv", "Haigang", "'share'", "row(s) 2")),
    (origins_missing, ("hgg_origins.csv", "Haigang", "no such file")),
    (table_in_gbk, ("jch.csv", "not UTF-8", "encoding")),
    (emissions_without_value, ("jch_emissions.csv", "Jiangcheng", "value", "amount")),
    (emissions_unknown_sector, ("jch_emissions.csv", "Jiangcheng", "AGX")),
    (empty_table, ("jch.csv", "Jiangcheng", "empty")),
    (duplicated_sector_row, ("jch.csv", "Jiangcheng", "MIN")),
    (non_numeric_cell, ("jch.csv", "Jiangcheng", "'AGR'", "'abc'", "FOO")),
    (missing_outflow, ("jch.csv", "Jiangcheng", "missing column 'outflow'")),
    (host_z_duplicated, ("Z.csv", "HAI/AGR", "row label")),
]


@pytest.mark.parametrize(("damage", "names"), CASES, ids=[c[0].__name__ for c in CASES])
def test_urban_refuses_a_broken_city_file(capsys, study, damage, names) -> None:
    cities = study / "cities"
    damage(cities)
    before = snapshot(study)
    out = study.parent / "urban_out"
    line = assert_refused(run_cli(capsys, "urban", cities / "cities.toml", "--out", out), *names)
    assert "emissions" not in line or "emissions" in names[0]  # blame the right file
    assert snapshot(study) == before
    # Refused while reading, before anything is written (the writing side is another
    # engineer's: if this alone fails, output was left behind by the writer, not the reader).
    assert not out.exists()
