"""Writers: every file is written to a temporary name beside its target and renamed into place."""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach

if TYPE_CHECKING:
    from gridfoot.io.atomic import atomic_dir, atomic_file
    from gridfoot.io.cube import open_cube, write_cube, write_zarr
    from gridfoot.io.raster import write_geotiff
    from gridfoot.io.tables import tidy, write_csv, write_footprint, write_netcdf, write_table

__getattr__, __dir__ = attach(__name__, __file__)

__all__ = [
    "atomic_dir",
    "atomic_file",
    "open_cube",
    "tidy",
    "write_csv",
    "write_cube",
    "write_footprint",
    "write_geotiff",
    "write_netcdf",
    "write_table",
    "write_zarr",
]
