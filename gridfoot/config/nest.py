"""The ``[nest]`` section of ``gridfoot run``: one region of the MRIO replaced by its sub-regions.

Before anything is computed, the region is replaced by the regions of a sub-national table
(:func:`gridfoot.nest`), or, when there is none, by sub-regions estimated from their shares of
each sector (:func:`gridfoot.regionalise`). The nested MRIO is the run's MRIO everywhere: the
boundaries name its regions (the sub-regions, e.g. provinces, where the region was), the
sources are checked against it, the footprint, allocation and maps are of it, and the report
says what the nesting did (section "Nesting", ``nesting_*.csv``, ``results.nesting`` of
``summary.json``)::

    [nest]
    region = "CHN"                # the MRIO region to replace
    table = "provinces"           # a sub-national table: a folder (gridfoot.read_subnational)
                                  # or a CEADs workbook, .xlsx (gridfoot.read_ceads)
    # shares = "shares.csv"       # ... or no table: regionalise the region from shares, a CSV
                                  # region,sector,value (weights of each sub-region in each of
                                  # the region's sectors, normalised per sector)
    # shares = "sources"          # ... or from the run's point sources: their weights summed
                                  # per sub-region and sector, each point's sub-region from the
                                  # boundaries (labelled with the sub-regions)
    # method = "flq"              # regionalisation: "flq" (default), "slq", "cilq",
                                  # "proportional"
    # delta = 0.3                 # Flegg's delta, in [0, 1) (method "flq" only; default 0.3)
    concordance = "concordance.csv"  # table only: sector,host_sector[,share], the table's
                                  # sectors in the MRIO's (overrides the table's own)
    balance = "gras"              # reconcile with GRAS, or "none" (the proportional spread)
    exchange_rate = 0.1464        # table only: MRIO money units per table unit, when they
                                  # differ (million USD per million CNY in 2009)
    emissions = "table"           # table only: "table" (its satellite; the default), "output"
                                  # (the MRIO's emissions of the region split by output) or
                                  # "sources" (split by the run's point-source weights)
    tolerance = 1e-10             # GRAS convergence, relative to the largest margin
    max_iterations = 10000        # GRAS iterations at most

Give ``table`` or ``shares``, not both. ``method`` and ``delta`` belong to a regionalisation
(``shares``); ``concordance``, ``exchange_rate`` and ``emissions`` to a table: a key that would
be ignored is refused. A CEADs workbook holds no emissions: give ``emissions = "output"`` or
``"sources"`` with it. The results of a regionalised MRIO are estimates, and every output of
the run says so. Paths are relative to the configuration file.

:func:`check_nest_options` checks these values, naming them as the configuration does
(``nest.delta``) or as ``gridfoot footprint`` does (:data:`CLI_NAMES`: ``--nest-delta``);
:mod:`gridfoot.workflows.nesting` turns a section into the nested MRIO for both
(:func:`~gridfoot.workflows.nesting.read_nesting`, then
:meth:`~gridfoot.workflows.nesting.Nesting.apply`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gridfoot.checks import check_choice, check_number
from gridfoot.errors import ConfigError

__all__ = ["CLI_NAMES", "NestConfig", "check_nest_options"]

Method = Literal["flq", "slq", "cilq", "proportional"]
METHODS: tuple[str, ...] = ("flq", "slq", "cilq", "proportional")
BALANCES: tuple[str, ...] = ("gras", "none")
EMISSIONS: tuple[str, ...] = ("table", "output", "sources")
#: The defaults of a regionalisation (:func:`gridfoot.regionalise`).
DEFAULT_METHOD, DEFAULT_DELTA = "flq", 0.3

#: The keys of ``[nest]``, spelled as in the file (messages say ``nest.delta``).
CONFIG_NAMES: dict[str, str] = {
    key: f"nest.{key}"
    for key in (
        "region",
        "table",
        "shares",
        "method",
        "delta",
        "concordance",
        "balance",
        "exchange_rate",
        "emissions",
        "tolerance",
        "max_iterations",
    )
}
#: The same options as ``gridfoot footprint`` spells them.
CLI_NAMES: dict[str, str] = {
    **CONFIG_NAMES,
    "region": "--nest-region",
    "table": "--nest",
    "shares": "--nest-shares",
    "method": "--nest-method",
    "delta": "--nest-delta",
    "concordance": "--nest-concordance",
    "balance": "--balance",
    "exchange_rate": "--exchange-rate",
    "emissions": "--nest-emissions",
}
#: Suffixes of a CEADs workbook (the other tables are folders).
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def check_nest_options(
    names: Mapping[str, str] | None = None,
    *,
    region: Any = "CHN",
    table: Any = None,
    shares: Any = None,
    method: Any = None,
    delta: Any = None,
    concordance: Any = None,
    balance: Any = "gras",
    exchange_rate: Any = None,
    emissions: Any = None,
    tolerance: Any = 1e-10,
    max_iterations: Any = 10_000,
) -> dict[str, Any]:
    """Check the options of a nesting, and how they combine; return them normalised.

    ``names`` spells each option in messages (:data:`CLI_NAMES` for the command line; by
    default the configuration's ``nest.<key>``). Every problem is named in one message.

    Raises
    ------
    ConfigError
        Naming every option at fault, the value given and what is allowed.

    Examples
    --------
    >>> check_nest_options(shares=Path("shares.csv"), delta=0.2)["delta"]
    0.2
    >>> check_nest_options(CLI_NAMES, table=Path("provinces"), delta=1)
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: --nest-delta: for a regionalisation (--nest-shares) only; a \
table (--nest) is nested as it is
    """
    n = {**CONFIG_NAMES, **(names or {})}
    problems: list[str] = []
    checked: dict[str, Any] = {
        "region": region,
        "table": table,
        "shares": shares,
        "method": method,
        "delta": delta,
        "concordance": concordance,
        "balance": balance,
        "exchange_rate": exchange_rate,
        "emissions": emissions,
        "tolerance": tolerance,
        "max_iterations": max_iterations,
    }

    def check(key: str, function: Any, *args: Any, **kwargs: Any) -> None:
        try:
            checked[key] = function(*args, **kwargs)
        except ConfigError as error:  # gathered: one line names every bad option
            problems.append(str(error))

    if not isinstance(region, str) or not region.strip():
        problems.append(
            f"{n['region']}: give the MRIO region to replace (e.g. 'CHN'), got {region!r}"
        )
    if table is not None and shares is not None:
        problems.append(
            f"{n['table']} and {n['shares']}: give one, a sub-national table to nest or shares "
            "to regionalise the region from, not both"
        )
    elif table is None and shares is None:
        problems.append(
            f"{n['table']} or {n['shares']}: give one, a sub-national table to nest (a folder, "
            "or a CEADs .xlsx workbook) or shares to regionalise the region from (a CSV "
            "region,sector,value, or 'sources')"
        )
    if table is not None:
        for key in ("method", "delta"):
            if checked[key] is not None:
                problems.append(
                    f"{n[key]}: for a regionalisation ({n['shares']}) only; a table "
                    f"({n['table']}) is nested as it is"
                )
    else:
        if method is not None:
            check("method", check_choice, method, n["method"], METHODS)
        if delta is not None:
            check("delta", check_number, delta, n["delta"], low=0, high=1, high_open=True)
            if method not in (None, "flq") and method in METHODS:
                problems.append(
                    f"{n['delta']}: only Flegg's location quotient (flq) has a delta, not "
                    f"{method!r}"
                )
    if shares is not None:
        for key in ("concordance", "exchange_rate", "emissions"):
            if checked[key] is not None:
                problems.append(
                    f"{n[key]}: for a table ({n['table']}) only; a regionalisation "
                    f"({n['shares']}) keeps the MRIO's sectors, money and emissions"
                )
    else:
        if emissions is not None:
            check("emissions", check_choice, emissions, n["emissions"], EMISSIONS)
        if exchange_rate is not None:
            check(
                "exchange_rate",
                check_number,
                exchange_rate,
                n["exchange_rate"],
                low=0,
                low_open=True,
                meaning="MRIO money units per table unit",
            )
    check("balance", check_choice, balance, n["balance"], BALANCES)
    check("tolerance", check_number, tolerance, n["tolerance"], low=0, low_open=True)
    check("max_iterations", check_number, max_iterations, n["max_iterations"], low=1, integer=True)
    if (
        isinstance(table, Path)
        and table.suffix.lower() in WORKBOOK_SUFFIXES
        and emissions in (None, "table")
    ):
        problems.append(
            f"{n['emissions']}: a CEADs workbook ({table.name}) holds no emissions; split the "
            f"MRIO's emissions of the region by output ('output') or by the point sources "
            f"('sources')"
        )
    if problems:
        raise ConfigError("; ".join(problems))
    return checked


@dataclass(frozen=True)
class NestConfig:
    """``[nest]``: which region is replaced, by what, and how (see the module documentation).

    Examples
    --------
    >>> nest = NestConfig(region="HAI", shares="sources", method="slq")
    >>> nest.regionalised, nest.uses_sources, nest.regionalisation
    (True, True, ('slq', None))
    >>> NestConfig(region="HAI", shares=Path("shares.csv"), emissions="output")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: nest.emissions: for a table (nest.table) only; a \
regionalisation (nest.shares) keeps the MRIO's sectors, money and emissions
    """

    region: str = "CHN"
    table: Path | None = None
    shares: Literal["sources"] | Path | None = None
    method: Method | None = None
    delta: float | None = None
    concordance: Path | None = None
    balance: Literal["gras", "none"] = "gras"
    exchange_rate: float | None = None
    emissions: Literal["table", "output", "sources"] | None = None
    tolerance: float = 1e-10
    max_iterations: int = 10_000

    def __post_init__(self) -> None:
        # built in Python or read from a file, a section is checked the same way
        check_nest_options(
            CONFIG_NAMES, **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        )

    @property
    def regionalised(self) -> bool:
        """Whether the sub-regions are estimated (``shares``) rather than a table's."""
        return self.shares is not None

    @property
    def uses_sources(self) -> bool:
        """Whether the nesting needs the run's point sources (``"sources"`` shares or
        emissions): they are read first, and their weights per sub-region and sector used."""
        return self.shares == "sources" or self.emissions == "sources"

    @property
    def regionalisation(self) -> tuple[str, float | None]:
        """The method and delta a regionalisation uses (delta None unless FLQ)."""
        method = self.method or DEFAULT_METHOD
        if method != "flq":
            return method, None
        return method, DEFAULT_DELTA if self.delta is None else self.delta

    @property
    def paths(self) -> tuple[Path, ...]:
        """The files and folders the section names (inputs of the run)."""
        named = (self.table, self.shares, self.concordance)
        return tuple(p for p in named if isinstance(p, Path))
