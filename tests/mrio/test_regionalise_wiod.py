"""Regionalising WIOD 2009's China into five uneven sub-regions with FLQ (DESIGN §2b).

The estimate keeps China's production-based account exactly and every sub-region's output at
its share of the national output; GRAS moves the national consumption-based accounts a
little, and this file measures how much.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from gridfoot import footprint, regionalise

pytestmark = pytest.mark.slow

SUBREGIONS = ["east", "north", "south", "west", "northeast"]
#: rough sizes: the east makes about a third of everything, the northeast a twelfth
SIZES = np.array([0.35, 0.20, 0.25, 0.12, 0.08])


def _shares(wiod2009_balanced) -> pd.DataFrame:
    """Uneven weights per sector (each sub-region 0.2-1.8 times its size); none for three
    sectors (private households, fuel retail, public administration), split like the total."""
    sectors = wiod2009_balanced.sectors_of("CHN")
    rng = np.random.default_rng(3)
    weights = rng.uniform(0.2, 1.8, (len(SUBREGIONS), len(sectors))) * SIZES[:, None]
    return pd.DataFrame(weights, index=SUBREGIONS, columns=sectors).drop(
        columns=["secP", "sec50", "secL"]
    )


def test_flq_regionalises_china_keeping_pba_and_output(
    wiod2009_balanced, wiod2009_balanced_footprint
) -> None:
    shares = _shares(wiod2009_balanced)
    start = time.perf_counter()
    mrio = regionalise(wiod2009_balanced, "CHN", shares, "flq")
    seconds = time.perf_counter() - start
    after = footprint(mrio).sel(stressor="CO2")
    before = wiod2009_balanced_footprint
    # production-based: every tonne of China's where it was
    assert float(after.pba.sel(region=SUBREGIONS).sum()) == pytest.approx(
        float(before.pba.sel(region="CHN")), rel=1e-9
    )
    # every sub-region's output is its share of the national output
    x_national = wiod2009_balanced.x.loc["CHN"].to_numpy()
    sigma = shares.to_numpy() / shares.to_numpy().sum(axis=0)
    weighted = wiod2009_balanced.sectors_of("CHN").isin(shares.columns)
    x = (
        mrio.x.loc[SUBREGIONS]
        .unstack("sector")[wiod2009_balanced.sectors_of("CHN")]
        .loc[SUBREGIONS]
    )
    np.testing.assert_allclose(
        x.to_numpy()[:, weighted], sigma * x_national[weighted], rtol=1e-9, atol=1e-6
    )
    # national consumption-based accounts move a little: measured eee +0.059%, cba -0.014%,
    # eei +0.021%; other countries' accounts by at most 0.008% (cba) and 0.0006% (eee)
    drift = {
        name: float(after[name].sel(region=SUBREGIONS).sum()) / float(before[name].sel(
            region="CHN")) - 1
        for name in ("cba", "eee", "eei")
    }  # fmt: skip
    assert abs(drift["eee"]) < 2e-3
    assert abs(drift["cba"]) < 1e-3 and abs(drift["eei"]) < 1e-3
    others = [r for r in wiod2009_balanced.regions if r != "CHN"]
    for name, bound in (("cba", 5e-4), ("eee", 5e-5)):
        moved = after[name].sel(region=others) / before[name].sel(region=others) - 1
        assert float(np.abs(moved).max()) < bound
    # the estimate says what it is
    report = mrio.nesting
    assert report.estimate and report.method == "flq"
    assert report.blocks.loc["domestic", "iterations"] > 0
    assert any("sec50, secL, secP" in note for note in report.notes)
    # measured: 0.3-0.7 s (GRAS on a 175 x 200 block; nest and the checks of the MRIO)
    assert seconds < 30
    print(f"\nregionalise CHN -> 5 (flq): {seconds:.2f} s; drift {drift}")
