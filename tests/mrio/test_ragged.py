"""MRIOs whose regions have different sector lists (provinces in 3 sectors beside countries in 2).

The independent reference: the same system laid out on the full region x sector product, with
the pairs a region lacks present as idle producers (all zeros, x = 0). Idle producers get zero
coefficients, so every account must be the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfoot import MRIO, composition, footprint
from tests.strategies import uniform

PRODUCERS = pd.MultiIndex.from_tuples(
    [("P1", "coal"), ("P1", "power"), ("P1", "steel"), ("P2", "coal"), ("P2", "power"),
     ("W", "goods"), ("W", "power")],
    names=["region", "sector"],
)  # fmt: skip
DEMAND = pd.MultiIndex.from_tuples(
    [("P1", "rural"), ("P1", "urban"), ("P2", "urban"), ("W", "hh")],
    names=["region", "category"],
)


def _ragged(z: np.ndarray, y: np.ndarray, f: np.ndarray, fy: np.ndarray) -> MRIO:
    return MRIO.from_tables(
        Z=pd.DataFrame(z, index=PRODUCERS, columns=PRODUCERS),
        Y=pd.DataFrame(y, index=PRODUCERS, columns=DEMAND),
        F=pd.DataFrame(f[None], index=["CO2"], columns=PRODUCERS),
        F_Y=pd.DataFrame(fy[None], index=["CO2"], columns=DEMAND),
        countries={"P1": "C", "P2": "C", "W": "W"},
        units={"CO2": "t"},
    )


def _padded(mrio: MRIO) -> MRIO:
    """The same system on the full product: absent pairs as idle producers."""
    full = pd.MultiIndex.from_product([mrio.regions, mrio.sectors], names=["region", "sector"])
    demand = pd.MultiIndex.from_product(
        [mrio.regions, mrio.categories], names=["region", "category"]
    )
    return MRIO.from_tables(
        Z=mrio.Z.reindex(index=full, columns=full, fill_value=0.0),
        Y=mrio.Y.reindex(index=full, columns=demand, fill_value=0.0),
        F=mrio.F.reindex(columns=full, fill_value=0.0),
        F_Y=mrio.F_Y.reindex(columns=demand, fill_value=0.0),
        countries=mrio.countries,
        units=mrio.units,
        zero_output="ignore",
    )


def _example() -> MRIO:
    rng = np.random.default_rng(3)
    z = rng.uniform(0, 10, (7, 7))
    return _ragged(z, rng.uniform(5, 30, (7, 4)), rng.uniform(1, 50, 7), np.array([1, 2, 3, 4.0]))


def test_a_ragged_table_keeps_each_regions_own_sectors_and_categories() -> None:
    mrio = _example()
    assert not mrio.uniform
    assert mrio.sectors.tolist() == ["coal", "power", "steel", "goods"]
    assert mrio.sectors_of("P2").tolist() == ["coal", "power"]
    assert mrio.categories.tolist() == ["rural", "urban", "hh"]
    assert len(mrio.producers) == 7
    assert "2-3 of 4 sectors = 7 producers" in repr(mrio)


def test_labels_are_put_in_region_major_order_whatever_order_they_come_in() -> None:
    mrio = _example()
    # canonical: regions in order of first appearance, each region's sectors as given
    assert mrio.producers[-2:].tolist() == [("W", "goods"), ("W", "power")]
    shuffled = np.array([6, 3, 0, 5, 2, 4, 1])
    again = MRIO.from_tables(
        Z=mrio.Z.iloc[shuffled, shuffled], Y=mrio.Y.iloc[shuffled, ::-1], F=mrio.F.iloc[:, shuffled]
    )
    assert again.regions.tolist() == ["W", "P2", "P1"]
    regions = again.producers.get_level_values(0)
    assert (np.diff(again.regions.get_indexer(regions)) >= 0).all()
    same = again.Z.loc[mrio.producers, mrio.producers]
    np.testing.assert_array_equal(same.to_numpy(), mrio.Z.to_numpy())


def test_the_footprint_of_a_ragged_table_is_that_of_the_padded_table() -> None:
    mrio = _example()
    ragged, padded = footprint(mrio), footprint(_padded(mrio))
    for name in ("driven", "pba", "cba", "eee", "eei", "eee_domestic", "multiplier", "direct"):
        np.testing.assert_allclose(ragged[name], padded[name], rtol=1e-12, atol=1e-12)
    assert ragged.is_producer.sel(region="P2", sector="steel").item() is False
    assert int(ragged.is_producer.sum()) == 7
    assert bool(padded.is_producer.all())
    # a pair a region lacks holds zeros, and the identities hold
    assert float(abs(ragged.driven.sel(region="W", sector="coal")).max()) == 0.0
    identity = ragged.pba - ragged.eee - ragged.eee_domestic + ragged.eei + ragged.eei_domestic
    np.testing.assert_allclose(identity, ragged.cba, rtol=1e-12)
    np.testing.assert_allclose(ragged.driven.sum(["destination", "category"]), ragged.direct)
    np.testing.assert_allclose(footprint(mrio, lazy=True).driven.values, ragged.driven.values)


def test_composition_of_a_ragged_table_skips_the_pairs_a_region_lacks() -> None:
    mrio = _example()
    ragged = composition(mrio, ["power", "steel"])
    padded = composition(_padded(mrio), ["power", "steel"])
    np.testing.assert_allclose(ragged, padded, rtol=1e-12, atol=1e-12)
    assert float(ragged.sel(product_region="W", product_sector="steel").sum()) == 0.0


@settings(max_examples=30, deadline=None)
@given(
    z=uniform((7, 7), 0.0, 5.0),
    y=uniform((7, 4), 0.0, 40.0),
    f=uniform(7, 0.0, 100.0),
    fy=uniform(4, 0.0, 10.0),
    drop=st.sampled_from([None, 2, 4]),
)
def test_ragged_and_padded_tables_agree_on_random_systems(z, y, f, fy, drop) -> None:
    y[:, 0] += 1.0  # every producer sells something, so x > 0
    if drop is not None:  # an idle producer inside the ragged table too
        z[drop], z[:, drop], y[drop], f[drop] = 0.0, 0.0, 0.0, 0.0
    mrio = _ragged(z, y, f, fy)
    ragged, padded = footprint(mrio), footprint(_padded(mrio))
    for name in ("driven", "cba", "eee", "eei", "multiplier"):
        np.testing.assert_allclose(ragged[name], padded[name], rtol=1e-9, atol=1e-9)
    total = float(mrio.F.to_numpy().sum() + mrio.F_Y.to_numpy().sum())
    assert float(ragged.cba.sum()) == pytest.approx(total, rel=1e-9)
