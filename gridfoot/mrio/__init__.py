"""Input-output core: the MRIO container, the Leontief math, accounts, readers and balancing."""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach

if TYPE_CHECKING:
    from gridfoot.mrio.accounts import composition, footprint
    from gridfoot.mrio.ceads import CeadsLayout, read_ceads
    from gridfoot.mrio.gras import GrasResult, gras
    from gridfoot.mrio.nest import nest
    from gridfoot.mrio.nest_report import NestReport
    from gridfoot.mrio.readers import mrio_from_pymrio, read_countries, read_mrio, read_satellite
    from gridfoot.mrio.regionalise import regional_table, regionalise
    from gridfoot.mrio.subnational import SubnationalTable
    from gridfoot.mrio.subnational_readers import read_subnational
    from gridfoot.mrio.system import MRIO

__getattr__, __dir__ = attach(__name__, __file__)

__all__ = [
    "MRIO",
    "CeadsLayout",
    "GrasResult",
    "NestReport",
    "SubnationalTable",
    "composition",
    "footprint",
    "gras",
    "mrio_from_pymrio",
    "nest",
    "read_ceads",
    "read_countries",
    "read_mrio",
    "read_satellite",
    "read_subnational",
    "regional_table",
    "regionalise",
]
