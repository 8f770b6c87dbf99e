"""Fixtures for the urban tests: a two-sector city whose every account is worked out by hand.

The city makes electricity (ELE) and construction (CON). Construction buys 100 of electricity;
households buy 50 of it; investment buys 150 of construction. Of the 150 of electricity used
in the city, 30 comes from the rest of the country (inflow) and 15 from abroad (imports), so
every user takes 20% from the rest of the country, 10% from abroad, 70% locally. The city
sells 10 + 50 (ELE, CON) to the rest of the country and 5 of electricity abroad. Output is
120 and 200; value added 120 and 100 (GDP 220). Direct emissions: 240 t (ELE), 20 t (CON),
10 t from households' own fuel; 1,000 people.

Local technology: A_l = [[0, 0.35], [0, 0]], so L_l = [[1, 0.35], [0, 1]]; s = [2, 0.1] t per
unit; local multipliers s L_l = [2, 0.8].

The host MRIO has two one-region countries, DOM (the city's country) and FOR, no intermediate
flows, and emission intensities ELE 3 t (DOM), 1 t (FOR): the multipliers of imports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridfoot import MRIO
from gridfoot.urban import CityTable, city_footprint

SECTORS = ["ELE", "CON"]


def hand_table(**changes) -> CityTable:
    """The hand-computable city (fields can be replaced)."""
    fields = {
        "Z": pd.DataFrame([[0.0, 100.0], [0.0, 0.0]], index=SECTORS, columns=SECTORS),
        "Y": pd.DataFrame({"households": [50.0, 0.0], "investment": [0.0, 150.0]}, index=SECTORS),
        "outflow": pd.Series([10.0, 50.0], index=SECTORS),
        "export": pd.Series([5.0, 0.0], index=SECTORS),
        "inflow": pd.Series([30.0, 0.0], index=SECTORS),
        "imports": pd.Series([15.0, 0.0], index=SECTORS),
        "x": pd.Series([120.0, 200.0], index=SECTORS),
        "F": pd.Series({"ELE": 240.0, "CON": 20.0}),
        "F_Y": pd.Series({"households": 10.0}),
        "value_added": pd.DataFrame([[120.0, 100.0]], index=["value_added"], columns=SECTORS),
        "name": "Hand",
        "population": 1000.0,
        "monetary_unit": "million USD",
    }
    return CityTable.from_tables(**{**fields, **changes})


def hand_host_mrio() -> MRIO:
    """Two countries without intermediate flows: multipliers are the direct intensities."""
    producers = pd.MultiIndex.from_product([["DOM", "FOR"], SECTORS], names=["region", "sector"])
    demand = pd.MultiIndex.from_product([["DOM", "FOR"], ["hh"]], names=["region", "category"])
    return MRIO.from_tables(
        Z=pd.DataFrame(0.0, index=producers, columns=producers),
        Y=pd.DataFrame(
            [[100.0, 0.0], [100.0, 0.0], [0.0, 100.0], [0.0, 100.0]],
            index=producers,
            columns=demand,
        ),
        F=pd.DataFrame(
            [[300.0, 10.0, 100.0, 10.0]],
            index=pd.Index(["CO2"], name="stressor"),
            columns=producers,
        ),
        units={"CO2": "t"},
        countries={"DOM": "X", "FOR": "Y"},
        monetary_unit="million USD",
    )


@pytest.fixture
def table() -> CityTable:
    return hand_table()


@pytest.fixture
def host() -> MRIO:
    return hand_host_mrio()


@pytest.fixture
def city(table, host):
    """The hand city, imports priced by the host (multi-regional assumption)."""
    return city_footprint(table, host, country="X")


def proportional_imports(mrio: MRIO, city: str) -> MRIO:
    """The same MRIO, but every user in ``city`` buys each product in one origin mix.

    For each product, the city's purchases from every origin (its own region included) are
    re-spread over the city's users in proportion to each user's total purchase of that
    product. Every producer's sales to the city and every city column total are unchanged, so
    gross output is too; the city-table assumption (imports proportional to use) then holds
    exactly, and a table cut from this MRIO must reproduce it.
    """
    Z, Y = mrio.Z.copy(), mrio.Y.copy()
    in_z = np.asarray(Z.columns.get_level_values("region") == city)
    in_y = np.asarray(Y.columns.get_level_values("region") == city)
    purchases = np.hstack([Z.to_numpy()[:, in_z], Y.to_numpy()[:, in_y]])
    sector = Z.index.get_level_values("sector")
    codes, uniques = pd.factorize(sector)
    by_product = np.zeros((len(uniques), purchases.shape[1]))
    np.add.at(by_product, codes, purchases)
    bought = purchases.sum(axis=1)
    share = bought / np.bincount(codes, weights=bought)[codes]
    respread = share[:, None] * by_product[codes]
    Z.loc[:, in_z] = respread[:, : in_z.sum()]
    Y.loc[:, in_y] = respread[:, in_z.sum() :]
    return MRIO.from_tables(
        Z=Z,
        Y=Y,
        F=mrio.F,
        F_Y=mrio.F_Y,
        units=dict(mrio.units),
        countries=dict(mrio.countries),
        monetary_unit=mrio.monetary_unit,
    )
