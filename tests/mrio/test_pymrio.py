"""Parity with pymrio on its bundled test system: same tables, same accounts."""

from __future__ import annotations

import numpy as np
import pytest

from gridfoot import footprint, read_mrio
from gridfoot.mrio import mrio_from_pymrio

pymrio = pytest.importorskip("pymrio")


@pytest.fixture(scope="module")
def reference():
    io = pymrio.load_test()
    io.calc_all()
    return io


@pytest.fixture(scope="module")
def result(reference):
    return footprint(mrio_from_pymrio(reference, extensions=["emissions"]))


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("cba", "D_cba_reg"), ("pba", "D_pba_reg"), ("eei", "D_imp_reg"), ("eee", "D_exp_reg")],
)
def test_region_accounts_equal_pymrio(reference, result, ours, theirs) -> None:
    expected = getattr(reference.emissions, theirs)
    np.testing.assert_allclose(
        result[ours].transpose("stressor", "region"),
        expected.loc[:, result.region.values],
        rtol=1e-9,
    )


def test_multipliers_equal_pymrio(reference, result) -> None:
    np.testing.assert_allclose(
        result.multiplier.stack(producer=("region", "sector")), reference.emissions.M, rtol=1e-9
    )


def test_stressor_labels_and_units_come_from_the_extension(result) -> None:
    assert result.stressor.values.tolist() == ["emission_type1 | air", "emission_type2 | water"]
    assert result.unit.values.tolist() == ["kg", "kg"]


def test_a_folder_written_by_pymrio_reads_back_to_the_same_accounts(reference, result, tmp_path):
    io = pymrio.load_test()
    io.save_all(tmp_path / "testmrio")
    from_folder = footprint(read_mrio(tmp_path / "testmrio"))
    for name in ("cba", "pba", "eee", "eei"):
        np.testing.assert_allclose(
            from_folder[name].sel(stressor=result.stressor), result[name], rtol=1e-12
        )
    # Every extension became stressors: emissions and value added.
    assert "Value Added" in from_folder.stressor.values
