"""Sub-national tables: the folder reader and the CEADs workbook reader, on tables small enough
to check by hand; every error names the file (or sheet and cell) and the column, row or label."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from gridfoot import SubnationalTable, read_ceads, read_subnational
from gridfoot.errors import (
    BalanceWarning,
    ConfigError,
    InputFileError,
    LabelError,
    MissingFileError,
    ValueCheckError,
)
from gridfoot.mrio import CeadsLayout

# -- a hand-checkable table: Beijing has two sectors, Tianjin one ----------------------------

PRODUCERS = pd.MultiIndex.from_tuples(
    [("BJ", "01"), ("BJ", "02"), ("TJ", "01")], names=["region", "sector"]
)
DEMAND = pd.MultiIndex.from_tuples(
    [("BJ", "hh"), ("BJ", "gov"), ("TJ", "hh")], names=["region", "category"]
)
Z = pd.DataFrame(np.arange(1.0, 10).reshape(3, 3), index=PRODUCERS, columns=PRODUCERS)
Y = pd.DataFrame(10 * np.arange(1.0, 10).reshape(3, 3), index=PRODUCERS, columns=DEMAND)
EXPORTS = pd.DataFrame(
    {
        "region": ["BJ", "BJ", "TJ"],
        "sector": ["01", "01", "01"],
        "partner": ["USA", "JPN", ""],
        "value": [100.0, 5, 200],
    }
)
IMPORTS = pd.DataFrame(
    {
        "region": ["BJ", "BJ", "TJ"],
        "user": ["01", "hh", "01"],
        "product": ["AGR", "", "MAN"],
        "value": [11.0, 12, 13],
    }
)
SATELLITE = pd.DataFrame(
    {
        "region": ["BJ", "BJ", "TJ", "BJ", "TJ"],
        "sector": ["01", "02", "01", "hh", "01"],
        "stressor": ["CO2", "CO2", "CO2", "CO2", "CH4"],
        "value": [1.5, 2.5, 3.5, 0.5, 0.25],
        "unit": ["t", "t", "t", "t", "kt"],
    }
)
CONCORDANCE = pd.DataFrame(
    {"sector": ["01", "02", "02"], "host_sector": ["AGR", "MAN", "SER"], "share": [1, 0.25, 0.75]}
)
#: Z·1 + Y·1 + exports: 6 + 60 + 105, 15 + 150, 24 + 240 + 200
X = [171.0, 165.0, 464.0]


def write_folder(folder: Path, suffix: str = ".csv", **replace: str) -> Path:
    """The table as a folder; ``replace`` gives a file's text instead (``exports_csv="..."``)."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = {"Z": Z, "Y": Y, "exports": EXPORTS, "imports": IMPORTS, "satellite": SATELLITE}
    frames["concordance"] = CONCORDANCE
    for name, frame in frames.items():
        path = folder / f"{name}{suffix}"
        wide = name in ("Z", "Y")
        if suffix == ".parquet":
            frame.to_parquet(path, index=wide)
        else:
            frame.to_csv(path, index=wide)  # .gz is compressed by pandas
    (folder / "table.toml").write_text(
        'monetary_unit = "10 thousand CNY"\nname = "two provinces"\nyear = 2017\n'
    )
    for key, text in replace.items():
        name = key.replace("_", ".")
        for old in folder.glob(f"{name.split('.')[0]}.*"):
            old.unlink()
        (folder / name).write_text(text)
    return folder


def check_table(table: SubnationalTable) -> None:
    """Every block of the hand-made table, exactly."""
    pd.testing.assert_frame_equal(table.Z, Z)
    pd.testing.assert_frame_equal(table.Y, Y)
    assert table.exports.to_dict("list") == {
        "region": ["BJ", "BJ", "TJ"],
        "sector": ["01", "01", "01"],
        "partner": ["USA", "JPN", ""],
        "value": [100.0, 5.0, 200.0],
    }
    assert table.imports.to_dict("list") == {
        "region": ["BJ", "BJ", "TJ"],
        "user": ["01", "hh", "01"],
        "product": ["AGR", "", "MAN"],
        "partner": ["", "", ""],
        "value": [11.0, 12.0, 13.0],
    }
    assert table.F.index.tolist() == ["CO2", "CH4"]
    assert table.F.loc["CO2"].tolist() == [1.5, 2.5, 3.5]
    assert table.F.loc["CH4"].tolist() == [0.0, 0.0, 0.25]
    assert table.F_Y.loc["CO2"].tolist() == [0.5, 0.0, 0.0]  # BJ's households
    assert table.F_Y.loc["CH4"].tolist() == [0.0, 0.0, 0.0]
    assert table.F_Y.columns.equals(table.Y.columns)
    assert table.units.to_dict() == {"CO2": "t", "CH4": "kt"}
    assert table.concordance.to_dict("list") == {
        "sector": ["01", "02", "02"],
        "host_sector": ["AGR", "MAN", "SER"],
        "share": [1.0, 0.25, 0.75],
    }
    assert table.x.tolist() == X


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_folder_reads_back_every_block(tmp_path, suffix) -> None:
    folder = write_folder(tmp_path / "table", suffix)
    if suffix == ".csv.gz":
        assert (folder / "Z.csv.gz").read_bytes()[:2] == b"\x1f\x8b"  # really gzipped
    table = read_subnational(folder)
    check_table(table)
    assert table.monetary_unit == "10 thousand CNY"
    assert table.source == str(folder)
    assert table.regions.tolist() == ["BJ", "TJ"]
    assert table.sectors.tolist() == ["01", "02"]


def test_x_is_flows_plus_final_demand_plus_exports(tmp_path) -> None:
    table = read_subnational(write_folder(tmp_path / "t"))
    exports = table.exports.groupby(["region", "sector"])["value"].sum()
    expected = Z.sum(axis=1) + Y.sum(axis=1) + exports.reindex(PRODUCERS, fill_value=0.0)
    np.testing.assert_array_equal(table.x.to_numpy(), expected.to_numpy())


def test_optional_files_and_the_unit_argument(tmp_path) -> None:
    folder = write_folder(tmp_path / "t")
    for name in ("satellite.csv", "concordance.csv", "table.toml"):
        (folder / name).unlink()
    table = read_subnational(folder, monetary_unit="CNY")
    assert table.F.shape == (0, 3) and table.F_Y.shape == (0, 3)
    assert table.concordance is None
    assert table.monetary_unit == "CNY"
    assert read_subnational(folder).monetary_unit == ""  # no table.toml, no argument
    (folder / "table.toml").write_text('monetary_unit = "USD"\n')
    assert read_subnational(folder, monetary_unit="CNY").monetary_unit == "CNY"  # overrides
    (folder / "table.toml").write_text('monetary_unit = "USD"\nunit = "CNY"\n')
    with pytest.raises(InputFileError, match=r"table.toml: unknown key\(s\) unit"):
        read_subnational(folder, monetary_unit="CNY")  # the file is checked all the same


def test_exports_without_partner_and_concordance_without_share(tmp_path) -> None:
    folder = write_folder(
        tmp_path / "t",
        exports_csv="region,sector,value\nBJ,01,105\nTJ,01,200\n",
        concordance_csv="sector,host_sector\n01,AGR\n02,MAN\n",
    )
    table = read_subnational(folder)
    assert table.exports["partner"].tolist() == ["", ""]
    assert table.x.tolist() == X
    assert table.concordance["share"].tolist() == [1.0, 1.0]


def test_gbk_encoded_labels(tmp_path) -> None:
    folder = write_folder(tmp_path / "t")
    (folder / "imports.csv").write_bytes("region,user,value\nBJ,01,1\nTJ,01,2\n".encode("gbk"))
    (folder / "exports.csv").write_bytes(
        "region,sector,partner,value\nBJ,01,美国,105\nTJ,01,,200\n".encode("gbk")
    )
    with pytest.raises(InputFileError, match=r"exports.csv: not UTF-8 text.*encoding"):
        read_subnational(folder)
    assert read_subnational(folder, encoding="gbk").exports["partner"].tolist() == ["美国", ""]


# -- errors: each names the file and the column, rows or labels ------------------------------

EXPORTS_CSV = "region,sector,partner,value\nBJ,01,USA,100\nBJ,01,JPN,5\nTJ,01,,200\n"
IMPORTS_CSV = "region,user,product,value\nBJ,01,AGR,11\nBJ,hh,,12\nTJ,01,MAN,13\n"
SATELLITE_CSV = "region,sector,stressor,value,unit\nBJ,01,CO2,1.5,t\nBJ,02,CO2,2.5,t\n"


@pytest.mark.parametrize(
    ("replace", "error", "pattern"),
    [
        ({"exports_csv": "region,value\nBJ,1\n"}, InputFileError,
         r"exports.csv: missing column\(s\) sector; it has region, value"),
        ({"imports_csv": "region,used_by,value\nBJ,01,1\n"}, InputFileError,
         r"imports.csv: missing column\(s\) user; it has region, used_by, value"),
        ({"exports_csv": EXPORTS_CSV.replace("JPN", "USA")}, LabelError,
         r"exports.csv: the same \(region, sector, partner\) appears more than once in "
         r"row\(s\) 2, 3"),
        ({"imports_csv": IMPORTS_CSV + "BJ,hh,,1\n"}, LabelError,
         r"imports.csv: the same \(region, user, product, partner\) .* row\(s\) 3, 5"),
        ({"exports_csv": EXPORTS_CSV.replace(",5\n", ",five\n")}, ValueCheckError,
         r"exports.csv: column 'value' has missing, non-numeric .* row\(s\) 3"),
        ({"exports_csv": EXPORTS_CSV.replace("TJ,01,,", ",01,,")}, ValueCheckError,
         r"exports.csv: empty 'region' in row\(s\) 4"),
        ({"exports_csv": EXPORTS_CSV.replace("TJ,01", "TJ,02")}, LabelError,
         r"exports.csv: unknown producers TJ/02"),
        ({"imports_csv": IMPORTS_CSV.replace("TJ,01", "TJ,gov")}, LabelError,
         r"imports.csv: users that are neither a sector nor a final-demand category of "
         r"their region: TJ/gov"),
        ({"satellite_csv": SATELLITE_CSV + "TJ,02,CO2,1,t\n"}, LabelError,
         r"satellite.csv: \(region, sector\) TJ/02 \(row\(s\) 4\) are neither producers nor "
         r"final-demand columns of Z.csv/Y.csv"),
        ({"satellite_csv": SATELLITE_CSV.replace("2.5,t", "2.5,kg")}, ValueCheckError,
         r"satellite.csv: stressor 'CO2' has several units: \['kg', 't'\]"),
        ({"satellite_csv": SATELLITE_CSV + "BJ,01,CO2,1,t\n"}, LabelError,
         r"satellite.csv: the same \(region, sector, stressor\) .* row\(s\) 2, 4"),
        ({"concordance_csv": "sector,host\n01,AGR\n"}, InputFileError,
         r"concordance.csv: missing column\(s\) host_sector; it has sector, host"),
        ({"concordance_csv": "sector,host_sector\n01,AGR\n01,AGR\n02,MAN\n"}, LabelError,
         r"concordance.csv: the same \(sector, host_sector\) .* row\(s\) 2, 3"),
        ({"concordance_csv": "sector,host_sector,share\n01,AGR,1\n02,MAN,0.5\n"},
         ValueCheckError, r"concordance.csv: the shares of each sector must sum to 1; they do "
         r"not for 02 \(0.5\)"),
        ({"concordance_csv": "sector,host_sector\n01,AGR\n"}, LabelError,
         r"concordance.csv: it must name every sector of the table and nothing else; "
         r"missing 02"),
        ({"Z_csv": ",,BJ,BJ,TJ\n,,01,02,01\nBJ,01,1,2,3\nBJ,02,4,5,6\nTJ,01,7,-8,9\n"},
         ValueCheckError, r"Z.csv: negative value\(s\) at TJ/01 x BJ/02"),
        ({"Y_csv": ",,BJ,TJ\n,,01,hh\nBJ,01,1,2\nBJ,02,3,4\nTJ,01,5,6\n"}, LabelError,
         r"Y.csv: final-demand categories named like a sector of their region: BJ/01"),
        ({"Y_csv": ",,BJ,BJ\n,,hh,gov\nBJ,01,1,2\nBJ,02,3,4\nTJ,01,5,6\n"}, LabelError,
         r"Y.csv: .*regions of Z.csv without columns: TJ"),
        ({"table_toml": "monetary_unit = 10\n"}, InputFileError,
         r"table.toml: monetary_unit must be text"),
        ({"table_toml": 'monetary_unit = "CNY"\ncurrency = "CNY"\n'}, InputFileError,
         r"table.toml: unknown key\(s\) currency; known: monetary_unit, name, year, source"),
    ],
    ids=["exports-column", "imports-column", "exports-duplicate", "imports-duplicate",
         "exports-text", "exports-blank", "exports-producer", "imports-user",
         "satellite-label", "satellite-units", "satellite-duplicate", "concordance-column",
         "concordance-duplicate", "concordance-shares", "concordance-sectors", "z-negative",
         "y-category-clash", "y-region", "toml-unit", "toml-key"],
)  # fmt: skip
def test_errors_name_the_file_and_the_column_row_or_label(tmp_path, replace, error, pattern):
    folder = write_folder(tmp_path / "t", **replace)
    with pytest.raises(error, match=pattern) as caught:
        read_subnational(folder)
    assert str(caught.value).startswith(str(folder))
    assert "\n" not in str(caught.value)


def test_missing_folder_and_files(tmp_path) -> None:
    with pytest.raises(MissingFileError, match=r"nowhere: no such folder"):
        read_subnational(tmp_path / "nowhere")
    folder = write_folder(tmp_path / "t")
    with pytest.raises(InputFileError, match=r"Z.csv: is a file; .* from the folder"):
        read_subnational(folder / "Z.csv")
    (folder / "exports.csv").unlink()
    (folder / "imports.csv").unlink()
    with pytest.raises(
        MissingFileError,
        match=r"t: no exports or imports table \(exports: one of exports.csv, exports.csv.gz, "
        r".*exports.parquet; imports: one of imports.csv, .*imports.parquet\)",
    ):
        read_subnational(folder)


def test_parquet_labels_written_as_numbers_read_as_text(tmp_path) -> None:
    folder = write_folder(tmp_path / "t", ".parquet")
    pd.DataFrame({"region": ["BJ", "TJ"], "sector": [1, 1], "value": [105.0, 200.0]}).to_parquet(
        folder / "exports.parquet"
    )
    with pytest.raises(LabelError, match=r"exports.parquet: unknown producers BJ/1, TJ/1"):
        read_subnational(folder)  # 1 is not 01: codes are compared as text
    numbered = {"Z": Z, "Y": Y}
    for name, frame in numbered.items():
        renamed = frame.rename(index={"01": 1, "02": 2}, level="sector")
        if name == "Z":
            renamed = renamed.rename(columns={"01": 1, "02": 2}, level="sector")
        renamed.to_parquet(folder / f"{name}.parquet")
    for name in ("imports", "satellite", "concordance"):
        (folder / f"{name}.parquet").unlink()
    (folder / "imports.csv").write_text("region,user,value\nBJ,1,1\n")
    table = read_subnational(folder)
    assert table.producers.tolist() == [("BJ", "1"), ("BJ", "2"), ("TJ", "1")]


# -- SubnationalTable.from_tables: checks of its own -----------------------------------------


def test_from_tables_refuses_repeated_exports_and_names_the_rows() -> None:
    twice = pd.concat([EXPORTS, EXPORTS.iloc[[0]]])
    with pytest.raises(
        LabelError,
        match=r"^t: exports: the same \(region, sector, partner\) .* BJ/01/USA "
        r"\(row\(s\) 1, 4, counted from 1\)",
    ):
        SubnationalTable.from_tables(Z, Y, twice, IMPORTS, source="t")


def test_from_tables_names_the_producers_that_differ() -> None:
    with pytest.raises(
        LabelError,
        match=r"Z: index and columns .* index only: TJ/01; columns "
        r"only: TJ/02",
    ):
        SubnationalTable.from_tables(
            Z.set_axis(
                pd.MultiIndex.from_tuples([("BJ", "01"), ("BJ", "02"), ("TJ", "02")]), axis=1
            ),
            Y,
            EXPORTS,
            IMPORTS,
        )
    with pytest.raises(LabelError, match=r"Y: its index and Z's .* Y only: none; Z only: TJ/01"):
        SubnationalTable.from_tables(Z, Y.iloc[:2], EXPORTS, IMPORTS)


# -- CEADs workbooks: two provinces x two sectors, written cell by cell ----------------------

PROVINCES = ["Beijing", "Tianjin"]
SECTORS = [("01", "Agriculture"), ("02", "Mining")]
CATEGORIES = ["FU101", "FU102", "FU103", "FU201", "FU202"]
CEADS_PRODUCERS = pd.MultiIndex.from_product([PROVINCES, ["01", "02"]])
CEADS_Z = np.array([[10, 5, 2, 1], [4, 20, 1, 3], [2, 1, 15, 6], [1, 2, 5, 25]], dtype=float)
CEADS_Y = np.array(  # per row: Beijing's five categories, then Tianjin's
    [
        [3, 7, 2, 5, 1, 1, 1, 0, 0, 0],  # 20
        [2, 8, 3, 6, -1, 0, 2, 1, 1, 0],  # 22 (a draw on inventories)
        [1, 1, 0, 0, 0, 4, 6, 2, 5, 2],  # 21
        [0, 2, 1, 1, 0, 3, 9, 4, 7, 1],  # 28
    ],
    dtype=float,
)
CEADS_EXPORTS = [12.0, 0.0, 5.0, 9.0]
CEADS_ERRORS = [0.5, -0.5, 0.0, 1.0]
#: Z·1 + Y·1 + exports + errors: 18 + 20 + 12 + 0.5, 28 + 22 + 0 - 0.5, 24 + 21 + 5, 33 + 28 + 9 + 1
CEADS_OUTPUT = [50.5, 49.5, 50.0, 71.0]
CEADS_IMPORTS_Z = [3.0, 4.0, 2.0, 6.0]
CEADS_IMPORTS_Y = [1.0, 2.0, 0.5, 3.0, 0.0, 1.0, 1.0, 0.0, 2.0, 0.0]


def write_ceads(path: Path, cells: dict[str, object] | None = None, sheets=("Note",)) -> Path:
    """The CEADs English sheet in miniature (columns D-G: Z, H: TIU, I-R: Y, S: EX, T: TFU,
    U: ERR, V: GO, W: a check column; rows 5-8 producers, 9: IM, 10-15 value added, 16: TI);
    ``cells`` overwrites cells by address."""
    book = openpyxl.Workbook()
    book.active.title = sheets[0]
    for name in sheets[1:]:
        book.create_sheet(name)
    sheet = book.create_sheet("Table_2017_English Version")
    sheet["A1"] = "China 2017 multi-regional input-output table (10 thousand CNY)"
    for p, province in enumerate(PROVINCES):
        sheet.cell(2, 4 + 2 * p, province)
        sheet.merge_cells(start_row=2, start_column=4 + 2 * p, end_row=2, end_column=5 + 2 * p)
        sheet.cell(2, 9 + 5 * p, province)
        sheet.merge_cells(start_row=2, start_column=9 + 5 * p, end_row=2, end_column=13 + 5 * p)
        sheet.cell(5 + 2 * p, 1, province)
        sheet.merge_cells(start_row=5 + 2 * p, start_column=1, end_row=6 + 2 * p, end_column=1)
        for s, (code, name) in enumerate(SECTORS):
            sheet.cell(3, 4 + 2 * p + s, name)
            sheet.cell(4, 4 + 2 * p + s, code)
            sheet.cell(5 + 2 * p + s, 2, name)
            sheet.cell(5 + 2 * p + s, 3, code)
        for c, code in enumerate(CATEGORIES):
            sheet.cell(3, 9 + 5 * p + c, f"category {code}")
            sheet.cell(4, 9 + 5 * p + c, code)
    tail = {8: "TIU", 19: "EX", 20: "TFU", 21: "ERR", 22: "GO"}
    for column, code in tail.items():
        sheet.cell(4, column, code)
    sheet.cell(3, 23, "Check")
    for i in range(4):
        row = 5 + i
        for j in range(4):
            sheet.cell(row, 4 + j, CEADS_Z[i, j])
        sheet.cell(row, 8, CEADS_Z[i].sum())
        for j in range(10):
            sheet.cell(row, 9 + j, CEADS_Y[i, j])
        sheet.cell(row, 19, CEADS_EXPORTS[i])
        sheet.cell(row, 20, CEADS_Y[i].sum() + CEADS_EXPORTS[i])
        sheet.cell(row, 21, CEADS_ERRORS[i])
        sheet.cell(row, 22, CEADS_OUTPUT[i])
        sheet.cell(row, 23, "ok")
    value_added = np.array(CEADS_OUTPUT) - CEADS_Z.sum(axis=0) - CEADS_IMPORTS_Z
    bottom = {
        9: ("Imports", "IM", [*CEADS_IMPORTS_Z, 0.0, *CEADS_IMPORTS_Y]),
        10: ("Total intermediate input", "TII", list(CEADS_Z.sum(axis=0) + CEADS_IMPORTS_Z)),
        11: ("Compensation of employees", "VA001", list(value_added)),
        12: ("Net taxes on production", "VA002", [0.0] * 4),
        13: ("Depreciation of fixed capital", "VA003", [0.0] * 4),
        14: ("Operating surplus", "VA004", [0.0] * 4),
        15: ("Total value added", "TVA", list(value_added)),
        16: ("Total input", "TI", CEADS_OUTPUT),
    }
    for row, (name, code, values) in bottom.items():
        sheet.cell(row, 2, name)
        sheet.cell(row, 3, code)
        for j, value in enumerate(values):
            sheet.cell(row, 4 + j, value)
    for address, value in (cells or {}).items():
        sheet[address] = value
    book.save(path)
    return path


def test_ceads_workbook_reads_back_every_block(tmp_path) -> None:
    table = read_ceads(write_ceads(tmp_path / "MRIO 2017.xlsx"))
    assert table.producers.tolist() == CEADS_PRODUCERS.tolist()
    np.testing.assert_array_equal(table.Z.to_numpy(), CEADS_Z)
    demand = [(p, c) for p in PROVINCES for c in [*CATEGORIES, "ERR"]]
    assert table.Y.columns.tolist() == demand
    errors = np.array([[0.5, 0], [-0.5, 0], [0, 0], [0, 1.0]])  # own region's ERR column
    expected_y = np.hstack([CEADS_Y[:, :5], errors[:, :1], CEADS_Y[:, 5:], errors[:, 1:]])
    np.testing.assert_array_equal(table.Y.to_numpy(), expected_y)
    assert table.exports.to_dict("list") == {
        "region": ["Beijing", "Beijing", "Tianjin", "Tianjin"],
        "sector": ["01", "02", "01", "02"],
        "partner": ["", "", "", ""],
        "value": CEADS_EXPORTS,
    }
    users = [*CEADS_PRODUCERS.tolist(), *[(p, c) for p in PROVINCES for c in CATEGORIES]]
    assert list(zip(table.imports["region"], table.imports["user"], strict=True)) == users
    assert table.imports["value"].tolist() == [*CEADS_IMPORTS_Z, *CEADS_IMPORTS_Y]
    assert table.x.tolist() == CEADS_OUTPUT  # the printed total output, errors included
    assert table.monetary_unit == "10 thousand CNY"
    assert table.F.shape == (0, 4) and table.concordance is None


def test_ceads_errors_dropped_leave_x_short_of_total_output(tmp_path) -> None:
    path = write_ceads(tmp_path / "t.xlsx")
    with pytest.warns(BalanceWarning) as caught:
        table = read_ceads(path, other="drop")
    assert table.x.tolist() == [50.0, 50.0, 50.0, 70.0]
    assert "ERR" not in table.Y.columns.get_level_values(1)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2  # total output column V, total input row 16
    assert (
        "total output (column V) differs from Z·1 + Y·1 + exports (the ERR column left "
        in (messages[0])
    )
    assert messages[0].endswith(
        "largest gaps (printed minus sum): Tianjin/02 +1, Beijing/01 +0.5, Beijing/02 -0.5"
    )
    assert "total input (row 16)" in messages[1]


def test_ceads_totals_that_disagree_name_the_producer(tmp_path) -> None:
    path = write_ceads(tmp_path / "t.xlsx", {"V8": 72.0, "F16": 49.0})
    with pytest.warns(BalanceWarning) as caught:
        read_ceads(path)
    messages = [str(w.message) for w in caught]
    assert messages[0].startswith(f"{path}, sheet 'Table_2017_English Version': total output ")
    assert messages[0].endswith("largest gaps (printed minus sum): Tianjin/02 +1")
    assert "total input (row 16)" in messages[1]
    assert messages[1].endswith("largest gaps (printed minus sum): Tianjin/01 -1")


def test_ceads_columns_right_of_total_output_are_not_read(tmp_path) -> None:
    path = write_ceads(tmp_path / "t.xlsx", {"W4": "FU101", "X4": "notes", "X5": "text"})
    table = read_ceads(path)
    assert table.Y.shape == (4, 12) and table.x.tolist() == CEADS_OUTPUT


def test_ceads_satellite_concordance_and_codes_written_as_numbers(tmp_path) -> None:
    # codes as numbers in the header, as text in the rows: both read as text "1", "2"
    cells = {f"{c}4": n for c, n in zip("DEFG", [1, 2, 1, 2], strict=True)}
    cells.update({"C5": "1", "C6": "2", "C7": "1", "C8": "2"})
    path = write_ceads(tmp_path / "t.xlsx", cells)
    satellite = pd.DataFrame(
        {
            "region": ["Beijing", "Tianjin", "Beijing"],
            "sector": ["1", "2", "FU102"],
            "stressor": "CO2",
            "value": [4.0, 6.0, 0.5],
            "unit": "Mt",
        }
    )
    concordance = tmp_path / "concordance.csv"
    concordance.write_text("sector,host_sector,share\n1,AGR,1\n2,MIN,0.5\n2,ENE,0.5\n")
    table = read_ceads(path, satellite=satellite, concordance=concordance)
    assert table.sectors.tolist() == ["1", "2"]
    assert table.F.loc["CO2"].tolist() == [4.0, 0.0, 0.0, 6.0]
    assert table.F_Y.loc["CO2", ("Beijing", "FU102")] == 0.5
    assert table.F_Y.to_numpy().sum() == 0.5
    assert table.units.to_dict() == {"CO2": "Mt"}
    assert table.concordance["share"].tolist() == [1.0, 0.5, 0.5]


def test_ceads_layout_of_another_edition(tmp_path) -> None:
    """No title, sector names as labels, two categories, no errors or totals, no imports."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "MRIO"
    rows = [
        ["", "", "North", "", "South", "", "North", "", "South", "", ""],
        ["", "", "farm", "mill", "farm", "mill", "hh", "gfcf", "hh", "gfcf", "exports"],
        ["North", "farm", 1, 2, 3, 4, 10, 0, 1, 0, 7],
        ["", "mill", 5, 6, 7, 8, 20, 5, 2, 1, 0],
        ["South", "farm", 9, 10, 11, 12, 0, 0, 30, 0, 8],
        ["", "mill", 13, 14, 15, None, 1, 2, 40, 9, 9],  # a blank cell is 0
    ]
    for row in rows:
        sheet.append([None if v == "" else v for v in row])
    book.save(tmp_path / "t.xlsx")
    layout = {
        "region_row": 1,
        "label_row": 2,
        "region_column": "A",
        "label_column": "B",
        "categories": ["hh", "gfcf"],
        "exports": "exports",
        "other": None,
        "total_output": None,
        "subtotals": [],
        "imports": None,
        "total_input": None,
    }
    table = read_ceads(tmp_path / "t.xlsx", layout=layout, monetary_unit="EUR")
    assert table.producers.tolist() == [
        ("North", "farm"), ("North", "mill"), ("South", "farm"), ("South", "mill")
    ]  # fmt: skip
    assert table.Z.to_numpy()[3].tolist() == [13.0, 14.0, 15.0, 0.0]
    assert table.Y.columns.tolist() == [
        ("North", "hh"), ("North", "gfcf"), ("South", "hh"), ("South", "gfcf")
    ]  # fmt: skip
    assert table.x.tolist() == [28.0, 54.0, 80.0, 103.0]
    assert table.imports.empty and table.monetary_unit == "EUR"
    assert read_ceads(tmp_path / "t.xlsx", layout=CeadsLayout(**layout)).x.tolist() == [
        28.0, 54.0, 80.0, 103.0
    ]  # fmt: skip


SHEET = r"t.xlsx, sheet 'Table_2017_English Version': "


@pytest.mark.parametrize(
    ("cells", "error", "pattern"),
    [
        ({"K4": "FU109"}, LabelError,
         SHEET + r"column label\(s\) 'FU109' \(K4\) are not in the layout: neither final "
         r"demand \(FU101, .*add them to the layout's categories or subtotals"),
        ({"S4": None}, LabelError,
         SHEET + r"no exports column: no cell of row 4 right of the intermediate block reads "
         r"'EX'; it has TIU, FU101, FU102, FU103, FU201, FU202, TFU, ERR, GO$"),
        ({"E6": "n/a", "F7": "-"}, ValueCheckError,
         SHEET + r"2 cell\(s\) of the intermediate block are not numbers: E6 = 'n/a', "
         r"F7 = '-'; write 0 or leave the cell blank for none"),
        ({"K7": "-"}, ValueCheckError,
         SHEET + r"1 cell\(s\) of the final-demand columns are not numbers: K7 = '-'"),
        ({"C8": "03"}, LabelError,
         SHEET + r"no row for producer\(s\) Tianjin/02: every producer .* region in column A "
         r"and its sector in column C"),
        ({"C15": "IM"}, LabelError,
         SHEET + r"row label\(s\) given more than once: IM \(rows 9, 15\)"),
        ({"C9": "IMP"}, LabelError, SHEET + r"no imports row: no cell of column C below row 4 "
         r"reads 'IM'"),
        ({"G4": "01"}, LabelError,
         SHEET + r"producer\(s\) Tianjin/01 label more than one column: F, G"),
        ({"N2": None}, LabelError,
         SHEET + r"final-demand column\(s\) Beijing/FU101.* label more than one column"),
        ({"D4": None}, LabelError, SHEET + r"no intermediate block: cell D4 \(row 4"),
        ({"E5": -1.0}, ValueCheckError,
         SHEET[:-2] + r", intermediate block: negative value\(s\) at Beijing/01 x Beijing/02"),
    ],
    ids=["unknown-column", "no-exports", "z-text", "y-text", "row-missing", "imports-twice",
         "no-imports", "z-duplicate", "y-duplicate", "no-z", "z-negative"],
)  # fmt: skip
def test_ceads_errors_name_the_sheet_and_cells(tmp_path, cells, error, pattern) -> None:
    path = write_ceads(tmp_path / "t.xlsx", cells)
    with pytest.raises(error, match=pattern) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)
        read_ceads(path)
    assert "\n" not in str(caught.value)


def test_ceads_sheet_choice_and_layout_errors(tmp_path) -> None:
    path = write_ceads(tmp_path / "t.xlsx", sheets=("Table_2017", "Table_2017_English"))
    with pytest.raises(
        InputFileError,
        match=r"t.xlsx: which sheet holds the table\? it has "
        r"'Table_2017', 'Table_2017_English', 'Table_2017_English Version'",
    ):
        read_ceads(path)
    with pytest.raises(InputFileError, match=r"t.xlsx: no sheet 'Table' \(the CEADs MRIO table\)"):
        read_ceads(path, sheet="Table")
    assert read_ceads(path, sheet="Table_2017_English Version").x.tolist() == CEADS_OUTPUT
    with pytest.raises(ConfigError, match=r"CeadsLayout: unknown field\(s\) header_row"):
        read_ceads(path, layout={"header_row": 3})
    with pytest.raises(ConfigError, match=r"CeadsLayout.label_column: column letters"):
        CeadsLayout(label_column="3")
    with pytest.raises(ConfigError, match=r"CeadsLayout: column label\(s\) \['EX'\] given two"):
        CeadsLayout(categories=("FU101", "EX"))
    with pytest.raises(ConfigError, match=r"other: .*'final_demand'"):
        read_ceads(path, other="keep")
