"""Nesting a sub-national table into a host MRIO (DESIGN §2b).

The reference for exactness: provinces that are proportional copies of the host region (same
technology, same import mix, output split by fixed shares) must give back the host's accounts,
summed over the provinces, and every other region's accounts unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from gridfoot import MRIO, footprint
from gridfoot.errors import BalanceError, LabelError, ValueCheckError
from gridfoot.hotspots import reclassify
from gridfoot.mrio.nest import nest
from gridfoot.mrio.subnational import SubnationalTable
from tests.mrio.splits import move_exports, proportional_table
from tests.strategies import uniform

ACCOUNTS = ("pba", "cba", "eee", "eei")


def _host(seed: int = 1, z=None, y=None, f=None) -> MRIO:
    """Three regions (C is the one to split) x three sectors, two final-demand categories."""
    rng = np.random.default_rng(seed)
    regions, sectors, categories = ["W", "C", "E"], ["agri", "power", "steel"], ["hh", "gov"]
    producers = pd.MultiIndex.from_product([regions, sectors], names=["region", "sector"])
    demand = pd.MultiIndex.from_product([regions, categories], names=["region", "category"])
    z = rng.uniform(0, 10, (9, 9)) if z is None else z
    y = rng.uniform(5, 40, (9, 6)) if y is None else y
    f = rng.uniform(1, 100, 9) if f is None else f
    return MRIO.from_tables(
        Z=pd.DataFrame(z, index=producers, columns=producers),
        Y=pd.DataFrame(y, index=producers, columns=demand),
        F=pd.DataFrame(f[None], index=["CO2"], columns=producers),
        F_Y=pd.DataFrame([[3.0, 1.0, 5.0, 2.0, 4.0, 0.5]], index=["CO2"], columns=demand),
        units={"CO2": "t"},
        monetary_unit="USD",
    )


SHARES = np.array([[0.2, 0.5, 0.7], [0.3, 0.1, 0.2], [0.5, 0.4, 0.1]])


def _assert_reproduces(host: MRIO, nested: MRIO, region: str = "C", rtol: float = 1e-9) -> None:
    before, after = footprint(host), footprint(nested)
    provinces = list(nested.nesting.regions)
    for name in ACCOUNTS:
        np.testing.assert_allclose(
            float(after[name].sel(region=provinces).sum()),
            float(before[name].sel(region=region).sum()),
            rtol=rtol,
        )
        others = [r for r in host.regions if r != region]
        np.testing.assert_allclose(
            after[name].sel(region=others), before[name].sel(region=others), rtol=rtol
        )
    # emissions of every foreign producer driven by every foreign destination are unchanged
    others = [r for r in host.regions if r != region]
    np.testing.assert_allclose(
        after.driven.sel(region=others, destination=others, sector=list(host.sectors)),
        before.driven.sel(region=others, destination=others),
        rtol=rtol,
        atol=1e-9 * float(before.driven.max()),
    )
    # the provinces' emissions driven by C's final demand, summed, are C's own
    np.testing.assert_allclose(
        float(after.flows.sel(region=provinces, destination=provinces).sum()),
        float(before.flows.sel(region=region, destination=region).sum()),
        rtol=rtol,
    )


def test_proportional_provinces_reproduce_the_hosts_accounts() -> None:
    host = _host()
    table = proportional_table(host, "C", SHARES)
    nested = nest(host, table, region="C")
    assert nested.regions.tolist() == ["W", "C-1", "C-2", "C-3", "E"]
    assert nested.countries.to_dict() == {
        "W": "W", "C-1": "C", "C-2": "C", "C-3": "C", "E": "E"
    }  # fmt: skip
    _assert_reproduces(host, nested)
    report = nested.nesting
    # the proportional spread already meets every margin: GRAS has nothing to do
    assert report.blocks["gap_before"].max() < 1e-12
    assert report.blocks["largest_change"].max() < 1e-9
    output = report.totals.loc["output"]
    assert output["table"] == pytest.approx(output["host"])
    assert report.notes == ()


def test_a_table_that_splits_a_sector_in_two_is_joined_by_its_concordance() -> None:
    host = _host()
    table = proportional_table(host, "C", SHARES, split={"power": ("coal power", "gas power", 0.7)})
    assert table.sectors.tolist() == ["agri", "coal power", "gas power", "steel"]
    nested = nest(host, table, region="C")
    assert not nested.uniform
    assert nested.sectors_of("C-2").tolist() == ["agri", "coal power", "gas power", "steel"]
    assert nested.sectors_of("E").tolist() == ["agri", "power", "steel"]
    _assert_reproduces(host, nested)
    fp = footprint(nested)
    assert not bool(fp.is_producer.sel(region="E", sector="coal power"))
    # a breakdown by sector across provinces and countries: in the host's classification
    common = reclassify(fp.driven, nested.nesting.concordance)
    assert common.sector.values.tolist() == ["agri", "power", "steel"]
    by_sector = common.sel(region=["C-1", "C-2", "C-3"]).sum(["region", "destination", "category"])
    host_by_sector = footprint(host).driven.sel(region="C").sum(["destination", "category"])
    np.testing.assert_allclose(by_sector, host_by_sector, rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    z=uniform((9, 9), 0.0, 10.0),
    y=uniform((9, 6), 1.0, 50.0),
    f=uniform(9, 0.0, 100.0),
    shares=uniform((2, 3), 0.05, 1.0),
)
def test_proportional_provinces_reproduce_random_hosts(z, y, f, shares) -> None:
    host = _host(z=z, y=y, f=f)
    table = proportional_table(host, "C", shares / shares.sum(axis=0))
    _assert_reproduces(host, nest(host, table, region="C"), rtol=1e-8)


def test_provinces_with_different_export_shares_move_export_linked_emissions() -> None:
    host = _host()
    even = proportional_table(host, "C", np.full((2, 3), 0.5))
    coastal = move_exports(even, {"C-1": 1.6, "C-2": 0.4})  # national exports unchanged
    flat, tilted = footprint(nest(host, even, region="C")), footprint(nest(host, coastal, "C"))
    provinces = ["C-1", "C-2"]
    # the coastal province now carries more of the emissions driven from abroad
    assert float(tilted.eee.sel(region="C-1").sum()) > 1.2 * float(flat.eee.sel(region="C-1").sum())
    assert float(tilted.eee.sel(region="C-2").sum()) < 0.8 * float(flat.eee.sel(region="C-2").sum())
    # ... while the country's totals stay (the trade margins agree, so GRAS keeps them)
    for name in ACCOUNTS:
        assert float(tilted[name].sel(region=provinces).sum()) == pytest.approx(
            float(flat[name].sel(region=provinces).sum()), rel=1e-9
        )


def test_tables_that_disagree_on_totals_are_reconciled_and_the_report_says_how_much() -> None:
    host = _host()
    table = proportional_table(host, "C", SHARES)
    bigger = SubnationalTable.from_tables(
        Z=table.Z, Y=table.Y * 1.1, F=table.F, F_Y=table.F_Y, units=table.units,
        exports=table.exports.assign(value=table.exports["value"] * np.tile([1.3, 0.9, 1.0], 3)),
        imports=table.imports.assign(value=table.imports["value"] * 1.2),
        monetary_unit="USD",
    )  # fmt: skip
    nested = nest(host, bigger, region="C", tolerance=1e-12)
    report = nested.nesting
    assert report.blocks["gap_before"].max() > 0.01
    assert report.blocks.loc["imports", "target_scale"] == pytest.approx(1.2)
    assert (report.blocks["residual"] < 1e-9).all()
    # the table's producers keep the table's output: rows of the trade blocks are exact
    provinces = nested.producers[nested.producers.get_level_values(0).isin(report.regions)]
    np.testing.assert_allclose(nested.x[provinces].to_numpy(), bigger.x.to_numpy(), rtol=1e-10)
    # foreign users buy the host's pattern from C, scaled to the table's total exports
    foreign = nested.producers[~nested.producers.get_level_values(0).isin(report.regions)]
    bought = nested.Z.loc[provinces, foreign].sum(axis=0).to_numpy()
    host_bought = host.Z.loc["C", foreign].sum(axis=0).to_numpy()
    scale = report.blocks.loc["exports", "target_scale"]
    np.testing.assert_allclose(bought, host_bought * scale, rtol=1e-9)
    assert len(report.changes) > 0
    assert "exports" in report.totals.index and "emissions CO2 [t]" in report.totals.index


def test_without_balancing_the_rows_are_exact_and_the_columns_fall_where_they_may() -> None:
    host = _host()
    table = proportional_table(host, "C", SHARES)
    skewed = SubnationalTable.from_tables(
        Z=table.Z, Y=table.Y, F=table.F, F_Y=table.F_Y, units=table.units,
        exports=table.exports.assign(value=table.exports["value"] * np.linspace(0.5, 1.5, 9)),
        imports=table.imports, monetary_unit="USD",
    )  # fmt: skip
    nested = nest(host, skewed, region="C", balance="none")
    assert nested.nesting.blocks.loc["exports", "iterations"] == 0
    assert nested.nesting.blocks.loc["exports", "residual"] > 0
    provinces = nested.producers[nested.producers.get_level_values(0).isin(["C-1", "C-2", "C-3"])]
    np.testing.assert_allclose(nested.x[provinces].to_numpy(), skewed.x.to_numpy(), rtol=1e-12)


def test_the_hosts_emissions_can_be_split_by_output_or_by_weights() -> None:
    host = _host()
    table = proportional_table(host, "C", SHARES)
    by_output = nest(host, table, region="C", emissions="output")
    assert by_output.nesting.emissions == "output"
    # proportional copies: the output split is the table's own satellite
    np.testing.assert_allclose(
        by_output.F.loc[:, table.producers].to_numpy(), table.F.to_numpy(), rtol=1e-12
    )
    weights = pd.Series(
        [1.0, 0.0, 3.0], index=pd.MultiIndex.from_tuples([("C-1", "power"), ("C-2", "power"),
                                                          ("C-3", "power")]),
    )  # fmt: skip
    by_weights = nest(host, table, region="C", emissions=weights)
    power = by_weights.F.loc["CO2", [("C-1", "power"), ("C-2", "power"), ("C-3", "power")]]
    total = float(host.F.loc["CO2", ("C", "power")])
    np.testing.assert_allclose(power.to_numpy(), [0.25 * total, 0.0, 0.75 * total])
    assert any("split by output" in note for note in by_weights.nesting.notes)
    # every tonne of C's is still there
    assert float(by_weights.F.loc["CO2", table.producers].sum()) == pytest.approx(
        float(host.F.loc["CO2", "C"].sum())
    )


def test_exports_by_partner_go_only_to_that_partners_users() -> None:
    host = _host()
    table = proportional_table(host, "C", SHARES)
    to_w = table.exports.assign(partner="W", value=table.exports["value"] * 0.4)
    to_e = table.exports.assign(partner="E", value=table.exports["value"] * 0.6)
    split = SubnationalTable.from_tables(
        Z=table.Z, Y=table.Y, F=table.F, F_Y=table.F_Y, units=table.units,
        exports=pd.concat([to_w, to_e]), imports=table.imports, monetary_unit="USD",
    )  # fmt: skip
    nested = nest(host, split, region="C")
    provinces = list(nested.nesting.regions)
    sold = nested.Z.loc[provinces, "W"].to_numpy().sum()
    sold += nested.Y.loc[provinces, "W"].to_numpy().sum()
    assert sold == pytest.approx(0.4 * table.exports["value"].sum(), rel=1e-9)


def test_imports_by_product_and_partner_come_only_from_those_producers() -> None:
    host = _host()
    table = proportional_table(host, "C", SHARES)
    # every using column buys steel from E and agri from W, in the table's amounts
    detailed = pd.concat(
        [
            table.imports.assign(product="steel", partner="E", value=table.imports["value"] * 0.3),
            table.imports.assign(product="agri", partner="W", value=table.imports["value"] * 0.7),
        ]
    )
    narrowed = SubnationalTable.from_tables(
        Z=table.Z, Y=table.Y, F=table.F, F_Y=table.F_Y, units=table.units,
        exports=table.exports, imports=detailed, monetary_unit="USD",
    )  # fmt: skip
    nested = nest(host, narrowed, region="C", tolerance=1e-12)
    provinces = list(nested.nesting.regions)
    bought = nested.Z.loc[:, provinces].sum(axis=1) + nested.Y.loc[:, provinces].sum(axis=1)
    sellers = bought[bought.index.get_level_values(0).isin(["W", "E"])]
    assert set(sellers[sellers > 0].index) == {("E", "steel"), ("W", "agri")}
    assert float(sellers.loc[("E", "steel")]) == pytest.approx(0.3 * table.imports["value"].sum())
    # each province column keeps its own import total
    column = nested.Z.loc[["W", "E"], ("C-2", "power")].sum()
    expected = table.imports.set_index(["region", "user"]).loc[("C-2", "power"), "value"]
    assert float(column) == pytest.approx(float(expected), rel=1e-9)


def test_mistakes_are_refused_with_one_clear_line() -> None:
    host = _host()
    table = proportional_table(host, "C", SHARES)
    with pytest.raises(LabelError, match="'X' is not a region of the host MRIO"):
        nest(host, table, region="X")
    clash = proportional_table(host, "C", SHARES, provinces=["W", "C-2", "C-3"])
    with pytest.raises(LabelError, match="the table's regions W are already regions"):
        nest(host, clash, region="C")
    yuan = SubnationalTable.from_tables(
        Z=table.Z, Y=table.Y, exports=table.exports, imports=table.imports, F=table.F,
        units=table.units, monetary_unit="CNY",
    )  # fmt: skip
    with pytest.raises(ValueCheckError, match=r"table is in 'CNY'.*give exchange_rate="):
        nest(host, yuan, region="C")
    assert nest(host, yuan, region="C", exchange_rate=1.0).nesting.exchange_rate == 1.0
    bare = SubnationalTable.from_tables(
        Z=table.Z, Y=table.Y, exports=table.exports, imports=table.imports
    )
    with pytest.raises(LabelError, match="satellite lacks the host's stressors CO2"):
        nest(host, bare, region="C")
    renamed = proportional_table(host, "C", SHARES, split={"power": ("a", "b", 0.5)})
    no_concordance = SubnationalTable.from_tables(
        Z=renamed.Z, Y=renamed.Y, exports=renamed.exports, imports=renamed.imports, F=renamed.F
    )
    with pytest.raises(LabelError, match="sectors a, b are not sectors of the host region"):
        nest(host, no_concordance, region="C")
    mixed = table.exports.assign(partner=["W"] + [""] * (len(table.exports) - 1))
    partial = SubnationalTable.from_tables(
        Z=table.Z, Y=table.Y, exports=mixed, imports=table.imports, F=table.F, units=table.units
    )
    with pytest.raises(LabelError, match="give a partner on every row or on none"):
        nest(host, partial, region="C")


def test_margins_that_cannot_be_met_are_refused() -> None:
    host = _host()
    table = proportional_table(host, "C", SHARES)
    # negative sales abroad would be negative intermediate flows
    negative = SubnationalTable.from_tables(
        Z=table.Z, Y=table.Y, F=table.F, F_Y=table.F_Y, units=table.units,
        exports=table.exports.assign(value=-table.exports["value"]), imports=table.imports,
    )  # fmt: skip
    with pytest.raises(ValueCheckError, match=r"nest: .* negative intermediate flows.*exports"):
        nest(host, negative, region="C")
    # one province sells abroad, another says it sells less than nothing: rows of opposite
    # signs against positive column margins that the positive rows alone must then exceed
    opposite = SubnationalTable.from_tables(
        Z=table.Z, Y=table.Y, F=table.F, F_Y=table.F_Y, units=table.units,
        exports=table.exports.assign(value=table.exports["value"] * np.tile([1, 1, -1], 3)),
        imports=table.imports,
    )  # fmt: skip
    with pytest.raises((BalanceError, ValueCheckError), match="nest: "):
        nest(host, opposite, region="C")
