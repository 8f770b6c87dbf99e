"""The options of the hotspot analytics, checked in one place.

The functions of :mod:`gridfoot.hotspots`, the ``[hotspots]`` section of a run's configuration
and ``gridfoot hotspots`` all check their options here, each naming the option as its user
spelled it (``share``, ``hotspots.hotspot_share``, ``--share``), so the same value is accepted
or refused everywhere, and refused with a :class:`~gridfoot.errors.ConfigError` before anything
is computed.
"""

from __future__ import annotations

from typing import Any

from gridfoot.checks import check_choice, check_fraction, check_fractions, check_number
from gridfoot.errors import ConfigError

__all__ = [
    "CONNECTIVITY",
    "NEIGHBOURS",
    "STUDY_AREAS",
    "check_area",
    "check_connectivity",
    "check_land_share",
    "check_neighbourhood",
    "check_share",
    "check_shares",
]

#: Hub cells touching at corners belong together (8) or only along edges (4).
CONNECTIVITY = (4, 8)
#: Shapes of the Gi* neighbourhood.
NEIGHBOURS = ("queen", "rook", "distance")
#: Which cells are Gi* observations.
STUDY_AREAS = ("land", "grid")


def check_share(value: Any, name: str = "share") -> float:
    """A share of the total in ``(0, 1]`` (the hotspot's share, "land for 75%").

    Examples
    --------
    >>> check_share(0.75)
    0.75
    >>> check_share(0, "--share")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: --share: must be a number in (0, 1] (a share of the total), \
got 0
    """
    return check_fraction(value, name, meaning="a share of the total")


def check_shares(values: Any, name: str = "share") -> tuple[float, ...]:
    """One or more shares of the total, each in ``(0, 1]``."""
    return check_fractions(values, name, meaning="shares of the total")


def check_land_share(value: Any, name: str = "top_area") -> float:
    """One share of land in ``[0, 1]``."""
    return check_fraction(value, name, zero=True, meaning="a share of land")


def check_area(values: Any, name: str = "area") -> tuple[float, ...]:
    """One or more shares of land in ``[0, 1]``: the top 0% of land may hold what lies
    offshore, so 0 is a fair question."""
    return check_fractions(values, name, zero=True, meaning="shares of land")


def check_connectivity(value: Any, name: str = "connectivity") -> int:
    """4 or 8."""
    return check_choice(value, name, CONNECTIVITY)


def check_neighbourhood(
    neighbours: Any,
    distance: Any,
    names: tuple[str, str] = ("neighbours", "distance"),
) -> tuple[str, float]:
    """A Gi* neighbourhood: its shape and its reach in cells (at least 1: the adjacent cells).

    Examples
    --------
    >>> check_neighbourhood("distance", 2)
    ('distance', 2.0)
    >>> check_neighbourhood("distance", 0.5, ("--neighbours", "--distance"))
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: --distance: must be a number >= 1 (cells; 1 = the adjacent \
cells), got 0.5
    """
    problems = []
    try:
        check_choice(neighbours, names[0], NEIGHBOURS)
    except ConfigError as error:
        problems.append(str(error))
    try:
        reach = check_number(distance, names[1], low=1, meaning="cells; 1 = the adjacent cells")
    except ConfigError as error:
        problems.append(str(error))
    if problems:  # both named at once: they are set together
        raise ConfigError("; ".join(problems))
    return neighbours, reach
