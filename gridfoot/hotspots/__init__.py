"""Hotspot analytics of grid layers: concentration on land, hotspot masks and hubs, Gi*, zonal
totals and breakdowns.

Every function takes a grid layer ``(..., y, x)`` following the grid conventions (see
:mod:`gridfoot.hotspots.layers`); extra dims such as destination and sector are handled layer by
layer, lazily when the layer is a dask array. The same functions are methods of every
DataArray through the ``.hotspots`` accessor (:mod:`gridfoot.hotspots.accessor`).
"""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach

if TYPE_CHECKING:
    from gridfoot.hotspots.breakdown import breakdown, export_linked, reclassify
    from gridfoot.hotspots.clusters import hub_labels, hubs, rank_components
    from gridfoot.hotspots.concentration import (
        area_for_share,
        concentration,
        concentration_curve,
        gini,
        hotspot_mask,
        share_in_top_area,
    )
    from gridfoot.hotspots.gistar import gistar, gistar_z, neighbourhood, significance_classes
    from gridfoot.hotspots.layers import land_area
    from gridfoot.hotspots.zonal import zonal_totals

__getattr__, __dir__ = attach(__name__, __file__)

__all__ = [
    "area_for_share",
    "breakdown",
    "concentration",
    "concentration_curve",
    "export_linked",
    "gini",
    "gistar",
    "gistar_z",
    "hotspot_mask",
    "hub_labels",
    "hubs",
    "land_area",
    "neighbourhood",
    "rank_components",
    "reclassify",
    "share_in_top_area",
    "significance_classes",
    "zonal_totals",
]
