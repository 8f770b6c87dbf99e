"""The pure account functions, against sums that must hold for any system."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridfoot.mrio.leontief import factor, intensities
from gridfoot.urban.accounts import city_accounts, consumed_composition
from tests.strategies import mask, uniform


@st.composite
def systems(draw):
    n, m, K = draw(st.integers(1, 5)), draw(st.integers(1, 6)), draw(st.integers(1, 3))
    Z = draw(uniform((n, n), 0, 10)) * draw(mask((n, n)))
    Y = draw(uniform((n, K), 1, 50))  # final use in every sector: productive
    E = draw(uniform((n, 2), 0, 30))
    x = Z.sum(axis=1) + Y.sum(axis=1) + E.sum(axis=1)
    Z_sup = draw(uniform((m, m), 0, 1))
    x_sup = Z_sup.sum(axis=1) + draw(uniform(m, 5, 20))
    return {
        "Z_l": Z,
        "Y_l": Y,
        "E_l": E,
        "F": draw(uniform(n, 0, 3)) * x,
        "U": draw(uniform((2, m, n), 0, 5)),
        "V": draw(uniform((2, m, K), 0, 5)),
        "R": draw(uniform((2, m, 2), 0, 2)),
        "A_sup": Z_sup / x_sup,
        "S_sup": draw(uniform(m, 0, 2)),
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
