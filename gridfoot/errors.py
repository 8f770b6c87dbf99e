"""Exceptions and warnings raised by gridfoot.

Every error gridfoot raises on purpose is a :class:`GridfootError`, so callers (and the
command-line interface) can tell bad input from a bug. Messages name the table or file, the
column and the offending labels or rows.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "BalanceWarning",
    "ConfigError",
    "DataNotFoundError",
    "GridError",
    "GridfootError",
    "GridfootWarning",
    "InputFileError",
    "LabelError",
    "NonProductiveError",
    "UnplacedError",
    "UnplacedWarning",
    "ValueCheckError",
    "ZeroOutputWarning",
    "format_labels",
]


class GridfootError(Exception):
    """Base class of every error gridfoot raises on purpose."""


class InputFileError(GridfootError):
    """A file is missing, unreadable, or lacks a required column."""


class LabelError(GridfootError):
    """Labels disagree between tables, are duplicated, or are unknown."""


class ValueCheckError(GridfootError):
    """Values are not usable: NaN, infinite, negative where they must not be, out of range."""


class NonProductiveError(GridfootError):
    """``I - A`` is singular or not productive, so the Leontief model has no meaningful solution."""


class UnplacedError(ValueCheckError):
    """Emissions or points could not be placed on the grid and the caller asked for an error."""


class GridError(GridfootError):
    """A grid or raster is unusable for the statistic asked for (no CRS, degree cells, empty)."""


class ConfigError(GridfootError):
    """A configuration file has an unknown key, a wrong type or an impossible value."""


class DataNotFoundError(GridfootError):
    """Reference or sample data needed for the call is not on this machine."""


class GridfootWarning(UserWarning):
    """Base class of gridfoot's warnings: something was handled, and you should know how."""


class ZeroOutputWarning(GridfootWarning):
    """Producers with gross output <= 0 report emissions; those emissions are left out."""


class BalanceWarning(GridfootWarning):
    """A given gross output disagrees with ``Z·1 + Y·1`` by more than rounding explains."""


class UnplacedWarning(GridfootWarning):
    """Some emissions could not be placed on the grid; they are listed in the result."""


def format_labels(labels: Iterable[object], limit: int = 8) -> str:
    """Join labels for an error message, eliding after ``limit``.

    Tuples such as ``("CHN", "secE")`` are written ``CHN/secE``.

    Examples
    --------
    >>> format_labels([("CHN", "secE"), ("USA", "secF")])
    'CHN/secE, USA/secF'
    >>> format_labels(range(12), limit=3)
    '0, 1, 2 and 9 more'
    """
    items = ["/".join(map(str, x)) if isinstance(x, tuple) else str(x) for x in labels]
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit} more"
