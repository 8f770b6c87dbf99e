"""Exceptions and warnings raised by gridfoot.

Every error gridfoot raises on purpose is a :class:`GridfootError`, so callers (and the
command-line interface) can tell bad input from a bug. Messages name the table or file, the
column and the offending labels or rows. Each subclass also derives from the matching built-in
exception (``ValueError``, ``LookupError``, ``FileNotFoundError``, ``OSError``,
``MemoryError``), so ``except ValueError`` around a gridfoot call keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AreaWarning",
    "BalanceError",
    "BalanceWarning",
    "ConfigError",
    "DataNotFoundError",
    "DeprecatedKeyWarning",
    "GridError",
    "GridfootError",
    "GridfootWarning",
    "InputFileError",
    "LabelError",
    "MemoryBudgetError",
    "MissingFileError",
    "NonProductiveError",
    "OutputError",
    "UnplacedError",
    "UnplacedWarning",
    "ValueCheckError",
    "ZeroOutputWarning",
    "format_labels",
]


class GridfootError(Exception):
    """Base class of every error gridfoot raises on purpose."""


class InputFileError(GridfootError, ValueError):
    """A file cannot be used: unreadable, of the wrong layout, or lacking a required column."""


class MissingFileError(InputFileError, FileNotFoundError):
    """A file or folder named as an input does not exist."""


class LabelError(GridfootError, LookupError):
    """Labels disagree between tables, are duplicated, or are unknown."""


class ValueCheckError(GridfootError, ValueError):
    """Values are not usable: NaN, infinite, negative where they must not be, out of range."""


class NonProductiveError(GridfootError, ValueError):
    """``I - A`` is singular or not productive, so the Leontief model has no meaningful solution."""


class BalanceError(GridfootError, ValueError):
    """A matrix cannot be balanced to the margins asked for: they disagree, a row or column
    cannot reach its target with the signs it has, or the iteration does not converge."""


class UnplacedError(ValueCheckError):
    """Emissions or points could not be placed on the grid and the caller asked for an error."""


class GridError(GridfootError, ValueError):
    """A grid or raster is unusable for the statistic asked for (no CRS, degree cells, empty)."""


class ConfigError(GridfootError, ValueError):
    """A configuration or option has an unknown key, a wrong type or an impossible value."""


class DataNotFoundError(GridfootError, FileNotFoundError):
    """Reference or sample data needed for the call is not on this machine."""


class OutputError(GridfootError, OSError):
    """The output folder may not be written: not gridfoot's, holds an input, busy, or full."""


class MemoryBudgetError(GridfootError, MemoryError):
    """The run would need more memory than its budget allows; refused before allocating."""


class GridfootWarning(UserWarning):
    """Base class of gridfoot's warnings: something was handled, and you should know how."""


class DeprecatedKeyWarning(GridfootWarning, FutureWarning):
    """A configuration key was given under an old name; it was read as the new one."""


class ZeroOutputWarning(GridfootWarning):
    """Producers with gross output <= 0 report emissions; those emissions are left out."""


class BalanceWarning(GridfootWarning):
    """A given gross output disagrees with ``Z·1 + Y·1`` by more than rounding explains."""


class AreaWarning(GridfootWarning):
    """Cells are counted as equal in area although the grid's CRS says they are not."""


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
