"""Point sources onto an equal-area grid: the grid, the zones, the sources, the allocation."""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach

if TYPE_CHECKING:
    from gridfoot.spatial.allocate import Allocation, allocate, load_allocation, unit_factor
    from gridfoot.spatial.factors import EmissionFactor
    from gridfoot.spatial.grid import Grid, albers_for, cell_coverage
    from gridfoot.spatial.inventories import combine_sources
    from gridfoot.spatial.sources import Sources, locate, read_concordance, read_sources
    from gridfoot.spatial.zones import ZoneCoverage, Zones, load_coverage

__getattr__, __dir__ = attach(__name__, __file__)

__all__ = [
    "Allocation",
    "EmissionFactor",
    "Grid",
    "Sources",
    "ZoneCoverage",
    "Zones",
    "albers_for",
    "allocate",
    "cell_coverage",
    "combine_sources",
    "load_allocation",
    "load_coverage",
    "locate",
    "read_concordance",
    "read_sources",
    "unit_factor",
]
