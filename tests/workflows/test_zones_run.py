"""The sample run covers each polygon layer once, and its numbers did not move with Zones.

Before :class:`~gridfoot.spatial.Zones`, a run computed the provinces' coverage of the grid
for the land fraction, again for each region whose producers fall back to land, and again to
name the hubs. Now it is built once and passed around; every figure that depends on it (land
fraction, allocation weights, zonal totals, the hubs table) must equal what commit 28d4c52
computed (``zones_reference_28d4c52.json``), up to rounding.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gridfoot.hotspots import zonal_totals
from gridfoot.io.vector import read_polygons
from gridfoot.spatial import Zones

pytestmark = pytest.mark.slow

REFERENCE = Path(__file__).with_name("zones_reference_28d4c52.json")


@pytest.fixture(scope="module")
def counted_run(demo_run):
    """The session's sample run (``gridfoot demo``, tests/conftest.py), with the number of
    polygons of every coverage it computed."""
    assert demo_run.coverages is not None, "gridfoot.spatial.grid._coverage_rows is gone"
    return demo_run.study, demo_run.study.config, list(demo_run.coverages)


def test_each_polygon_layer_is_covered_once_per_run(counted_run):
    result, _, calls = counted_run
    # 12 provinces: land fraction, the fallback of 38 producers in 12 regions and the hubs'
    # province names; 6 cities: the hubs' city names. At 28d4c52: 1 + 12 + 1 + 1 calls.
    assert calls == [12, 6]
    assert (result.allocation.report["method"] == "land").sum() == 38
    # hubs are named by the provinces' names (name_field), not their MRIO codes
    assert result.hotspots.hubs["regions"].iloc[0] == "Haiyang; Jiangbei"


def _zonal(result) -> dict:
    return {
        "zones": [str(v) for v in result.zone.values],
        "total": result.total.values.tolist(),
        "land_area": result.land_area.values.tolist(),
        "outside": float(result.outside),
    }


def _key_numbers(result, config) -> dict:
    """What the reference holds, computed the same way (the zonal totals with Zones)."""
    land = result.allocation.grid.land
    rows, cols = np.indices(land.shape)
    weights = result.allocation.weights.toarray()
    report = result.allocation.report
    provinces = Zones.from_frame(read_polygons(config.boundaries.path), label="name")
    cities = Zones.from_frame(read_polygons(config.boundaries.cities), label="name")
    return {
        "land": {
            "sum": float(land.sum()),
            "cells": int((land > 0).sum()),
            "partial": int(((land > 0) & (land < 1)).sum()),
            "row_moment": float((land * rows).sum()),
            "col_moment": float((land * cols).sum()),
            "squares": float((land**2).sum()),
        },
        "allocation": {
            "producers": [list(p) for p in report.index],
            "method": report["method"].tolist(),
            "fallback": report["fallback"].tolist(),
            "on_grid": report["on_grid"].tolist(),
            "weight_row": (weights @ rows.ravel()).tolist(),
            "weight_col": (weights @ cols.ravel()).tolist(),
            "weight_squares": (weights**2).sum(axis=1).tolist(),
            "nnz": int(result.allocation.weights.nnz),
        },
        "total": float(result.total.sum()),
        "zonal_provinces": _zonal(zonal_totals(result.total, provinces)),
        "zonal_cities": _zonal(zonal_totals(result.total, cities)),
        "hubs": json.loads(result.hotspots.hubs.to_json(orient="records")),
    }


def _differences(expected, found, path: str = "") -> list[str]:
    """Where ``found`` differs from ``expected``: text and counts exactly, numbers beyond
    rounding (relative 1e-9; the land fraction's pieces add up in another order)."""
    if isinstance(expected, dict):
        keys = set(expected) | set(found)
        return [d for k in sorted(keys) for d in _differences(expected.get(k), found.get(k), k)]
    if isinstance(expected, list):
        if not isinstance(found, list) or len(found) != len(expected):
            return [f"{path}: {len(expected)} entries, found {found!r:.80}"]
        return [
            d
            for i, (e, f) in enumerate(zip(expected, found, strict=True))
            for d in _differences(e, f, f"{path}[{i}]")
        ]
    if isinstance(expected, float) and isinstance(found, float | int):
        if math.isclose(expected, found, rel_tol=1e-9, abs_tol=1e-9):
            return []
    elif expected == found:
        return []
    return [f"{path}: expected {expected!r}, found {found!r}"]


def test_numbers_equal_those_before_zones(counted_run):
    result, config, _ = counted_run
    reference = json.loads(REFERENCE.read_text())
    reference.pop("about")
    assert _differences(reference, _key_numbers(result, config)) == []
