"""Property tests: on random productive systems every identity holds and the solves agree with
an independent dense-inverse computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from gridfoot import MRIO, composition, footprint
from tests.mrio.conftest import make_frames
from tests.strategies import mask, uniform


@st.composite
def systems(draw):
    n_regions = draw(st.integers(1, 4))
    n_sectors = draw(st.integers(1, 4))
    n_categories = draw(st.integers(1, 3))
    n_stressors = draw(st.integers(1, 2))
    n = n_regions * n_sectors
    n_demand = n_regions * n_categories
    # Productive by construction: columns of A sum to < 1; sparse and of mixed magnitude.
    A = draw(uniform((n, n), 0, 1)) * draw(mask((n, n)))
    A *= draw(uniform(n, 0.05, 0.95)) / np.maximum(A.sum(axis=0), 1e-12)
    Y = draw(uniform((n, n_demand), 0, 1e4)) * draw(mask((n, n_demand)))
    inventories = draw(st.sampled_from([0.0, 1.5]))  # the last column may turn negative
    Y[:, -1] -= draw(uniform(n, 0, 1)) * Y[:, -1] * inventories
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    Y[:, 0] += np.maximum(-x, 0) + 1.0  # keep every producer's output positive
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    F = draw(uniform((n_stressors, n), 0, 1e5)) * draw(mask((n_stressors, n)))
    regions = [f"r{i}" for i in range(n_regions)]
    frames = make_frames(
        A * x,
        Y,
        F,
        regions,
        [f"s{i}" for i in range(n_sectors)],
        [f"c{i}" for i in range(n_categories)],
        [f"e{i}" for i in range(n_stressors)],
    )
    frames["F_Y"] = pd.DataFrame(
        draw(uniform((n_stressors, n_demand), 0, 10)),
        index=frames["F"].index,
        columns=frames["Y"].columns,
    )
    countries = {r: f"C{draw(st.integers(0, 2))}" for r in regions}
    return MRIO.from_tables(**frames, countries=countries)


@given(systems())
def test_identities_hold_on_random_systems(mrio: MRIO) -> None:
    result = footprint(mrio)
    scale = float(np.abs(result.direct).max()) + float(result.direct_final_demand.max()) + 1.0
    atol = 1e-9 * scale
    np.testing.assert_allclose(
        result.driven.sum(["destination", "category"]), result.direct, rtol=1e-9, atol=atol
    )
    rebuilt = result.pba - result.eee - result.eee_domestic + result.eei + result.eei_domestic
    np.testing.assert_allclose(rebuilt, result.cba, rtol=1e-9, atol=atol)
    np.testing.assert_allclose(
        result.pba.sum("region"), result.cba.sum("region"), rtol=1e-9, atol=atol
    )
    grouped = result[["pba", "cba", "eee", "eei"]].groupby("country").sum()
    np.testing.assert_allclose(
        grouped.pba - grouped.eee + grouped.eei, grouped.cba, rtol=1e-9, atol=atol
    )


@given(systems())
def test_solves_agree_with_the_dense_inverse(mrio: MRIO) -> None:
    result = footprint(mrio)
    L = np.linalg.inv(np.eye(len(mrio.producers)) - mrio.A.to_numpy())
    S = mrio.S.to_numpy()
    expected = S[:, :, None] * (L @ mrio.Y.to_numpy())[None]
    driven = result.driven.to_numpy().reshape(expected.shape)
    atol = 1e-9 * float(np.abs(expected).max() + 1.0)
    np.testing.assert_allclose(driven, expected, rtol=1e-8, atol=atol)
    np.testing.assert_allclose(
        result.multiplier.to_numpy().reshape(S.shape),
        S @ L,
        rtol=1e-8,
        atol=1e-12 * float(np.abs(S @ L).max() + 1.0),
    )
    comp = composition(mrio, mrio.sectors[0], destinations=mrio.regions[0])
    products = mrio.producers.get_indexer(
        pd.MultiIndex.from_product([mrio.regions, mrio.sectors[:1]])
    )
    demand = mrio.Y.xs(mrio.regions[0], axis=1, level="region").to_numpy().sum(axis=1)
    expected_comp = S[:, :, None] * (L[:, products] * demand[products])[None]
    np.testing.assert_allclose(
        comp.to_numpy().reshape(expected_comp.shape),
        expected_comp,
        rtol=1e-8,
        atol=1e-9 * float(np.abs(expected_comp).max() + 1.0),
    )
