"""The ``.hotspots`` accessor calls the functions on the layer."""

from __future__ import annotations

import numpy as np
import xarray as xr

import gridfoot
from gridfoot import hotspots


def test_accessor_methods_are_the_functions():
    rng = np.random.default_rng(2)
    layer = gridfoot.Grid.from_bounds((0, 0, 80_000, 60_000), "EPSG:3035").wrap(
        rng.pareto(1.2, (6, 8))
    )
    xr.testing.assert_identical(
        layer.hotspots.concentration(0.5), hotspots.concentration(layer, 0.5)
    )
    xr.testing.assert_identical(layer.hotspots.gistar(), hotspots.gistar(layer))
    xr.testing.assert_identical(layer.hotspots.hotspot_mask(0.5), hotspots.hotspot_mask(layer, 0.5))
    assert layer.hotspots.hubs(0.5).equals(hotspots.hubs(layer, 0.5))
    for name in ["share_in_top_area", "area_for_share", "gini", "hub_labels", "land_area"]:
        xr.testing.assert_identical(getattr(layer.hotspots, name)(), getattr(hotspots, name)(layer))
