"""The ``.hotspots`` accessor: the hotspot functions as methods of any grid layer.

Registered on ``xarray.DataArray`` when :mod:`gridfoot.hotspots` is imported (``import
gridfoot`` does it).

Examples
--------
>>> import numpy as np, xarray as xr
>>> import gridfoot.hotspots
>>> values = np.zeros((10, 10)); values[0, 0] = 75.0; values[5:, 5:] = 1.0
>>> grid = xr.DataArray(values, dims=("y", "x"))
>>> float(grid.hotspots.share_in_top_area(0.01)), float(grid.hotspots.area_for_share(0.75))
(0.75, 0.01)
"""

from __future__ import annotations

import xarray as xr

from gridfoot.hotspots import clusters as _clusters
from gridfoot.hotspots import concentration as _concentration
from gridfoot.hotspots import gistar as _gistar
from gridfoot.hotspots import layers as _layers
from gridfoot.hotspots import zonal as _zonal

__all__ = ["HotspotsAccessor"]


def _method(function):
    def method(self, *args, **kwargs):
        return function(self._layer, *args, **kwargs)

    method.__name__ = function.__name__
    method.__doc__ = f"``{function.__module__}.{function.__name__}`` applied to this layer."
    return method


@xr.register_dataarray_accessor("hotspots")
class HotspotsAccessor:
    """``layer.hotspots.<function>(...)`` is ``gridfoot.hotspots.<function>(layer, ...)``."""

    def __init__(self, layer: xr.DataArray) -> None:
        self._layer = layer

    share_in_top_area = _method(_concentration.share_in_top_area)
    area_for_share = _method(_concentration.area_for_share)
    gini = _method(_concentration.gini)
    concentration = _method(_concentration.concentration)
    concentration_curve = _method(_concentration.concentration_curve)
    hotspot_mask = _method(_concentration.hotspot_mask)
    hub_labels = _method(_clusters.hub_labels)
    hubs = _method(_clusters.hubs)
    gistar = _method(_gistar.gistar)
    zonal_totals = _method(_zonal.zonal_totals)
    land_area = _method(_layers.land_area)
