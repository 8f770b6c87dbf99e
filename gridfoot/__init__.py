"""gridfoot: who drives the CO2 emitted where.

Consumption-based footprints from multi-regional input-output tables, resolved by destination,
downscaled to an equal-area grid from point sources, with hotspot analytics and urban footprints.
"""

from importlib.metadata import PackageNotFoundError, version

from gridfoot import hotspots, urban, workflows
from gridfoot.errors import GridfootError, GridfootWarning
from gridfoot.mrio import (
    MRIO,
    composition,
    footprint,
    read_countries,
    read_mrio,
    read_satellite,
)
from gridfoot.spatial import (
    Allocation,
    Grid,
    Sources,
    Zones,
    allocate,
    cell_coverage,
    load_allocation,
    read_sources,
)
from gridfoot.urban import city_footprint, city_footprint_from_mrio, read_city_table

try:
    __version__ = version("gridfoot")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "MRIO",
    "Allocation",
    "Grid",
    "GridfootError",
    "GridfootWarning",
    "Sources",
    "Zones",
    "__version__",
    "allocate",
    "cell_coverage",
    "city_footprint",
    "city_footprint_from_mrio",
    "composition",
    "footprint",
    "hotspots",
    "load_allocation",
    "read_city_table",
    "read_countries",
    "read_mrio",
    "read_satellite",
    "read_sources",
    "urban",
    "workflows",
]
