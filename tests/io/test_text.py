"""read_csv on the tables users write: repeated header names, quoted decimal commas, folders."""

from __future__ import annotations

import pytest

from gridfoot.errors import InputFileError
from gridfoot.io.text import read_csv


def test_a_repeated_header_name_is_refused_with_its_positions(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,co2_t,lon,co2_t\n1,2,3,4\n")
    with pytest.raises(
        InputFileError, match=r"t.csv: .* more than once .* 'co2_t' at columns 2, 4"
    ):
        read_csv(path, what="point sources")
    # a header of several rows (the MRIO's) is not checked here
    assert read_csv(path, header=[0, 1]).shape == (0, 4)


def test_quoted_decimal_commas_and_thousands_dots(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('"id";"lon";"co2_t"\n"a";"-142,25";"5.500,00"\n"b";"35,5";"3,5"\n')
    table = read_csv(path, dtype={"id": str})
    assert table["lon"].tolist() == [-142.25, 35.5]
    assert table["co2_t"].tolist() == [5500.0, 3.5]


def test_a_folder_is_not_a_table(tmp_path):
    with pytest.raises(InputFileError, match="is a folder, not a table file"):
        read_csv(tmp_path)
