"""Bad MRIO folders: every refusal names the file and the row, column or label at fault.

Each case breaks one file of a copy of the sample MRIO and runs ``gridfoot footprint`` on it:
the tables are refused while they are read, before anything is computed or written.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.badinput.conftest import assert_refused, edit_toml, run_cli, snapshot


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(lines))


# Z.csv: two header rows (region, sector), an index-name row, then one row per producer in
# region-major order: line 4 is HAI/AGR, line 5 HAI/MIN, line 6 HAI/FOO, line 7 HAI/TEX.


def duplicated_row(mrio: Path) -> None:
    lines = _lines(mrio / "Z.csv")
    lines[4] = lines[3]  # HAI/MIN's row replaced by a second HAI/AGR
    _write(mrio / "Z.csv", lines)


def duplicated_column(mrio: Path) -> None:
    lines = _lines(mrio / "Z.csv")
    lines[1] = lines[1].replace(",AGR,MIN,", ",AGR,AGR,", 1)
    _write(mrio / "Z.csv", lines)


def missing_row(mrio: Path) -> None:
    lines = _lines(mrio / "Z.csv")
    del lines[5]  # HAI/FOO
    _write(mrio / "Z.csv", lines)


def not_square(mrio: Path) -> None:
    lines = [",".join(line.rstrip("\n").split(",")[:-1]) + "\n" for line in _lines(mrio / "Z.csv")]
    _write(mrio / "Z.csv", lines)


def row_spelled_differently_in_y(mrio: Path) -> None:
    lines = _lines(mrio / "Y.csv")
    lines[0] = lines[0].replace("RoW", "ROW")
    _write(mrio / "Y.csv", lines)


def missing_y_row(mrio: Path) -> None:
    lines = _lines(mrio / "Y.csv")
    del lines[3]  # HAI/AGR
    _write(mrio / "Y.csv", lines)


def relabelled_but_not_the_satellite(mrio: Path) -> None:
    for name in ("Z.csv", "Y.csv", "countries.csv"):
        path = mrio / name
        path.write_text(path.read_text().replace("HAI,", "HAY,"))


def unknown_satellite_sector(mrio: Path) -> None:
    with (mrio / "satellite.csv").open("a") as handle:
        handle.write("HAI,FC_HH,CO2,12.5,t\n")


def non_numeric_cell(mrio: Path) -> None:
    lines = _lines(mrio / "Z.csv")
    cells = lines[6].split(",")
    cells[2] = "abc"  # HAI/TEX row, HAI/AGR column
    lines[6] = ",".join(cells)
    _write(mrio / "Z.csv", lines)


def negative_cell(mrio: Path) -> None:
    lines = _lines(mrio / "Z.csv")
    cells = lines[6].split(",")
    cells[3] = "-2.0"  # HAI/TEX row, HAI/MIN column
    lines[6] = ",".join(cells)
    _write(mrio / "Z.csv", lines)


def empty_y(mrio: Path) -> None:
    (mrio / "Y.csv").write_text("")


def header_only_y(mrio: Path) -> None:
    _write(mrio / "Y.csv", _lines(mrio / "Y.csv")[:3])


def truncated_gzip(mrio: Path) -> None:
    raw = gzip.compress((mrio / "Z.csv").read_bytes())
    (mrio / "Z.csv").unlink()
    (mrio / "Z.csv.gz").write_bytes(raw[: len(raw) // 2])


def parquet_garbage(mrio: Path) -> None:
    (mrio / "Z.csv").unlink()
    (mrio / "Z.parquet").write_bytes(b"PAR1 this is not a parquet file")


def countries_without_country(mrio: Path) -> None:
    path = mrio / "countries.csv"
    path.write_text(path.read_text().replace("region,country", "region,nation"))


def countries_in_gbk(mrio: Path) -> None:
    # a column of Chinese names beside the codes, saved as Chinese spreadsheets do
    path = mrio / "countries.csv"
    lines = path.read_text().splitlines()
    named = [lines[0] + ",name"] + [f"{line},地区{i}" for i, line in enumerate(lines[1:])]
    path.write_bytes("\n".join(named).encode("gbk"))


def satellite_nan(mrio: Path) -> None:
    lines = _lines(mrio / "satellite.csv")
    lines[3] = "HAI,FOO,CO2,,t\n"
    _write(mrio / "satellite.csv", lines)


def one_column_z(mrio: Path) -> None:
    path = mrio / "Z.csv"
    path.write_text(path.read_text().replace(",", " "))


CASES: list[tuple[Callable[[Path], None], tuple[str, ...]]] = [
    (duplicated_row, ("Z.csv", "row label", "HAI/AGR", "more than once")),
    (duplicated_column, ("Z.csv", "column label", "HAI/AGR")),
    (missing_row, ("Z.csv", "column(s) without a row: HAI/FOO")),
    (not_square, ("Z.csv", "row(s) without a column: RoW/SER")),
    (row_spelled_differently_in_y, ("Y.csv", "column region(s) not in Z.csv: ROW", "RoW")),
    (missing_y_row, ("Y.csv", "without a row: HAI/AGR")),
    (relabelled_but_not_the_satellite, ("satellite.csv", "region(s) HAI", "rename_regions")),
    (unknown_satellite_sector, ("satellite.csv", "sector(s) FC_HH", "final_demand")),
    (non_numeric_cell, ("Z.csv", "(HAI/TEX x HAI/AGR) = 'abc'")),
    (negative_cell, ("Z.csv", "negative", "HAI/TEX x HAI/MIN")),
    (empty_y, ("Y.csv", "empty")),
    (header_only_y, ("Y.csv", "no data rows")),
    (truncated_gzip, ("Z.csv.gz", "truncated")),
    (parquet_garbage, ("Z.parquet", "not a readable parquet file")),
    (countries_without_country, ("countries.csv", "missing column(s) country", "nation")),
    (countries_in_gbk, ("countries.csv", "not UTF-8", "encoding")),
    (satellite_nan, ("satellite.csv", "'value'", "row(s) 4")),
    (one_column_z, ("Z.csv", "only 1 column(s)")),
]


@pytest.mark.parametrize(("damage", "names"), CASES, ids=[c[0].__name__ for c in CASES])
def test_footprint_refuses_a_broken_mrio_folder(capsys, study, damage, names) -> None:
    mrio = study / "mrio"
    damage(mrio)
    before = snapshot(study)
    out = study.parent / "out"
    line = assert_refused(run_cli(capsys, "footprint", "--mrio", mrio, "--out", out), *names)
    assert "rename_regions" not in line or damage is relabelled_but_not_the_satellite
    assert not out.exists()
    assert snapshot(study) == before


def test_a_semicolon_separated_z_is_read_like_a_comma_separated_one(capsys, study) -> None:
    mrio = study / "mrio"
    (mrio / "Z.csv").write_text((mrio / "Z.csv").read_text().replace(",", ";"))
    outcome = run_cli(capsys, "footprint", "--mrio", mrio, "--out", study.parent / "out")
    assert outcome.status == 0, outcome.err
    assert (study.parent / "out" / "accounts.csv").is_file()


def test_validate_refuses_an_unknown_mrio_encoding(capsys, study) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"mrio.encoding": "klingon"})
    assert_refused(run_cli(capsys, "validate", config), "mrio.encoding", "klingon")


def test_validate_names_the_mrio_file_that_is_wrong(capsys, study) -> None:
    row_spelled_differently_in_y(study / "mrio")
    outcome = run_cli(capsys, "validate", study / "gridfoot.toml")
    assert_refused(outcome, "Y.csv", "ROW")


def test_validate_reads_gbk_tables_with_the_mrio_encoding_key(capsys, study) -> None:
    countries_in_gbk(study / "mrio")
    config = edit_toml(study / "gridfoot.toml", **{"mrio.encoding": "gbk"})
    outcome = run_cli(capsys, "validate", config)
    assert outcome.status == 0, outcome.err
