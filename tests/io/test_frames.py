"""Excel cells as written and small TOML files: positions map to addresses, errors name the file."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from gridfoot.errors import InputFileError, MissingFileError
from gridfoot.io.frames import excel_sheet_names, read_excel_cells, read_parquet
from gridfoot.io.text import read_toml


def test_cells_keep_their_sheet_positions(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Table"
    sheet["C3"], sheet["D4"], sheet["C5"], sheet["D5"] = "Beijing", 1.5, 2, "n/a"
    sheet.merge_cells("C3:D3")  # only the first cell of a merge holds the value
    book.create_sheet("Note")["A1"] = "about"
    book.save(tmp_path / "t.xlsx")

    assert excel_sheet_names(tmp_path / "t.xlsx") == ["Table", "Note"]
    cells = read_excel_cells(tmp_path / "t.xlsx", "Table")
    assert cells.shape == (5, 4)  # leading blank rows and columns are kept
    assert (cells.iat[2, 2], cells.iat[3, 3], cells.iat[4, 2]) == ("Beijing", 1.5, 2)
    assert cells.iat[4, 3] == "n/a"  # text, not a missing value
    assert cells.iloc[:2].isna().all().all() and cells.isna().iat[2, 3]


def test_workbook_errors_name_the_file_and_the_sheets(tmp_path):
    openpyxl.Workbook().save(tmp_path / "t.xlsx")
    with pytest.raises(
        InputFileError, match=r"t.xlsx: no sheet 'Table_2017' \(the MRIO\); it has 'Sheet'"
    ):
        read_excel_cells(tmp_path / "t.xlsx", "Table_2017", what="the MRIO")
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputFileError, match=r"t.csv: not a readable Excel workbook"):
        excel_sheet_names(tmp_path / "t.csv")
    with pytest.raises(MissingFileError, match=r"none.xlsx: no such file"):
        read_excel_cells(tmp_path / "none.xlsx", "Sheet")


def test_toml_errors_name_the_file(tmp_path):
    path = tmp_path / "table.toml"
    path.write_bytes('\ufeffmonetary_unit = "CNY"\n'.encode())
    assert read_toml(path) == {"monetary_unit": "CNY"}
    path.write_text("monetary_unit = CNY\n")
    with pytest.raises(InputFileError, match=r"table.toml: not valid TOML \(the metadata\) \("):
        read_toml(path, what="the metadata")
    path.write_bytes('name = "北京"\n'.encode("gbk"))
    with pytest.raises(InputFileError, match=r"table.toml: not UTF-8 text"):
        read_toml(path)
    with pytest.raises(MissingFileError, match=r"none.toml: no such file"):
        read_toml(tmp_path / "none.toml")


def _wide(rows: int, columns: int, seed: int = 0) -> pd.DataFrame:
    labels = pd.MultiIndex.from_product(
        [["R1", "R2"], [f"s{i:02d}" for i in range(columns // 2)]], names=["region", "sector"]
    )
    values = np.random.default_rng(seed).gamma(0.5, 10.0, (rows, columns))
    return pd.DataFrame(values, index=labels[:rows], columns=labels[:columns])


@pytest.mark.parametrize("at_once", [1, 3, 1_000])
def test_a_wide_numeric_parquet_reads_as_pandas_does_in_column_batches(
    tmp_path, monkeypatch, at_once
):
    """The batched reader gives pandas' frame exactly (labels, values, dtypes), whatever the
    batch size, as one block in Fortran order (no copy when its values are taken)."""
    import gridfoot.io.frames as frames

    monkeypatch.setattr(frames, "_COLUMNS_AT_ONCE", at_once)
    table = _wide(8, 8)
    table.iloc[2, 5] = np.nan  # a missing value stays NaN, for the readers to name
    table["R2", "s03"] = np.arange(8)  # an integer column becomes float64
    table.to_parquet(tmp_path / "Z.parquet")
    read = read_parquet(tmp_path / "Z.parquet")
    expected = pd.read_parquet(tmp_path / "Z.parquet").astype(float)
    pd.testing.assert_frame_equal(read, expected, check_exact=True)
    assert read.to_numpy().flags.f_contiguous and np.shares_memory(read.to_numpy(), read.values)


def test_other_parquet_tables_go_through_pandas(tmp_path):
    """A text column or a file without pandas' metadata is read by pandas as it is."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    mixed = pd.DataFrame({"region": ["A", "B"], "value": [1.0, 2.0], "unit": ["t", "t"]})
    mixed.to_parquet(tmp_path / "mixed.parquet", index=False)
    pd.testing.assert_frame_equal(read_parquet(tmp_path / "mixed.parquet"), mixed)
    pq.write_table(pa.table({"a": [1.0, 2.0], "b": [3.0, 4.0]}), tmp_path / "bare.parquet")
    pd.testing.assert_frame_equal(
        read_parquet(tmp_path / "bare.parquet"), pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    )
