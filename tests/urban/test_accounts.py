"""The pure account functions, against sums that must hold for any system."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridfoot.mrio.leontief import factor, intensities
from gridfoot.urban.accounts import city_accounts, consumed_composition


@st.composite
def systems(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, m, K = draw(st.integers(1, 5)), draw(st.integers(1, 6)), draw(st.integers(1, 3))
    Z = rng.uniform(0, 10, size=(n, n)) * (rng.random((n, n)) < 0.6)
    Y = rng.uniform(0, 50, size=(n, K))
    E = rng.uniform(0, 30, size=(n, 2))
    x = Z.sum(axis=1) + Y.sum(axis=1) + E.sum(axis=1)
    Z_sup = rng.uniform(0, 1, size=(m, m))
    x_sup = Z_sup.sum(axis=1) + rng.uniform(5, 20, size=m)
    return {
        "Z_l": Z,
        "Y_l": Y,
        "E_l": E,
        "F": rng.uniform(0, 3, size=n) * x,
        "U": rng.uniform(0, 5, size=(2, m, n)),
        "V": rng.uniform(0, 5, size=(2, m, K)),
        "R": rng.uniform(0, 2, size=(2, m, 2)),
        "A_sup": Z_sup / x_sup,
        "S_sup": rng.uniform(0, 2, size=m),
    }


@given(systems())
def test_accounts_add_up(system) -> None:
    A_sup, S_sup = system.pop("A_sup"), system.pop("S_sup")
    m = len(S_sup)
    supply = factor(A_sup, np.ones(m))  # Z = A when x = 1
    M_sup = np.linalg.solve((np.eye(m) - A_sup).T, S_sup)  # multipliers, independently
    acc = city_accounts(**system, M_sup=M_sup)
    total = system["F"].sum()
    assert acc["local_for_local"].sum() + acc["eee"].sum() == pytest.approx(total, rel=1e-9)
    for_final_demand = acc["eei_final_demand"].sum() + acc["eei_inputs_final"].sum()
    consumed = acc["consumed_local"].sum() + acc["consumed_imported"].sum()
    assert consumed == pytest.approx(acc["local_for_local"].sum() + for_final_demand, rel=1e-9)
    everything = for_final_demand + acc["eei_inputs_exports"].sum() + acc["eei_re_exports"].sum()
    assert acc["eei_supplier"].sum() == pytest.approx(everything, rel=1e-9)
    # Composition of all products at once: local part is LL, supply part the EEI for FD.
    n = len(system["F"])
    local, upstream = consumed_composition(
        acc["factor"],
        intensities(system["F"][None, :], acc["x"])[0],
        acc["x"],
        system["U"],
        supply,
        S_sup,
        system["Y_l"].sum(axis=1)[:, None],
        system["V"].sum(axis=2)[:, :, None],
    )
    assert local.sum() == pytest.approx(acc["local_for_local"].sum(), rel=1e-9)
    assert upstream.sum() == pytest.approx(for_final_demand, rel=1e-9)
    assert local.shape == (n, 1)
