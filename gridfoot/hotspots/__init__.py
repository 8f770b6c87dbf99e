"""Hotspot analytics of grid layers: concentration on land, hotspot masks and hubs, Gi*, zonal
totals and breakdowns."""

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

__all__ = [
    "area_for_share",
    "concentration",
    "concentration_curve",
    "gini",
    "gistar",
    "gistar_z",
    "hotspot_mask",
    "land_area",
    "neighbourhood",
    "share_in_top_area",
    "significance_classes",
]
