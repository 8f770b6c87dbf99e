"""Writers: every file is written to a temporary name beside its target and renamed into place."""

from gridfoot.io.atomic import atomic_dir, atomic_file
from gridfoot.io.tables import tidy, write_csv, write_netcdf

__all__ = ["atomic_dir", "atomic_file", "tidy", "write_csv", "write_netcdf"]
