"""gridfoot: who drives the CO2 emitted where.

Consumption-based footprints from multi-regional input-output tables, resolved by destination,
downscaled to an equal-area grid from point sources, with hotspot analytics and urban footprints.

Names are imported on first use (:mod:`gridfoot._lazy`), so ``import gridfoot`` is quick and
loads none of the scientific stack; the ``.hotspots`` accessor is registered on xarray's
DataArray as soon as xarray is imported.
"""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach, when_imported

if TYPE_CHECKING:
    from gridfoot import hotspots, urban, workflows
    from gridfoot._version import __version__
    from gridfoot.errors import GridfootError, GridfootWarning
    from gridfoot.mrio import (
        MRIO,
        SubnationalTable,
        composition,
        footprint,
        mrio_from_pymrio,
        nest,
        read_ceads,
        read_countries,
        read_mrio,
        read_satellite,
        read_subnational,
        regionalise,
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

__getattr__, __dir__ = attach(__name__, __file__)
when_imported("xarray", "gridfoot.hotspots.accessor")

__all__ = [
    "MRIO",
    "Allocation",
    "Grid",
    "GridfootError",
    "GridfootWarning",
    "Sources",
    "SubnationalTable",
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
    "mrio_from_pymrio",
    "nest",
    "read_ceads",
    "read_city_table",
    "read_countries",
    "read_mrio",
    "read_satellite",
    "read_sources",
    "read_subnational",
    "regionalise",
    "urban",
    "workflows",
]
