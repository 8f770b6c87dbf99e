"""The ``.hotspots`` accessor: the hotspot functions as methods of any grid layer.

Registered on ``xarray.DataArray`` by ``import gridfoot`` as soon as xarray is imported; each
method imports its function on first call, so registering it loads nothing else of gridfoot.

Examples
--------
>>> import numpy as np, xarray as xr
>>> import gridfoot
>>> values = np.zeros((10, 10)); values[0, 0] = 75.0; values[5:, 5:] = 1.0
>>> grid = xr.DataArray(values, dims=("y", "x"))
>>> float(grid.hotspots.share_in_top_area(0.01)), float(grid.hotspots.area_for_share(0.75))
(0.75, 0.01)
"""

from __future__ import annotations

import importlib

import xarray as xr

__all__ = ["HotspotsAccessor"]


def _method(module: str, name: str):
    """``name`` of ``gridfoot.hotspots.<module>`` applied to the accessor's layer."""

    def method(self, *args, **kwargs):
        function = getattr(importlib.import_module(f"gridfoot.hotspots.{module}"), name)
        return function(self._layer, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``gridfoot.hotspots.{module}.{name}`` applied to this layer."
    return method


@xr.register_dataarray_accessor("hotspots")
class HotspotsAccessor:
    """``layer.hotspots.<function>(...)`` is ``gridfoot.hotspots.<function>(layer, ...)``."""

    def __init__(self, layer: xr.DataArray) -> None:
        self._layer = layer

    share_in_top_area = _method("concentration", "share_in_top_area")
    area_for_share = _method("concentration", "area_for_share")
    gini = _method("concentration", "gini")
    concentration = _method("concentration", "concentration")
    concentration_curve = _method("concentration", "concentration_curve")
    hotspot_mask = _method("concentration", "hotspot_mask")
    hub_labels = _method("clusters", "hub_labels")
    hubs = _method("clusters", "hubs")
    gistar = _method("gistar", "gistar")
    zonal_totals = _method("zonal", "zonal_totals")
    land_area = _method("layers", "land_area")
