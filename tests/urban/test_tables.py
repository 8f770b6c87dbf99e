"""City tables: the file layout, validation naming file, column and rows, and MRIO cuts."""

from __future__ import annotations

import dataclasses
import typing

import numpy as np
import pandas as pd
import pytest

from gridfoot.datasets import sample_data_dir, sample_mrio
from gridfoot.errors import ConfigError, InputFileError, LabelError, ValueCheckError
from gridfoot.urban import CityTable, cut_city_table, import_origin_shares, read_city_table
from tests.urban.conftest import SECTORS, hand_table

HAND_CSV = """\
sector,ELE,CON,households,investment,outflow,export,inflow,import,output
ELE,0,100,50,0,10,5,30,15,120
CON,0,0,0,150,50,0,0,0,200
compensation,70,60,,,,,,,
surplus,50,40,,,,,,,
total_input,120,200,,,,,,,
"""
HAND_EMISSIONS = """\
sector,stressor,value,unit
ELE,CO2,240,t
CON,CO2,20,t
households,CO2,10,t
"""


def write(folder, table: str = HAND_CSV, emissions: str = HAND_EMISSIONS):
    (folder / "city.csv").write_text(table)
    (folder / "emissions.csv").write_text(emissions)
    return folder / "city.csv", folder / "emissions.csv"


def test_hand_table_derived_values(table) -> None:
    assert table.sectors.tolist() == SECTORS
    assert table.categories.tolist() == ["households", "investment"]
    assert table.city_gdp == 220.0
    assert table.local_use.tolist() == [150.0, 150.0]
    assert hand_table(gdp=250.0).city_gdp == 250.0
    assert hand_table(value_added=None).total_value_added == 220.0  # output - inputs
    assert "GDP 220 million USD" in repr(table)
    assert "CityTable" in table._repr_html_()


def test_read_csv_layout(tmp_path) -> None:
    path, emissions = write(tmp_path)
    table = read_city_table(path, emissions, population=1000, monetary_unit="million USD")
    expected = hand_table()
    assert table.name == "city"
    pd.testing.assert_frame_equal(table.Z, expected.Z, check_names=False)
    pd.testing.assert_frame_equal(table.Y, expected.Y, check_names=False)
    assert table.value_added.index.tolist() == ["compensation", "surplus"]
    assert table.city_gdp == 220.0
    assert table.F_Y.to_dict() == {"households": 10.0, "investment": 0.0}
    assert table.F.to_dict() == {"ELE": 240.0, "CON": 20.0}
    assert (table.stressor, table.unit) == ("CO2", "t")


def test_read_chinese_headers_and_excel(tmp_path) -> None:
    chinese = HAND_CSV.replace("outflow", "调出").replace("export", "出口")
    chinese = (
        chinese.replace("inflow", "调入").replace("import", "进口").replace("output", "总产出")
    )
    path, emissions = write(tmp_path, chinese)
    columns = {"outflow": "调出", "export": "出口", "inflow": "调入", "import": "进口"}
    table = read_city_table(path, emissions, columns={**columns, "output": "总产出"})
    assert table.inflow.tolist() == [30.0, 0.0]
    workbook = tmp_path / "city.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        pd.read_csv(tmp_path / "city.csv", index_col=0).to_excel(writer, sheet_name="table")
        pd.read_csv(emissions).to_excel(writer, sheet_name="emissions", index=False)
    from_excel = read_city_table(workbook, sheet="table", columns={**columns, "output": "总产出"})
    pd.testing.assert_frame_equal(from_excel.Z, table.Z)
    assert from_excel.F.tolist() == table.F.tolist()
    with pytest.raises(LabelError, match="unknown role"):
        read_city_table(path, emissions, columns={"exports": "出口"})


@pytest.mark.parametrize(
    ("edit", "error", "message"),
    [
        (("ELE,0,100,50,0,10,5,30,15,120", "ELE,0,100,50,0,10,5,30,15,125"), ValueCheckError,
         r"row balance .* ELE \(gap -5"),
        (("ELE,0,100,50,0,10,5,30,15,120", "ELE,0,100,50,0,10,5,30,-15,90"), ValueCheckError,
         r"column 'import': negative values in rows ELE \(-15\)"),
        (("CON,0,0,0,150", "CNO,0,0,0,150"), LabelError, r"row 'CNO' is not a sector"),
        (("ELE,0,100,50,0,10,5,30,15,120", "ELE,0,100,5O,0,10,5,30,15,120"), ValueCheckError,
         r"column 'households': non-numeric value '5O' in rows ELE"),
        ((",import,output", ",imports,output"), InputFileError, r"missing column 'import'"),
        (("surplus,50,40", "surplus,50,45"), ValueCheckError, r"column balance .* CON"),
        (("total_input,120,200", "total_input,120,210"), ValueCheckError,
         r"column balance .* CON"),
    ],
)  # fmt: skip
def test_bad_tables_name_file_column_and_rows(tmp_path, edit, error, message) -> None:
    path, emissions = write(tmp_path, HAND_CSV.replace(*edit))
    with pytest.raises(error, match=message) as caught:
        read_city_table(path, emissions)
    assert str(path) in str(caught.value)


def test_bad_emission_tables(tmp_path) -> None:
    path, emissions = write(tmp_path, emissions=HAND_EMISSIONS + "STEEL,CO2,5,t\n")
    with pytest.raises(LabelError, match="STEEL are neither sectors"):
        read_city_table(path, emissions)
    path, emissions = write(tmp_path, emissions=HAND_EMISSIONS + "ELE,CH4,5,t\n")
    with pytest.raises(LabelError, match="several stressors"):
        read_city_table(path, emissions)
    assert read_city_table(path, emissions, stressor="CH4").F["ELE"] == 5.0
    path, emissions = write(
        tmp_path, emissions=HAND_EMISSIONS.replace("CON,CO2,20,t", "CON,CO2,20,kt")
    )
    with pytest.raises(ValueCheckError, match="mixed units"):
        read_city_table(path, emissions)
    with pytest.raises(InputFileError, match="no emissions table"):
        read_city_table(path)
    with pytest.raises(InputFileError, match="no such file"):
        read_city_table(tmp_path / "missing.csv", emissions)


def test_constructor_checks() -> None:
    with pytest.raises(LabelError, match="only rows: CON; only columns: BLD"):
        hand_table(Z=pd.DataFrame(0.0, index=SECTORS, columns=["ELE", "BLD"]))
    with pytest.raises(ValueCheckError, match="zero gross output report emissions: CON"):
        hand_table(
            Z=pd.DataFrame([[0.0, 0.0], [0.0, 0.0]], index=SECTORS, columns=SECTORS),
            Y=pd.DataFrame({"households": [150.0, 0.0]}, index=SECTORS),
            outflow=pd.Series([0.0, 0.0], index=SECTORS),
            export=pd.Series([0.0, 0.0], index=SECTORS),
            inflow=pd.Series([20.0, 0.0], index=SECTORS),
            imports=pd.Series([10.0, 0.0], index=SECTORS),
            x=pd.Series([120.0, 0.0], index=SECTORS),
            F_Y=None,
            value_added=None,
        )
    with pytest.raises(LabelError, match="emissions: unknown labels STL"):
        hand_table(F=pd.Series({"STL": 1.0}))
    with pytest.raises(ValueCheckError, match="population must be positive"):
        hand_table(population=0)
    with pytest.raises(ValueCheckError, match="household emissions: negative"):
        hand_table(F_Y=pd.Series({"households": -1.0}))
    # A stated discrepancy column closes a row that is otherwise off.
    other = hand_table(
        other=pd.Series([-5.0, 0.0], index=SECTORS),
        x=pd.Series([115.0, 200.0], index=SECTORS),
        value_added=None,
    )
    assert other.other.tolist() == [-5.0, 0.0]


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (
            {"x": pd.Series([100.0, 200.0], index=SECTORS), "source": "hand.csv"},
            ValueCheckError,
            "hand.csv: row balance off by more than 0.001 of gross output for ELE (gap +20, "
            "output 100): uses + outflow + export - inflow - import (+ other) must equal output",
        ),
        (
            {"inflow": pd.Series({"ELE": -1.0})},
            ValueCheckError,
            "column 'inflow': negative values in rows ELE (-1) (trade columns hold non-negative "
            "amounts; imports are subtracted in the balance)",
        ),
        ({"gdp": "big"}, ValueCheckError, "gdp must be a number, got 'big'"),
        (
            {"tolerance": -1},
            ConfigError,
            "tolerance: must be a number >= 0, got -1",
        ),
    ],
    ids=["row-balance", "negative-trade", "gdp-text", "tolerance"],
)
def test_the_factory_refuses_with_one_line_messages(changes, error, message) -> None:
    with pytest.raises(error) as caught:
        hand_table(**changes)
    assert str(caught.value) == message


def test_fields_hold_exactly_their_declared_types(tmp_path) -> None:
    hints = typing.get_type_hints(CityTable)
    assert set(hints) == {f.name for f in dataclasses.fields(CityTable)}
    tables = [
        hand_table(population=1000, gdp=220),  # ints in, floats stored
        hand_table(F_Y=None, value_added=None, population=None),
        read_city_table(*write(tmp_path)),
        cut_city_table(sample_mrio(), "HAI", population=500_000),
    ]
    for table in tables:
        for name, hint in hints.items():
            value = getattr(table, name)
            kinds = typing.get_args(hint) or (hint,)  # X | None -> (X, NoneType)
            assert isinstance(value, kinds), f"{name}: {type(value).__name__} is not {hint}"
    assert tables[0].population == 1000.0 and isinstance(tables[0].population, float)
    assert tables[1].F_Y.to_dict() == {"households": 0.0, "investment": 0.0}
    assert tables[1].other.tolist() == [0.0, 0.0]


def test_direct_construction_is_for_canonical_tables_only(table) -> None:
    fields = {f.name: getattr(table, f.name) for f in dataclasses.fields(CityTable)}
    assert CityTable(**fields).city_gdp == table.city_gdp  # canonical data pass as they are
    with pytest.raises(TypeError, match=r"CityTable.other must be a pandas.Series, got NoneType"):
        CityTable(**{**fields, "other": None})
    with pytest.raises(
        TypeError, match=r"population must be a float or None, got int.*from_tables"
    ):
        CityTable(**{**fields, "population": 1000})
    with pytest.raises(LabelError, match=r"CityTable.export.index differs .*from_tables"):
        CityTable(**{**fields, "export": table.export.iloc[::-1]})


def test_cut_from_the_sample_mrio_keeps_every_flow() -> None:
    mrio = sample_mrio()
    table = cut_city_table(mrio, "HAI", population=5e5)
    hai = mrio.producers.get_level_values("region") == "HAI"
    # Everything HAI buys, whatever the origin, is intermediate use + local final demand.
    bought = mrio.Z.loc[:, hai].to_numpy().sum() + mrio.Y.loc[:, "HAI"].to_numpy().sum()
    assert table.Z.to_numpy().sum() + table.Y.to_numpy().sum() == (pytest.approx(bought))
    from_mer = mrio.countries.reindex(mrio.producers.get_level_values("region")).to_numpy() == "MER"
    purchases = mrio.Z.loc[:, hai].sum(axis=1) + mrio.Y.loc[:, "HAI"].sum(axis=1)
    assert table.inflow.sum() == pytest.approx(purchases[from_mer & ~hai].sum())
    assert table.imports.sum() == pytest.approx(purchases[~from_mer].sum())
    assert table.x.tolist() == pytest.approx(mrio.x["HAI"].tolist())
    assert table.F.sum() == pytest.approx(mrio.F.loc["CO2", hai].sum())
    assert table.F_Y.sum() == pytest.approx(mrio.F_Y.loc["CO2", "HAI"].sum())
    pair = cut_city_table(mrio, ["HAI", "JIB"])
    assert pair.name == "HAI+JIB"
    assert pair.x.sum() == pytest.approx(mrio.x[["HAI", "JIB"]].sum())
    # Sales between the two merged regions are local, not outflow.
    assert pair.outflow.sum() < table.outflow.sum() + cut_city_table(mrio, "JIB").outflow.sum()
    with pytest.raises(LabelError, match="several countries"):
        cut_city_table(mrio, ["HAI", "USA"])
    with pytest.raises(LabelError, match="unknown city region"):
        cut_city_table(mrio, "ZZZ")


def test_import_origin_shares_sum_to_one_per_product_and_origin() -> None:
    mrio = sample_mrio()
    shares = import_origin_shares(mrio, "HAI")
    assert "HAI" not in set(shares["region"])
    domestic = shares["region"].map(mrio.countries) == "MER"
    sums = shares.groupby([domestic.to_numpy(), shares["sector"]])["share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)


def test_sample_city_tables_read_and_balance() -> None:
    folder = sample_data_dir() / "cities"
    tables = sorted(folder.glob("*_emissions.csv"))
    assert len(tables) == 8
    for emissions in tables:
        table = read_city_table(folder / emissions.name.replace("_emissions", ""), emissions)
        assert isinstance(table, CityTable)
        assert table.categories.tolist()[:2] == ["rural_households", "urban_households"]
        assert table.city_gdp > 0


def test_semicolons_and_gbk_read_like_the_comma_table(tmp_path) -> None:
    path, emissions = write(tmp_path, HAND_CSV.replace(",", ";"))
    (tmp_path / "comma").mkdir()
    expected = read_city_table(*write(tmp_path / "comma", HAND_CSV))
    semicolons = read_city_table(path, emissions)
    pd.testing.assert_frame_equal(semicolons.Z, expected.Z)
    chinese = HAND_CSV.replace("households", "居民")
    path.write_bytes(chinese.encode("gbk"))
    emissions.write_bytes(HAND_EMISSIONS.replace("households", "居民").encode("gbk"))
    with pytest.raises(InputFileError, match=r"city.csv: not UTF-8 text.*encoding"):
        read_city_table(path, emissions)
    table = read_city_table(path, emissions, encoding="gbk")
    assert table.categories.tolist() == ["居民", "investment"]
    assert table.F_Y.to_dict() == {"居民": 10.0, "investment": 0.0}


def test_a_table_without_final_demand_is_blamed_not_its_emissions(tmp_path) -> None:
    no_demand = "\n".join(
        ",".join(cells[:3] + cells[5:])
        for cells in (line.split(",") for line in HAND_CSV.splitlines())
    )
    path, emissions = write(tmp_path, no_demand)
    with pytest.raises(InputFileError, match=r"city.csv \(city Hand\): no final-demand columns"):
        read_city_table(path, emissions, name="Hand")


def test_origin_share_errors_name_the_file_and_the_city(tmp_path) -> None:
    from gridfoot.urban.economy import economy_from_table, read_origin_shares

    host = sample_mrio()
    table = read_city_table(
        *(sample_data_dir() / "cities" / f for f in ("hgg.csv", "hgg_emissions.csv")),
        name="Haigang",
        monetary_unit=host.monetary_unit,
    )
    path = tmp_path / "origins.csv"
    path.write_text("region;share\nHAI;0,5\nXXX;0,5\n")
    shares = read_origin_shares(path)
    assert shares["share"].tolist() == [0.5, 0.5]  # decimal commas with semicolons
    with pytest.raises(LabelError, match=r"origins.csv \(city Haigang\): .*XXX in row\(s\) 3"):
        economy_from_table(table, host, country="MER", origin_shares=path)
    path.write_text("region,share\nHAI,-1\n")
    with pytest.raises(ValueCheckError, match=r"origins.csv \(city Haigang\): .*row\(s\) 2"):
        economy_from_table(table, host, country="MER", origin_shares=path)
