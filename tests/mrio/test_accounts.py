"""Footprint accounts against hand-computed and published values, and their identities."""

from __future__ import annotations

import numpy as np
import pytest

from gridfoot import composition, footprint
from gridfoot.datasets import sample_mrio, textbook_mrio
from gridfoot.errors import LabelError

# Textbook system (gridfoot.datasets.textbook_mrio): A = [[.15, .25], [.2, .05]],
# det(I - A) = .85 * .95 - .25 * .2 = .7575, L = [[.95, .25], [.2, .85]] / .7575.
# A's households buy (300, 200) of A's and B's goods, B's households (50, 1500).
X_FOR_A = np.array([0.95 * 300 + 0.25 * 200, 0.2 * 300 + 0.85 * 200]) / 0.7575
X_FOR_B = np.array([0.95 * 50 + 0.25 * 1500, 0.2 * 50 + 0.85 * 1500]) / 0.7575
S = np.array([100 / 1000, 60 / 2000])


def test_textbook_driven_emissions_by_hand() -> None:
    result = footprint(textbook_mrio()).sel(stressor="CO2", sector="goods", category="households")
    np.testing.assert_allclose(result.driven.sel(destination="A"), S * X_FOR_A, rtol=1e-13)
    np.testing.assert_allclose(result.driven.sel(destination="B"), S * X_FOR_B, rtol=1e-13)


def test_textbook_accounts_by_hand() -> None:
    result = footprint(textbook_mrio()).sel(stressor="CO2")
    household_a = 10.0
    expected = {
        "pba": [100 + household_a, 60],
        "cba": [S @ X_FOR_A + household_a, S @ X_FOR_B],
        "eee": [S[0] * X_FOR_B[0], S[1] * X_FOR_A[1]],  # emitted here, driven by the other
        "eei": [S[1] * X_FOR_A[1], S[0] * X_FOR_B[0]],  # emitted there, driven from here
        "eee_domestic": [0, 0],
        "eei_domestic": [0, 0],
    }
    for name, values in expected.items():
        np.testing.assert_allclose(result[name], values, rtol=1e-13, atol=1e-13, err_msg=name)
    assert result.pba.attrs["units"] == "t"
    assert result.multiplier.attrs["units"] == "t per USD"


# pymrio/tests/test_math.py, td_small_MRIO: published results of the 2-region x 3-sector example.
PYMRIO_M = [
    [
        0.896638324101429,
        1.7965474933011258,
        1.1666796580507097,
        0.3013124703668342,
        1.4371886818255364,
        0.7177624711634629,
    ],
    [
        0.3004620527704837,
        0.9052387706892087,
        0.311411003349379,
        0.23778766312079253,
        0.5331560745059157,
        0.6031791628984159,
    ],
]
PYMRIO_D_CBA = [
    [
        14.059498889254174,
        18.863255551508175,
        17.32012296814962,
        8.71616437964097,
        18.863255551508175,
        14.17770265993889,
    ],
    [
        5.395407054390734,
        7.594657671782178,
        5.857880532237175,
        5.657139420727301,
        7.594657671782178,
        7.900257649080434,
    ],
]
PYMRIO_D_IMP = [
    [
        1.2792573306446737,
        10.499069649181388,
        1.2752266807875912,
        6.604374747509535,
        8.364185902326788,
        10.842115601865368,
    ],
    [
        2.054905005956757,
        3.9151998960771452,
        1.522271392125981,
        1.743464577633809,
        3.6794577757050337,
        3.221508682410955,
    ],
]
PYMRIO_D_EXP = [
    [
        8.251832343364468,
        0.5304113433404783,
        17.02843256499675,
        1.3307504334524414,
        9.797226856351275,
        1.9255763708099365,
    ],
    [
        2.062958085841117,
        2.1216453733619134,
        4.459827576546767,
        2.6615008669048827,
        0.9797226856351275,
        3.851152741619873,
    ],
]


def test_multipliers_and_exports_match_pymrio_golden_values(small_mrio) -> None:
    result = footprint(small_mrio)
    np.testing.assert_allclose(
        result.multiplier.stack(producer=("region", "sector")), PYMRIO_M, rtol=1e-12
    )
    foreign = result.driven.where(result.destination != result.region, 0.0)
    np.testing.assert_allclose(
        foreign.sum(["destination", "category"]).stack(producer=("region", "sector")),
        PYMRIO_D_EXP,
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        result.direct.stack(producer=("region", "sector")), small_mrio.F, rtol=1e-12
    )


def test_composition_by_consumed_product_matches_pymrio_d_cba_and_d_imp(small_mrio) -> None:
    # pymrio's D_cba / D_imp columns are (consuming region, product sector).
    for column, (consumer, product) in enumerate(
        (r, s) for r in small_mrio.regions for s in small_mrio.sectors
    ):
        comp = composition(small_mrio, product, destinations=consumer)
        total = comp.sum(["region", "sector", "product_region", "product_sector"])
        np.testing.assert_allclose(total, np.array(PYMRIO_D_CBA)[:, column], rtol=1e-12)
        abroad = comp.where(comp.region != consumer, 0.0)
        np.testing.assert_allclose(
            abroad.sum(["region", "sector", "product_region", "product_sector"]),
            np.array(PYMRIO_D_IMP)[:, column],
            rtol=1e-12,
        )


def test_accounts_hold_the_identities_on_the_sample_system() -> None:
    result = footprint(sample_mrio())
    # driven sums to the accounted direct emissions
    np.testing.assert_allclose(
        result.driven.sum(["destination", "category"]), result.direct, rtol=1e-9
    )
    rebuilt = result.pba - result.eee - result.eee_domestic + result.eei + result.eei_domestic
    np.testing.assert_allclose(rebuilt, result.cba, rtol=1e-9)
    np.testing.assert_allclose(result.pba.sum("region"), result.cba.sum("region"), rtol=1e-9)
    # At country level the domestic terms cancel: cba = pba - eee + eei.
    by_country = result[["pba", "cba", "eee", "eei"]].groupby("country").sum()
    np.testing.assert_allclose(
        by_country.pba - by_country.eee + by_country.eei, by_country.cba, rtol=1e-9
    )


def test_grouping_splits_trade_into_foreign_and_domestic() -> None:
    mrio = sample_mrio()
    grouped = footprint(mrio)
    ungrouped = footprint(mrio.with_countries({r: r for r in mrio.regions}))
    assert float(ungrouped.eee_domestic.sum()) == 0.0
    assert float(grouped.eee_domestic.sum()) > 0.0
    np.testing.assert_allclose(grouped.eee + grouped.eee_domestic, ungrouped.eee, rtol=1e-12)
    np.testing.assert_allclose(grouped.eei + grouped.eei_domestic, ungrouped.eei, rtol=1e-12)
    np.testing.assert_allclose(grouped.pba, ungrouped.pba, rtol=1e-12)
    np.testing.assert_allclose(grouped.cba, ungrouped.cba, rtol=1e-12)
    # Export-linked emissions of a province: driven by destinations of another country.
    province = grouped.sel(region="HAI")
    foreign = province.driven.where(province.destination_country != "MER", 0.0).sum()
    np.testing.assert_allclose(foreign, province.eee, rtol=1e-12)


def test_composition_summed_over_products_is_the_footprint_of_final_demand() -> None:
    mrio = sample_mrio()
    result = footprint(mrio)
    comp = composition(mrio, list(mrio.sectors), destinations="USA")
    np.testing.assert_allclose(
        comp.sum(["region", "sector", "product_region", "product_sector"]),
        (result.cba - result.direct_final_demand.sum("category")).sel(region="USA"),
        rtol=1e-10,
    )


def test_stressor_selection_keeps_the_dimension_and_rejects_unknown_names(small_mrio) -> None:
    result = footprint(small_mrio, stressor="ext_type_2")
    assert result.driven.dims[0] == "stressor"
    assert result.stressor.values.tolist() == ["ext_type_2"]
    assert result.unit.values.tolist() == ["kg"]
    with pytest.raises(LabelError, match=r"unknown stressor.*CO2"):
        footprint(small_mrio, stressor="CO2")
    with pytest.raises(LabelError, match=r"unknown sector.*cement"):
        composition(small_mrio, "cement")


def test_a_lazy_driven_table_is_the_eager_one_made_one_stressor_at_a_time(small_mrio) -> None:
    eager = footprint(small_mrio, lazy=False)
    lazy = footprint(small_mrio, lazy=True)
    assert isinstance(eager.driven.data, np.ndarray)
    assert lazy.driven.chunks[0] == (1, 1)  # one chunk per stressor, nothing computed yet
    np.testing.assert_allclose(lazy.driven.values, eager.driven.values, rtol=1e-14)
    for name in ("pba", "cba", "eee", "eei", "flows", "multiplier"):
        np.testing.assert_array_equal(lazy[name].values, eager[name].values)
    # the accounts never needed the table: flows are its sums all the same
    np.testing.assert_allclose(
        eager.flows, eager.driven.sum(["sector", "category"]), rtol=1e-12, atol=1e-12
    )
