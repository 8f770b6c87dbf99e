"""The four indicators of the hand city, their variants, and the comparison of cities."""

from __future__ import annotations

import pytest

from gridfoot.errors import ConfigError, ValueCheckError
from gridfoot.urban import (
    IndicatorOptions,
    city_footprint,
    compare_cities,
    indicators,
    tidy_accounts,
)
from tests.urban.conftest import hand_table


def test_hand_city_indicators(city) -> None:
    table = indicators(city)
    assert table.loc["carbon_production_intensity", "total"] == pytest.approx(340 / 220)
    assert table.loc["carbon_production_intensity", "unit"] == "t per million USD"
    assert table.loc["carbon_consumption_level", "total"] == pytest.approx(287.5 / 1000)
    assert table.loc["carbon_consumption_level", "unit"] == "t per person"
    balance = table.loc["emissions_trade_balance", ["total", "domestic", "foreign"]]
    assert balance.tolist() == pytest.approx([70 - 87.5, 60 - 75, 10 - 12.5])
    exports = table.loc["export_intensity", ["total", "domestic", "foreign"]]
    assert exports.tolist() == pytest.approx([70 / 65, 60 / 60, 10 / 5])
    imports = table.loc["import_intensity", ["total", "domestic", "foreign"]]
    assert imports.tolist() == pytest.approx([105 / 45, 90 / 30, 15 / 15])
    assert table.loc["trade_intensity_balance", "total"] == pytest.approx(70 / 65 - 105 / 45)
    assert table.loc["trade_intensity_balance", "foreign"] == pytest.approx(2 - 1)


def test_indicator_variants(city) -> None:
    table = indicators(
        city, production_footprint="direct", balance="total", trade_intensity="ratio"
    )
    assert table.loc["carbon_production_intensity", "total"] == pytest.approx(270 / 220)
    assert table.loc["emissions_trade_balance", "total"] == pytest.approx(70 - 105)
    assert table.loc["trade_intensity_balance", "total"] == pytest.approx((70 / 65) / (105 / 45))
    assert table.loc["trade_intensity_balance", "unit"] == "1"
    same = indicators(city, IndicatorOptions(balance="total"))
    assert same.loc["emissions_trade_balance", "total"] == pytest.approx(-35.0)
    with pytest.raises(ConfigError, match="balance must be one of"):
        IndicatorOptions(balance="net")
    with pytest.raises(ConfigError, match="unknown indicator option"):
        indicators(city, trade="ratio")


def test_final_demand_balance_is_direct_minus_consumption_based(city) -> None:
    balance = indicators(city).loc["emissions_trade_balance", "total"]
    b = city.boundaries
    assert balance == pytest.approx(city.direct - b["consumption_based"])


def test_comparison_table(city) -> None:
    own = city_footprint(hand_table(name="Own technology"))
    compared = compare_cities([city, own])
    assert compared.index.tolist() == ["Hand", "Own technology"]
    assert compared.loc["Hand", "consumption_based"] == pytest.approx(287.5)
    assert compared.loc["Own technology", "consumption_based"] == pytest.approx(275.0)
    assert compared.loc["Hand", "role"] == "net consumer"
    assert compared.loc["Hand", "largest_consuming_sector"] == "CON"
    assert compared.attrs["units"]["carbon_consumption_level"] == "t per person"
    assert compared.attrs["units"]["eee_domestic"] == "t"
    with pytest.raises(ValueCheckError, match="distinct names"):
        compare_cities([city, city])
    with pytest.raises(ValueCheckError, match="no cities"):
        compare_cities([])
    kilotonnes = city_footprint(hand_table(name="kt", unit="kt"))
    with pytest.raises(ValueCheckError, match="share stressor"):
        compare_cities([city, kilotonnes])


def test_tidy_accounts_one_value_per_row(city) -> None:
    tidy = tidy_accounts([city])
    assert tidy.columns.tolist() == ["city", "quantity", "split", "value", "unit"]
    row = tidy.query("quantity == 'eee' and split == 'domestic'")
    assert row["value"].tolist() == [60.0]
    cpi = tidy.query("quantity == 'carbon_production_intensity' and split == 'total'")
    assert cpi["unit"].tolist() == ["t per million USD"]
    assert not tidy["value"].isna().any()
