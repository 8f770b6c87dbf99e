"""gridfoot's version, from the installed distribution (a leaf: imports nothing of gridfoot)."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("gridfoot")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
