"""Reading MRIO tables from folders: layouts, satellite accounts, and errors that name the file."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridfoot import footprint, read_mrio, read_satellite
from gridfoot.datasets import sample_data_dir, sample_mrio
from gridfoot.errors import BalanceWarning, InputFileError, LabelError, ValueCheckError
from gridfoot.mrio import read_countries


def write_tables(mrio, folder: Path, suffix: str = ".csv") -> Path:
    """Write an MRIO in the documented table layout (wide Z/Y, long satellite)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("Z", "Y"):
        table = getattr(mrio, name)
        if suffix == ".parquet":
            table.to_parquet(folder / f"{name}.parquet")
        else:
            table.to_csv(folder / f"{name}{suffix}")
    long = mrio.F.T.stack().rename("value").reset_index()
    household = mrio.F_Y.T.stack().rename("value").reset_index()
    household = household.rename(columns={"category": "sector"})
    satellite = pd.concat([long, household])
    satellite["unit"] = satellite["stressor"].map(mrio.units)
    satellite.to_csv(folder / "satellite.csv", index=False)
    return folder


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_table_folder_round_trip(tmp_path, suffix) -> None:
    original = sample_mrio()
    folder = write_tables(original, tmp_path / "tables", suffix)
    again = read_mrio(folder, countries=dict(original.countries))
    pd.testing.assert_frame_equal(again.Z, original.Z)
    pd.testing.assert_frame_equal(again.Y, original.Y)
    pd.testing.assert_frame_equal(again.F, original.F)
    pd.testing.assert_frame_equal(again.F_Y, original.F_Y)
    assert again.units.to_dict() == {"CO2": "t"}


def test_sample_folder_reads_countries_file() -> None:
    mrio = read_mrio(sample_data_dir() / "mrio")
    assert set(mrio.countries[mrio.countries == "MER"].index) >= {"HAI", "GAO"}
    assert mrio.F_Y.loc["CO2"].xs("CONS_h", level="category").gt(0).all()


def test_explicit_file_names_and_gross_output(tmp_path) -> None:
    original = sample_mrio()
    folder = write_tables(original, tmp_path / "t")
    (folder / "Z.csv").rename(folder / "flows.csv")
    x = original.x.rename("x").reset_index()
    x.to_csv(folder / "output.csv", index=False)
    read = read_mrio(folder, files={"Z": "flows.csv", "x": "output.csv"})
    assert read.x_source == "given"
    np.testing.assert_allclose(read.x, original.x, rtol=1e-12)
    assert (
        read_mrio(folder, files={"Z": "flows.csv", "x": "output.csv"}, x="balanced").x_source
        == "balanced"
    )


def _satellite(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "satellite.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_satellite_options_rename_filter_and_final_demand(tmp_path) -> None:
    path = _satellite(
        tmp_path,
        [
            {"country": "ROU", "year": 2009, "code": "secE", "kt": 5.0},
            {"country": "ROU", "year": 2008, "code": "secE", "kt": 4.0},
            {"country": "ROU", "year": 2009, "code": "FC_HH", "kt": 1.5},
        ],
    )
    tidy = read_satellite(
        path,
        region="country",
        sector="code",
        value="kt",
        stressor_name="CO2",
        unit_name="kt",
        where={"year": 2009},
        rename_regions={"ROU": "ROM"},
        final_demand={"FC_HH": "CONS_h"},
    )
    assert tidy.to_dict("list") == {
        "region": ["ROM", "ROM"],
        "sector": ["secE", "CONS_h"],
        "stressor": ["CO2", "CO2"],
        "value": [5.0, 1.5],
        "unit": ["kt", "kt"],
    }


@pytest.mark.parametrize(
    ("rows", "options", "error", "pattern"),
    [
        (
            [{"region": "A", "sector": "s", "value": 1.0}],
            {},
            InputFileError,
            r"missing column\(s\) stressor; it has region, sector, value",
        ),
        (
            [
                {"region": "A", "sector": "s", "stressor": "CO2", "value": "x"},
                {"region": "A", "sector": "t", "stressor": "CO2", "value": 2},
            ],
            {},
            ValueCheckError,
            r"column 'value' has missing, non-numeric or infinite values in row\(s\) 2",
        ),
        (
            [
                {"region": "A", "sector": "s", "stressor": "CO2", "value": 1},
                {"region": "A", "sector": "s", "stressor": "CO2", "value": 2},
            ],
            {},
            LabelError,
            r"appears more than once in row\(s\) 2, 3",
        ),
        (
            [{"region": "A", "sector": "s", "stressor": "CO2", "value": 1, "year": 1}],
            {"where": {"year": 2}},
            ValueCheckError,
            "no rows with year == 2",
        ),
    ],
    ids=["missing-column", "not-a-number", "duplicate", "empty-filter"],
)
def test_satellite_errors_name_the_file_column_and_rows(tmp_path, rows, options, error, pattern):
    path = _satellite(tmp_path, rows)
    with pytest.raises(error, match=pattern) as caught:
        read_satellite(path, **options)
    assert str(path) in str(caught.value)


def test_satellite_labels_outside_the_table_are_errors_unless_all_zero(tmp_path) -> None:
    original = sample_mrio()
    folder = write_tables(original, tmp_path / "t")
    satellite = pd.read_csv(folder / "satellite.csv")
    extra = pd.DataFrame(
        [{"region": "HAI", "sector": "secQ", "stressor": "CO2", "value": 0.0, "unit": "t"}]
    )
    pd.concat([satellite, extra]).to_csv(folder / "satellite.csv", index=False)
    pd.testing.assert_frame_equal(read_mrio(folder).F, original.F)  # all-zero row ignored

    extra["value"] = 3.0
    extra["region"] = "ROU"
    pd.concat([satellite, extra]).to_csv(folder / "satellite.csv", index=False)
    with pytest.raises(
        LabelError, match=r"satellite.csv: region\(s\) ROU \(row\(s\) 290\).*rename_regions"
    ):
        read_mrio(folder)

    extra["region"] = "HAI"  # a known region: the sector is what the tables lack
    pd.concat([satellite, extra]).to_csv(folder / "satellite.csv", index=False)
    with pytest.raises(
        LabelError, match=r"satellite.csv: sector\(s\) secQ .*final_demand"
    ) as caught:
        read_mrio(folder)
    assert "rename_regions" not in str(caught.value)


def test_folder_errors_name_what_is_missing(tmp_path) -> None:
    with pytest.raises(InputFileError, match="no such folder"):
        read_mrio(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="no Z table"):
        read_mrio(tmp_path / "empty")
    folder = write_tables(sample_mrio(), tmp_path / "t")
    with pytest.raises(InputFileError, match=r"flows.csv: no such file"):
        read_mrio(folder, files={"Z": "flows.csv"})
    with pytest.raises(InputFileError, match="unknown table name"):
        read_mrio(folder, files={"Q": "q.csv"})
    (folder / "satellite.csv").unlink()
    with pytest.raises(InputFileError, match="no emissions"):
        read_mrio(folder)


def test_table_errors_name_the_folder_and_files(tmp_path) -> None:
    folder = write_tables(sample_mrio(), tmp_path / "t")
    Z = pd.read_csv(folder / "Z.csv", header=[0, 1], index_col=[0, 1])
    Z.iloc[3, 4] = -2.0
    Z.to_csv(folder / "Z.csv")
    with pytest.raises(
        ValueCheckError, match=r"Z.csv: 1 negative value\(s\) at \(HAI/TEX x HAI/CHE\)"
    ):
        read_mrio(folder)


def test_countries_from_a_file(tmp_path) -> None:
    original = sample_mrio()
    folder = write_tables(original, tmp_path / "t")
    path = tmp_path / "groups.csv"
    pd.DataFrame({"region": original.regions, "country": "WORLD"}).to_csv(path, index=False)
    result = footprint(read_mrio(folder, countries=path))
    assert float(result.eee.sum()) == 0.0  # one country: no foreign trade


# -- a 2-region, 1-sector folder written by hand: every error names the file at fault --------

TINY = {
    "Z.csv": "region,,A,B\nsector,,s,s\nregion,sector,,\nA,s,10,20\nB,s,5,15\n",
    "Y.csv": "region,,A,B\ncategory,,hh,hh\nregion,sector,,\nA,s,50,20\nB,s,30,50\n",
    "satellite.csv": "region,sector,stressor,value,unit\nA,s,CO2,100,t\nB,s,CO2,50,t\n",
}


def tiny(folder: Path, **replace: str) -> Path:
    """The tiny folder, with files replaced by ``replace`` (``Z_csv="..."``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**TINY, **{k.replace("_", "."): v for k, v in replace.items()}}.items():
        (folder / name).write_text(text)
    return folder


def test_tiny_folder_reads_with_balanced_output(tmp_path) -> None:
    mrio = read_mrio(tiny(tmp_path))
    assert mrio.x.tolist() == [100.0, 100.0]  # 10 + 20 + 50 + 20, 5 + 15 + 30 + 50
    assert mrio.F.loc["CO2"].tolist() == [100.0, 50.0]


def test_numeric_codes_keep_their_leading_zeros(tmp_path) -> None:
    # sector "01" in the header rows, the index columns and the satellite alike (CEADs codes)
    zeros = {k.replace(".", "_"): v.replace(",s,", ",01,") for k, v in TINY.items()}
    zeros["Z_csv"] = zeros["Z_csv"].replace("sector,,01,s", "sector,,01,01")
    mrio = read_mrio(tiny(tmp_path, **zeros))
    assert mrio.producers.tolist() == [("A", "01"), ("B", "01")]
    assert mrio.F.loc["CO2"].tolist() == [100.0, 50.0]


def test_semicolons_and_decimal_commas_read_like_commas(tmp_path) -> None:
    semicolons = {name.replace(".", "_"): text.replace(",", ";") for name, text in TINY.items()}
    semicolons["satellite_csv"] = semicolons["satellite_csv"].replace("100", "99,5")
    mrio = read_mrio(tiny(tmp_path, **semicolons))
    assert mrio.x.tolist() == [100.0, 100.0]
    assert mrio.F.loc["CO2"].tolist() == [99.5, 50.0]


def test_gbk_tables_read_with_the_encoding_option(tmp_path) -> None:
    folder = tiny(tmp_path)
    (folder / "countries.csv").write_bytes("region,country\nA,中国\nB,中国\n".encode("gbk"))
    with pytest.raises(InputFileError, match=r"countries.csv: not UTF-8 text.*encoding"):
        read_mrio(folder)
    assert read_mrio(folder, encoding="gbk").countries.tolist() == ["中国", "中国"]


@pytest.mark.parametrize(
    ("replace", "error", "pattern"),
    [
        ({"Z_csv": TINY["Z.csv"].replace("B,s,5", "A,s,5")}, LabelError,
         r"Z.csv: row label\(s\) A/s appear more than once"),
        ({"Z_csv": TINY["Z.csv"].replace("sector,,s,s", "sector,,s,t")}, LabelError,
         r"Z.csv: rows and columns .* column\(s\) without a row: B/t; row\(s\) without a "
         r"column: B/s"),
        ({"Y_csv": TINY["Y.csv"].replace("region,,A,B", "region,,A,b")}, LabelError,
         r"Y.csv: .*column region\(s\) not in Z.csv: b; regions of Z.csv without columns: B"),
        ({"Y_csv": TINY["Y.csv"].replace("B,s,30", "C,s,30")}, LabelError,
         r"Y.csv: its rows .* row\(s\) not in Z.csv: C/s; producers of Z.csv without a row: B/s"),
        ({"Z_csv": TINY["Z.csv"].replace("B,s,5", "B,s,five")}, ValueCheckError,
         r"Z.csv: 1 empty \(NaN\), non-numeric .* \(B/s x A/s\) = 'five'"),
        ({"Y_csv": TINY["Y.csv"].replace("A,s,50,", "A,s,,")}, ValueCheckError,
         r"Y.csv: 1 empty .* \(A/s x A/hh\)"),
        ({"Y_csv": "region,,A,B\ncategory,,hh,hh\n"}, InputFileError, r"Y.csv: no data rows"),
        ({"Z_csv": "region sector A B\n"}, InputFileError, r"Z.csv: only 1 column\(s\)"),
        ({"satellite_csv": TINY["satellite.csv"].replace("B,s", ",s")}, ValueCheckError,
         r"satellite.csv: empty region/sector/stressor label in row\(s\) 3"),
        ({"satellite_csv": TINY["satellite.csv"].replace("B,s", "C,s")}, LabelError,
         r"satellite.csv: region\(s\) C \(row\(s\) 3\) are not regions of Z.csv/Y.csv"),
    ],
    ids=["z-duplicate-row", "z-rows-vs-columns", "y-column-region", "y-rows", "z-text",
         "y-empty-cell", "y-header-only", "z-one-column", "satellite-blank",
         "satellite-region"],
)  # fmt: skip
def test_tiny_folder_errors_name_the_file_and_label(tmp_path, replace, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        read_mrio(tiny(tmp_path, **replace))


def test_z_and_y_are_checked_before_the_satellite(tmp_path) -> None:
    # Z and Y relabel A as AA; the satellite still says A: the satellite is the odd one out,
    # but a wrong Y must be blamed before the satellite is looked at.
    relabelled = {k: TINY[k.replace("_", ".")].replace("A", "AA") for k in ("Z_csv", "Y_csv")}
    folder = tiny(tmp_path, **relabelled)
    with pytest.raises(LabelError, match=r"satellite.csv: region\(s\) A .*rename_regions"):
        read_mrio(folder)
    (folder / "Y.csv").write_text(TINY["Y.csv"])  # now Y disagrees with Z
    with pytest.raises(LabelError, match=r"^\S*Y.csv: ") as caught:
        read_mrio(folder)
    assert "rename_regions" not in str(caught.value)


def test_truncated_gzip_past_the_sniffed_head_names_the_file(tmp_path) -> None:
    folder = write_tables(sample_mrio(), tmp_path / "t")
    raw = (folder / "Z.csv").read_bytes()
    assert len(raw) > 2 * 65536  # pandas, not the delimiter sniffer, meets the cut
    compressed = gzip.compress(raw, compresslevel=0)
    (folder / "Z.csv").unlink()
    (folder / "Z.csv.gz").write_bytes(compressed[: int(len(compressed) * 0.9)])
    with pytest.raises(InputFileError, match=r"Z.csv.gz: the compressed file is truncated"):
        read_mrio(folder)


def test_parquet_garbage_names_the_file(tmp_path) -> None:
    folder = tiny(tmp_path)
    (folder / "Z.csv").unlink()
    (folder / "Z.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputFileError, match=r"Z.parquet: not a readable parquet file"):
        read_mrio(folder)


def test_countries_errors_name_the_file_and_rows(tmp_path) -> None:
    path = tmp_path / "countries.csv"
    path.write_text("region,nation\nA,X\n")
    with pytest.raises(InputFileError, match=r"countries.csv: missing column\(s\) country"):
        read_countries(path)
    path.write_text("region,country\nA,X\nB,\n")
    with pytest.raises(ValueCheckError, match=r"countries.csv: empty region or country in row"):
        read_countries(path)
    path.write_text("region,country\nA,X\nC,X\n")
    with pytest.raises(LabelError, match=r"countries.csv: .*unknown regions: C"):
        read_mrio(tiny(tmp_path / "t"), countries=path)


def test_warnings_of_the_tables_name_the_file(tmp_path) -> None:
    folder = tiny(tmp_path, x_csv="region,sector,x\nA,s,100\nB,s,90\n")  # B balances to 100
    with pytest.warns(BalanceWarning, match=r"x.csv: x differs from Z·1 \+ Y·1.*B/s \+10"):
        read_mrio(folder)
