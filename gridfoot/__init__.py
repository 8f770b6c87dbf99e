"""gridfoot: who drives the CO2 emitted where.

Consumption-based footprints from multi-regional input-output tables, resolved by destination,
downscaled to an equal-area grid from point sources, with hotspot analytics and urban footprints.
"""

from importlib.metadata import PackageNotFoundError, version

from gridfoot import hotspots
from gridfoot.errors import GridfootError, GridfootWarning
from gridfoot.mrio import (
    MRIO,
    composition,
    footprint,
    read_countries,
    read_mrio,
    read_satellite,
)
from gridfoot.spatial import Grid, cell_coverage

try:
    __version__ = version("gridfoot")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "MRIO",
    "Grid",
    "GridfootError",
    "GridfootWarning",
    "__version__",
    "cell_coverage",
    "composition",
    "footprint",
    "hotspots",
    "read_countries",
    "read_mrio",
    "read_satellite",
]
