"""Fixtures for the input-output tests: small systems whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridfoot import MRIO


def make_frames(
    Z: np.ndarray,
    Y: np.ndarray,
    F: np.ndarray,
    regions: list[str],
    sectors: list[str],
    categories: list[str],
    stressors: list[str],
) -> dict[str, pd.DataFrame]:
    """Label numpy arrays the pymrio way."""
    producers = pd.MultiIndex.from_product([regions, sectors], names=["region", "sector"])
    demand = pd.MultiIndex.from_product([regions, categories], names=["region", "category"])
    return {
        "Z": pd.DataFrame(Z, index=producers, columns=producers),
        "Y": pd.DataFrame(Y, index=producers, columns=demand),
        "F": pd.DataFrame(F, index=pd.Index(stressors, name="stressor"), columns=producers),
    }


@pytest.fixture
def small_mrio_frames() -> dict[str, pd.DataFrame]:
    """pymrio's 2-region x 3-sector golden example (pymrio/tests/test_math.py, td_small_MRIO)."""
    frames = make_frames(
        Z=np.array(
            [
                [10, 5, 1, 6, 5, 7],
                [0, 2, 0, 0, 5, 3],
                [10, 3, 20, 4, 2, 0],
                [5, 0, 0, 1, 10, 9],
                [0, 10, 1, 0, 20, 1],
                [5, 0, 0, 1, 10, 10],
            ],
            dtype=float,
        ),
        Y=np.array([[14, 3], [2.5, 2.5], [13, 6], [5, 20], [10, 10], [3, 10]]),
        F=np.array([[20, 1, 42, 4, 20, 5], [5, 4, 11, 8, 2, 10]], dtype=float),
        regions=["reg1", "reg2"],
        sectors=["sector1", "sector2", "sector3"],
        categories=["final demand"],
        stressors=["ext_type_1", "ext_type_2"],
    )
    frames["F_Y"] = pd.DataFrame(
        [[50.0, 10.0], [100.0, 20.0]], index=frames["F"].index, columns=frames["Y"].columns
    )
    return frames


@pytest.fixture
def small_mrio(small_mrio_frames) -> MRIO:
    return MRIO.from_tables(**small_mrio_frames, units={"ext_type_1": "kg", "ext_type_2": "kg"})
