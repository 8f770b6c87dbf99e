"""Urban footprints: every account of the hand city, identities, and the two routes agreeing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfoot import MRIO, footprint
from gridfoot.datasets import sample_mrio
from gridfoot.errors import ConfigError, LabelError, ValueCheckError
from gridfoot.urban import (
    BOUNDARIES,
    CityTable,
    city_footprint,
    city_footprint_from_mrio,
    cut_city_table,
    import_origin_shares,
)
from tests.strategies import floats_between, mask, uniform
from tests.urban.conftest import SECTORS, hand_table, proportional_imports

COLUMNS = ["local", "domestic", "foreign", "total"]

# Worked out by hand (see conftest): local multipliers [2, 0.8]; import multipliers 3 (DOM)
# and 1 (FOR). Construction's local final demand (150) drives 15 of imported electricity
# from DOM and 7.5 from FOR as inputs; its exports (50) 5 and 2.5. Households buy 10 (DOM)
# and 5 (FOR) of electricity directly.
HAND = {
    "direct": [270, None, None, 270],
    "direct_producers": [260, None, None, 260],
    "direct_final_demand": [10, None, None, 10],
    "local_for_local": [190, None, None, 190],  # 2 * 35 + 0.8 * 150
    "eee": [None, 60, 10, 70],  # 2 * 10 + 0.8 * 50; 2 * 5
    "eei_final_demand": [None, 75, 12.5, 87.5],  # 3 * (10 + 15); 1 * (5 + 7.5)
    "eei_exports": [None, 15, 2.5, 17.5],  # 3 * 5; 1 * 2.5
    "eei_production_inputs": [None, 60, 10, 70],  # 3 * 20; 1 * 10
    "eei": [None, 90, 15, 105],  # 3 * 30; 1 * 15
    "production_based": [270, 60, 10, 340],
    "consumption_based": [200, 75, 12.5, 287.5],
    "direct_plus_eei": [270, 90, 15, 375],
    "direct_minus_eee": [200, 0, 0, 200],
}


def test_every_account_of_the_hand_city(city) -> None:
    expected = pd.DataFrame.from_dict(HAND, orient="index", columns=COLUMNS).astype(float)
    got = city.accounts
    assert got.index.tolist() == expected.index.tolist()
    pd.testing.assert_frame_equal(
        got[COLUMNS], expected, check_names=False, check_exact=False, rtol=1e-12
    )
    assert (got["unit"] == "t").all()


def test_hand_city_pathways_sectors_and_trade_values(city) -> None:
    data = city.dataset
    eei = data["eei"].to_pandas()
    assert eei.loc["final_demand"].tolist() == pytest.approx([30.0, 5.0])  # 3 * 10, 1 * 5
    assert eei.loc["inputs_for_final_demand"].tolist() == pytest.approx([45.0, 7.5])
    assert eei.loc["inputs_for_exports"].tolist() == pytest.approx([15.0, 2.5])
    assert eei.loc["re_exports"].tolist() == [0.0, 0.0]
    sectors = city.sector_table()
    assert sectors["direct"].tolist() == [240.0, 20.0]
    assert sectors["local_for_local"].tolist() == pytest.approx([175.0, 15.0])  # 2*(35+52.5)
    assert sectors["eee_domestic"].tolist() == pytest.approx([55.0, 5.0])  # 2*(10+17.5); 0.1*50
    # Consumed footprint by product: ELE 2 * 35 + 3 * 10 + 1 * 5; CON (2*0.35 + 0.1 + 0.35)*150.
    assert sectors["consumed"].tolist() == pytest.approx([105.0, 172.5])
    assert sectors["eei_domestic"].tolist() == pytest.approx([90.0, 0.0])
    assert city.largest_producing_sector == "ELE"
    assert city.largest_consuming_sector == "CON"
    assert data["export_value"].sum("sector").values.tolist() == [60.0, 5.0]
    assert data["import_value"].sum("sector").values.tolist() == [30.0, 15.0]
    assert data["output"].values.tolist() == [120.0, 200.0]
    assert float(data["gdp"]) == 220.0
    assert float(data["population"]) == 1000.0


def test_composition_of_constructions_consumed_footprint(city) -> None:
    table = city.composition("CON")
    # Local: ELE 2 * 0.35 * 150, CON 0.1 * 150; imported electricity 3 * 15 and 1 * 7.5.
    assert table.index.tolist() == ["ELE", "CON"]
    assert table.loc["ELE", ["local", "domestic", "foreign"]].tolist() == pytest.approx(
        [105.0, 45.0, 7.5]
    )
    assert table.loc["CON", ["local", "domestic", "foreign"]].tolist() == pytest.approx(
        [15.0, 0.0, 0.0]
    )
    assert table.attrs["total"] == pytest.approx(172.5)
    assert table.attrs["share_of_production_based"] == pytest.approx(172.5 / 340)
    assert table["share"].sum() == pytest.approx(1.0)
    assert table["share_of_production_based"].sum() == pytest.approx(172.5 / 340)
    both = city.composition(["ELE", "CON"])
    assert both["total"].sum() == pytest.approx(105.0 + 172.5)
    with pytest.raises(LabelError, match="unknown sector"):
        city.composition("STL")


def test_single_region_assumption_prices_imports_with_the_citys_total_technology(table) -> None:
    city = city_footprint(table)
    # Total coefficients A = [[0, 0.5], [0, 0]]: multipliers s (I - A)^-1 = [2, 1.1]. Only
    # electricity is imported: 2 t per unit from either origin.
    accounts = city.accounts
    assert accounts.loc["eei", ["domestic", "foreign"]].tolist() == pytest.approx([60.0, 30.0])
    assert accounts.loc["eei_final_demand", "total"] == pytest.approx(75.0)
    assert accounts.loc["consumption_based", "total"] == pytest.approx(275.0)
    assert accounts.loc["production_based", "total"] == pytest.approx(330.0)
    # Under this assumption a local product's total multiplier is the total technology's.
    consumed = city.dataset["consumed"].sum("category").values
    assert consumed.tolist() == pytest.approx([2 * 35 + 2 * 15, 1.1 * 150])
    assert city.composition("CON").loc["ELE", "domestic"] == pytest.approx(2 * 15)
    assert "single-region" in city.economy.supply.description


def test_re_exports_with_imports_shared_over_all_uses(host) -> None:
    # Electricity: 60 brought in, 225 of uses in all (150 local, 70 outflow, 5 export). With
    # imports spread over every use, 40/225 and 20/225 of the exports are re-exports.
    table = hand_table(
        outflow=pd.Series([70.0, 50.0], index=SECTORS),
        inflow=pd.Series([40.0, 0.0], index=SECTORS),
        imports=pd.Series([20.0, 0.0], index=SECTORS),
        x=pd.Series([165.0, 200.0], index=SECTORS),
        value_added=None,
    )
    city = city_footprint(table, host, country="X", import_share="total-use")
    eei = city.dataset["eei"].to_pandas()
    assert eei.loc["re_exports"].tolist() == pytest.approx([3 * 40 / 225 * 75, 20 / 225 * 75])
    accounts = city.accounts
    assert accounts.loc["eei", "total"] == pytest.approx(3 * 40 + 1 * 20)
    assert accounts.loc["consumption_based", "total"] == pytest.approx(
        accounts.loc["direct", "total"]
        - accounts.loc["eee", "total"]
        + accounts.loc["eei_final_demand", "total"]
    )
    assert city.dataset["export_value"].sum().item() == pytest.approx(70 + 50 + 5)
    assert city.dataset["output"].values.tolist() == pytest.approx([165.0, 200.0])
    # Bringing in more than the city uses is only possible with re-exports.
    reexporter = hand_table(
        outflow=pd.Series([130.0, 50.0], index=SECTORS),
        inflow=pd.Series([100.0, 0.0], index=SECTORS),
        imports=pd.Series([60.0, 0.0], index=SECTORS),
        x=pd.Series([125.0, 200.0], index=SECTORS),
        value_added=None,
    )
    with pytest.raises(ValueCheckError, match=r"ELE .*import_share='total-use'"):
        city_footprint(reexporter, host, country="X")
    assert city_footprint(reexporter, host, country="X", import_share="total-use").direct == 270


def test_origin_shares_and_exchange_rate(table) -> None:
    producers = pd.MultiIndex.from_product(
        [["DOM", "DOM2", "FOR"], SECTORS], names=["region", "sector"]
    )
    demand = pd.MultiIndex.from_product([["DOM", "DOM2", "FOR"], ["hh"]])
    host = MRIO.from_tables(
        Z=pd.DataFrame(0.0, index=producers, columns=producers),
        Y=pd.DataFrame(np.kron(np.eye(3), np.ones((2, 1))) * 100, index=producers, columns=demand),
        F=pd.DataFrame([[300.0, 10, 500, 10, 100, 10]], index=["CO2"], columns=producers),
        units={"CO2": "t"},
        countries={"DOM": "X", "DOM2": "X", "FOR": "Y"},
        monetary_unit="million USD",
    )
    # By output, DOM and DOM2 share inflow equally: 0.5 * 3 + 0.5 * 5 = 4 t per unit.
    by_output = city_footprint(table, host, country="X")
    assert by_output.accounts.loc["eei", "domestic"] == pytest.approx(4 * 30)
    shares = pd.DataFrame({"region": ["DOM", "DOM2", "FOR"], "share": [3.0, 1.0, 1.0]})
    weighted = city_footprint(table, host, country="X", origin_shares=shares)
    assert weighted.accounts.loc["eei", "domestic"] == pytest.approx((0.75 * 3 + 0.25 * 5) * 30)
    by_product = shares.assign(sector="ELE")
    same = city_footprint(table, host, country="X", origin_shares=by_product)
    assert same.accounts.loc["eei", "total"] == pytest.approx(weighted.accounts.loc["eei", "total"])
    # Host money worth twice the table's: every imported unit is two host units.
    doubled = city_footprint(table, host, country="X", exchange_rate=2.0)
    assert doubled.accounts.loc["eei", "total"] == pytest.approx(
        2 * by_output.accounts.loc["eei", "total"]
    )
    with pytest.raises(ConfigError, match="exchange_rate"):
        city_footprint(hand_table(monetary_unit="10k CNY"), host, country="X")
    with pytest.raises(LabelError, match="unknown host regions"):
        city_footprint(table, host, country="X", origin_shares=shares.assign(region="ZZZ"))
    with pytest.raises(ValueCheckError, match="no domestic producer"):
        city_footprint(table, host, country="X", origin_shares=shares.iloc[2:])


def test_bad_combinations_are_clear_errors(table, host) -> None:
    with pytest.raises(ConfigError, match="needs a host"):
        city_footprint(table, assumption="multi-regional")
    with pytest.raises(ConfigError, match="country"):
        city_footprint(table, host)
    with pytest.raises(LabelError, match="unknown country"):
        city_footprint(table, host, country="Q")
    renamed = host.Z.rename(index={"CON": "BLD"}, columns={"CON": "BLD"})
    other = MRIO.from_tables(
        Z=renamed,
        Y=host.Y.rename(index={"CON": "BLD"}),
        F=host.F.rename(columns={"CON": "BLD"}),
        units={"CO2": "t"},
        countries=dict(host.countries),
    )
    with pytest.raises(LabelError, match="only in the table: CON; only in the host: BLD"):
        city_footprint(table, other, country="X")
    kilotonnes = MRIO.from_tables(
        Z=host.Z, Y=host.Y, F=host.F, units={"CO2": "kt"}, countries=dict(host.countries)
    )
    with pytest.raises(ValueCheckError, match="'kt'"):
        city_footprint(table, kilotonnes, country="X")
    unused = hand_table(
        Y=pd.DataFrame({"households": [50.0, 0.0], "investment": [0.0, 0.0]}, index=SECTORS),
        imports=pd.Series([15.0, 5.0], index=SECTORS),
        outflow=pd.Series([10.0, 205.0], index=SECTORS),
        value_added=None,
    )
    with pytest.raises(ValueCheckError, match="not used in the city: CON"):
        city_footprint(unused, host, country="X")


def test_repr_shows_route_boundaries_and_role(city) -> None:
    text = repr(city)
    assert "'Hand'" in text
    assert "consumption-based 287.5 t" in text
    assert "net carbon consumer" in text
    html = city._repr_html_()
    assert "<table" in html and "production_based" in html


# -- the two routes ------------------------------------------------------------------------


@pytest.mark.parametrize("regions", ["HAI", ["HAI", "JIB"], "GAO"])
def test_mrio_route_equals_footprint_of_the_full_table(regions) -> None:
    mrio = sample_mrio()
    city = city_footprint_from_mrio(mrio, regions, population=1e5)
    accounts = footprint(mrio).sel(stressor="CO2")
    chosen = [regions] if isinstance(regions, str) else regions
    # The city's regions as one group: inside the group is local.
    grouped = mrio.with_countries(
        {r: ("CITY" if r in chosen else c) for r, c in mrio.countries.items()}
    )
    as_group = footprint(grouped).sel(stressor="CO2")
    cba = float(accounts.cba.sel(region=chosen).sum())
    got = city.accounts
    assert got.loc["consumption_based", "total"] == pytest.approx(cba, rel=1e-12)
    assert got.loc["direct", "total"] == pytest.approx(float(accounts.pba.sel(region=chosen).sum()))
    # Balances agree; the gross flows exceed the destination-based ones by the same feedback.
    net_mrio = float((as_group.eee - as_group.eei).sel(region=chosen).sum())
    net_city = got.loc["eee", "total"] - got.loc["eei_final_demand", "total"]
    assert net_city == pytest.approx(net_mrio, rel=1e-9, abs=1e-6 * cba)
    feedback = got.loc["eee", "total"] - float(as_group.eee.sel(region=chosen).sum())
    assert feedback >= -1e-9 * cba
    assert got.loc["eei_final_demand", "total"] - float(
        as_group.eei.sel(region=chosen).sum()
    ) == pytest.approx(feedback, rel=1e-9, abs=1e-6 * cba)


def test_trade_flow_eee_eei_beside_the_destination_based_ones() -> None:
    """The table of the footprints module documentation, for one ungrouped region."""
    mrio = sample_mrio()
    city = city_footprint_from_mrio(mrio, "HAI", population=1e5)
    got = city.accounts
    fp = footprint(mrio).sel(stressor="CO2", region="HAI")
    cba = float(fp.cba)
    assert got.loc["direct", "total"] == pytest.approx(float(fp.pba), rel=1e-12)
    assert got.loc["consumption_based", "total"] == pytest.approx(cba, rel=1e-12)
    reflected = got.loc["eee", "total"] - float(fp.eee + fp.eee_domestic)
    assert reflected > 1e-3 * cba  # the sample city's inputs do come back
    assert got.loc["eei_final_demand", "total"] - float(fp.eei + fp.eei_domestic) == pytest.approx(
        reflected, rel=1e-9
    )
    # the splits differ in kind: by trade partner here, by final destination there
    assert got.loc["eee", "foreign"] < float(fp.eee)
    for name in ("eee", "eei"):
        assert "not the destination-based eee/eei" in city.dataset[name].attrs["comment"]


def test_table_route_equals_mrio_route_when_imports_are_proportional() -> None:
    mrio = proportional_imports(sample_mrio(), "HAI")
    by_mrio = city_footprint_from_mrio(mrio, "HAI", population=5e5)
    table = cut_city_table(mrio, "HAI", population=5e5)
    by_table = city_footprint(
        table, mrio, exclude_origins=["HAI"], origin_shares=import_origin_shares(mrio, "HAI")
    )
    pd.testing.assert_frame_equal(
        by_table.accounts[COLUMNS], by_mrio.accounts[COLUMNS], rtol=1e-10, atol=1e-6
    )
    for name in ("consumed", "eee", "local_for_local", "eei_product"):
        np.testing.assert_allclose(
            by_table.dataset[name], by_mrio.dataset[name], rtol=1e-9, atol=1e-6
        )
    np.testing.assert_allclose(
        by_table.composition("CON")["total"], by_mrio.composition("CON")["total"], rtol=1e-9
    )
    cba = float(footprint(mrio).cba.sel(stressor="CO2", region="HAI"))
    assert by_table.boundaries["consumption_based"] == pytest.approx(cba, rel=1e-12)


def test_table_route_without_proportional_imports_is_close_but_not_equal() -> None:
    mrio = sample_mrio()
    by_mrio = city_footprint_from_mrio(mrio, "HAI", population=5e5)
    table = cut_city_table(mrio, "HAI", population=5e5)
    by_table = city_footprint(
        table, mrio, exclude_origins=["HAI"], origin_shares=import_origin_shares(mrio, "HAI")
    )
    gap = by_table.boundaries / by_mrio.boundaries - 1
    assert gap.abs().max() < 0.05
    assert gap.abs().max() > 1e-6  # the proportionality assumption does change the answer


@pytest.mark.slow
def test_japan_cut_out_of_wiod_agrees_with_the_full_table(reference_data) -> None:
    import warnings

    from gridfoot.datasets import load_wiod2009
    from gridfoot.errors import ZeroOutputWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroOutputWarning)
        wiod = load_wiod2009(x="balanced", data_dir=reference_data)
        full = footprint(wiod).sel(stressor="CO2")
        city = city_footprint_from_mrio(wiod, "JPN", population=127.6e6)
        cba = float(full.cba.sel(region="JPN"))
        assert city.boundaries["consumption_based"] == pytest.approx(cba, rel=1e-12)
        net = float(full.eee.sel(region="JPN") - full.eei.sel(region="JPN"))
        assert city.accounts.loc["eee", "total"] - city.accounts.loc[
            "eei_final_demand", "total"
        ] == pytest.approx(net, rel=1e-9)
        # The table route needs each product's purchases in one origin mix for every user and
        # non-negative trade (WIOD's inventory changes go negative): impose both, then the
        # city table cut from the table gives the full table's footprint of Japan.
        Y = wiod.Y.copy()
        Y.loc[:, Y.columns.get_level_values("category") == "INVEN"] = 0.0
        base = MRIO.from_tables(
            Z=wiod.Z,
            Y=Y,
            F=wiod.F,
            F_Y=wiod.F_Y,
            units=dict(wiod.units),
            countries=dict(wiod.countries),
            monetary_unit=wiod.monetary_unit,
        )
        mrio = proportional_imports(base, "JPN")
        table = cut_city_table(mrio, "JPN", population=127.6e6)
        assert table.inflow.sum() == 0.0  # a country: nothing from a "rest of the country"
        by_table = city_footprint(
            table, mrio, exclude_origins=["JPN"], origin_shares=import_origin_shares(mrio, "JPN")
        )
        expected = float(footprint(mrio).cba.sel(stressor="CO2", region="JPN"))
        assert by_table.boundaries["consumption_based"] == pytest.approx(expected, rel=1e-10)
        assert by_table.accounts.loc["direct", "total"] == pytest.approx(
            float(full.pba.sel(region="JPN")), rel=1e-12
        )


# -- properties on random cities -----------------------------------------------------------


@st.composite
def random_tables(draw) -> CityTable:
    n = draw(st.integers(2, 5))
    sectors = [f"s{i}" for i in range(n)]
    A = draw(uniform((n, n), 0, 0.6 / n)) * draw(mask((n, n)))
    local = draw(uniform(n, 0.3, 0.95))
    abroad = draw(uniform(n, 0, 1))
    Y = draw(uniform((n, 3), 1, 100))  # every sector delivers: the city has output
    trade = draw(uniform((n, 2), 0, 50)) * draw(mask((n, 2)))
    x = np.linalg.solve(np.eye(n) - local[:, None] * A, local * Y.sum(axis=1) + trade.sum(1))
    Z = A * x
    use = Z.sum(axis=1) + Y.sum(axis=1)
    brought_in = (1 - local) * use
    return CityTable.from_tables(
        Z=pd.DataFrame(Z, index=sectors, columns=sectors),
        Y=pd.DataFrame(Y, index=sectors, columns=["rural", "urban", "capital"]),
        outflow=pd.Series(trade[:, 0], index=sectors),
        export=pd.Series(trade[:, 1], index=sectors),
        inflow=pd.Series(brought_in * (1 - abroad), index=sectors),
        imports=pd.Series(brought_in * abroad, index=sectors),
        x=pd.Series(x, index=sectors),
        F=pd.Series(x * draw(uniform(n, 0.05, 5)), index=sectors),
        F_Y=pd.Series({"urban": draw(floats_between(0, 50))}),
        population=1000.0,
        tolerance=1e-9,
    )


@settings(max_examples=30)
@given(random_tables(), st.data())
def test_identities_and_nesting_hold_for_random_cities(table, data) -> None:
    city = city_footprint(table)
    a = city.accounts["total"]
    scale = a["direct_plus_eei"]
    assert a["consumption_based"] == pytest.approx(
        a["direct"] - a["eee"] + a["eei_final_demand"], abs=1e-9 * scale
    )
    assert a["direct_minus_eee"] == pytest.approx(
        a["local_for_local"] + a["direct_final_demand"], abs=1e-9 * scale
    )
    assert a["production_based"] == pytest.approx(
        a["direct"] + a["eei_production_inputs"], abs=1e-9 * scale
    )
    assert a["eei"] == pytest.approx(a["eei_final_demand"] + a["eei_exports"], abs=1e-9 * scale)
    tol = 1e-9 * scale
    assert a["direct_minus_eee"] <= a["consumption_based"] + tol
    assert a["consumption_based"] <= a["direct_plus_eei"] + tol
    assert a["direct_minus_eee"] <= a["direct"] + tol <= a["production_based"] + 2 * tol
    assert a["production_based"] <= a["direct_plus_eei"] + tol
    consumed = float(city.dataset["consumed"].sum())
    assert consumed == pytest.approx(a["consumption_based"] - a["direct_final_demand"], abs=tol)
    # A product's composition adds up to its consumed footprint; all products to the total.
    sector = data.draw(st.sampled_from(list(table.sectors)))
    assert city.composition(sector)["total"].sum() == pytest.approx(
        float(city.dataset["consumed"].sel(sector=sector).sum()), abs=tol
    )
    assert city.composition(list(table.sectors))["total"].sum() == pytest.approx(consumed, abs=tol)


@settings(max_examples=20)
@given(random_tables(), st.floats(0.5, 3.0))
def test_eei_scales_with_the_exchange_rate(table, rate) -> None:
    host = hand_host_like(table)
    base = city_footprint(table, host, country="X")
    scaled = city_footprint(table, host, country="X", exchange_rate=rate)
    a, b = base.accounts["total"], scaled.accounts["total"]
    assert b["eei"] == pytest.approx(rate * a["eei"], rel=1e-9)
    assert b["direct"] == a["direct"]


def hand_host_like(table: CityTable) -> MRIO:
    """A host with the table's sectors, a domestic and a foreign region, some flows."""
    sectors = list(table.sectors)
    n = len(sectors)
    producers = pd.MultiIndex.from_product([["DOM", "FOR"], sectors], names=["region", "sector"])
    demand = pd.MultiIndex.from_product([["DOM", "FOR"], ["hh"]], names=["region", "category"])
    Z = np.full((2 * n, 2 * n), 1.0)
    Y = np.full((2 * n, 2), 50.0)
    F = np.arange(1, 2 * n + 1, dtype=float)[None, :] * 10
    return MRIO.from_tables(
        Z=pd.DataFrame(Z, index=producers, columns=producers),
        Y=pd.DataFrame(Y, index=producers, columns=demand),
        F=pd.DataFrame(F, index=["CO2"], columns=producers),
        units={"CO2": "t"},
        countries={"DOM": "X", "FOR": "Y"},
    )


@st.composite
def random_mrios(draw) -> MRIO:
    n_regions, n_sectors = draw(st.integers(3, 4)), draw(st.integers(1, 3))
    n = n_regions * n_sectors
    regions = [f"r{i}" for i in range(n_regions)]
    sectors = [f"s{i}" for i in range(n_sectors)]
    A = draw(uniform((n, n), 0, 0.7 / n))
    Y = draw(uniform((n, n_regions), 0.1, 10))  # every region buys every product
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    producers = pd.MultiIndex.from_product([regions, sectors], names=["region", "sector"])
    demand = pd.MultiIndex.from_product([regions, ["hh"]], names=["region", "category"])
    countries = {"r0": "A", "r1": "A", **{r: r.upper() for r in regions[2:]}}
    return MRIO.from_tables(
        Z=pd.DataFrame(A * x, index=producers, columns=producers),
        Y=pd.DataFrame(Y, index=producers, columns=demand),
        F=pd.DataFrame(x[None, :] * draw(uniform((1, n), 0, 3)), index=["CO2"], columns=producers),
        F_Y=pd.DataFrame(draw(uniform((1, n_regions), 0, 5)), index=["CO2"], columns=demand),
        units={"CO2": "t"},
        countries=countries,
    )


@settings(max_examples=20)
@given(random_mrios())
def test_both_routes_reproduce_the_consumption_based_account(mrio) -> None:
    city = city_footprint_from_mrio(mrio, "r0", population=10.0)
    cba = float(footprint(mrio).cba.sel(stressor="CO2", region="r0"))
    assert city.boundaries["consumption_based"] == pytest.approx(cba, rel=1e-9)
    proportional = proportional_imports(mrio, "r0")
    by_table = city_footprint(
        cut_city_table(proportional, "r0", population=10.0),
        proportional,
        exclude_origins=["r0"],
        origin_shares=import_origin_shares(proportional, "r0"),
    )
    expected = float(footprint(proportional).cba.sel(stressor="CO2", region="r0"))
    assert by_table.boundaries["consumption_based"] == pytest.approx(expected, rel=1e-9)


def test_boundaries_constant_lists_four() -> None:
    assert list(BOUNDARIES) == [
        "production_based",
        "consumption_based",
        "direct_plus_eei",
        "direct_minus_eee",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("region", ["CHN", "LUX", "MLT"])
def test_mrio_route_keeps_the_tables_printed_output(reference_data, region) -> None:
    import warnings

    from gridfoot.datasets import load_wiod2009
    from gridfoot.errors import ZeroOutputWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroOutputWarning)
        wiod = load_wiod2009(x="file", data_dir=reference_data)
    city = city_footprint_from_mrio(wiod, region, population=1.0)
    cba = float(footprint(wiod).cba.sel(stressor="CO2", region=region))
    assert city.boundaries["consumption_based"] == pytest.approx(cba, rel=1e-12)
    # The printed x is not Z·1 + Y·1: direct - EEE and local-for-local differ by the local
    # multipliers times the imbalance, s L_local (x - Z·1 - Y·1).
    x = wiod.x[region].to_numpy()
    producing = x > 0
    Z_local = wiod.Z.loc[region, region].to_numpy()
    A_local = np.where(producing, Z_local / np.where(producing, x, 1.0), 0.0)
    s = np.where(producing, wiod.F.loc["CO2", region].to_numpy() / np.where(producing, x, 1), 0)
    multipliers = np.linalg.solve((np.eye(len(x)) - A_local).T, s)
    balanced = (wiod.Z.loc[region].sum(axis=1) + wiod.Y.loc[region].sum(axis=1)).to_numpy()
    a = city.accounts["total"]
    assert a["direct"] - a["eee"] - a["direct_minus_eee"] == pytest.approx(
        float(multipliers @ (x - balanced)), rel=1e-6, abs=1e-9 * a["direct"]
    )


def test_a_province_of_a_nested_mrio_with_its_own_sectors_is_a_city() -> None:
    """A city that is a province of a nested MRIO whose sector list differs from the world's:
    its consumption-based footprint is the MRIO's cba, and other regions' are unchanged."""
    from gridfoot import nest
    from tests.mrio.splits import proportional_table
    from tests.mrio.test_nest import SHARES, _host

    host = _host()
    table = proportional_table(host, "C", SHARES, split={"power": ("coal power", "gas", 0.7)})
    nested = nest(host, table, region="C")
    province = city_footprint_from_mrio(nested, "C-2", stressor="CO2")
    cba = float(footprint(nested).cba.sel(stressor="CO2", region="C-2"))
    assert province.boundaries["consumption_based"] == pytest.approx(cba, rel=1e-9)
    before = city_footprint_from_mrio(host, "W", stressor="CO2").boundaries
    after = city_footprint_from_mrio(nested, "W", stressor="CO2").boundaries
    np.testing.assert_allclose(after.to_numpy(), before.to_numpy(), rtol=1e-9)
