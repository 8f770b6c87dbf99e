"""Sub-national tables, small enough to check by hand; every error names the piece and the label."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridfoot.errors import LabelError
from gridfoot.mrio.subnational import SubnationalTable

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
