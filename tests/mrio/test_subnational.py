"""Sub-national tables: the folder reader and the CEADs workbook reader, on tables small enough
to check by hand; every error names the file (or sheet and cell) and the column, row or label."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridfoot.errors import InputFileError, LabelError, MissingFileError, ValueCheckError
from gridfoot.mrio.subnational import SubnationalTable
from gridfoot.mrio.subnational_readers import read_subnational

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
