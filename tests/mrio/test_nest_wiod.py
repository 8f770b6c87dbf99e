"""Nesting on the real WIOD 2009 table: China split into provinces, joined back in.

Provinces that are proportional copies of CHN (each sector's output split by fixed shares,
same technology), written as a sub-national table with exports and imports as totals only,
must reproduce CHN's accounts (summed over the provinces) and every other region's to 1e-9
relative: with WIOD's 35 sectors, and with one sector split in two (an uneven classification
joined by a concordance). WIOD's final demand has negative entries (inventories), which the
spread keeps.
"""

from __future__ import annotations

import numpy as np
import pytest

from gridfoot import footprint
from gridfoot.mrio.nest import nest
from tests.mrio.splits import move_exports, proportional_table

pytestmark = pytest.mark.slow

PROVINCES = 6


def _shares(seed: int, sectors: int) -> np.ndarray:
    raw = np.random.default_rng(seed).uniform(0.05, 1.0, (PROVINCES, sectors))
    return raw / raw.sum(axis=0)


@pytest.mark.parametrize("split", [None, {"secE": ("coal power", "other utilities", 0.8)}])
def test_proportional_provinces_reproduce_wiod(
    wiod2009_balanced, wiod2009_balanced_footprint, split
) -> None:
    table = proportional_table(wiod2009_balanced, "CHN", _shares(7, 35), split=split)
    nested = nest(wiod2009_balanced, table, region="CHN")
    after = footprint(nested).sel(stressor="CO2")
    before = wiod2009_balanced_footprint
    provinces = list(table.regions)
    others = [r for r in wiod2009_balanced.regions if r != "CHN"]
    for name in ("pba", "cba", "eee", "eei"):
        assert float(after[name].sel(region=provinces).sum()) == pytest.approx(
            float(before[name].sel(region="CHN")), rel=1e-9
        )
        np.testing.assert_allclose(
            after[name].sel(region=others), before[name].sel(region=others), rtol=1e-9
        )
    # export-linked emissions of China by destination: the published-style breakdown
    export_linked = after.flows.sel(region=provinces).sum("region").sel(destination=others)
    np.testing.assert_allclose(
        export_linked, before.flows.sel(region="CHN", destination=others), rtol=1e-9
    )
    assert nested.nesting.blocks["gap_before"].max() < 1e-9
    if split:
        assert not nested.uniform and len(nested.sectors_of(provinces[0])) == 36


def test_different_export_shares_move_export_linked_emissions_between_provinces(
    wiod2009_balanced, wiod2009_balanced_footprint
) -> None:
    even = np.full((2, 35), 0.5)
    flat = proportional_table(wiod2009_balanced, "CHN", even, provinces=["coast", "inland"])
    tilted = move_exports(flat, {"coast": 1.5, "inland": 0.5})
    before = footprint(nest(wiod2009_balanced, flat, region="CHN")).sel(stressor="CO2")
    after = footprint(nest(wiod2009_balanced, tilted, region="CHN")).sel(stressor="CO2")
    # the coast exports three times what inland does, but half of its inputs still come from
    # inland, so its export-linked CO2 rises by less than its exports (measured: +6.7%)
    assert float(after.eee.sel(region="coast")) > 1.05 * float(before.eee.sel(region="coast"))
    assert float(after.eee.sel(region="inland")) < 0.95 * float(before.eee.sel(region="inland"))
    national = float(after.eee.sel(region=["coast", "inland"]).sum())
    assert national == pytest.approx(
        float(wiod2009_balanced_footprint.eee.sel(region="CHN")), rel=1e-9
    )
