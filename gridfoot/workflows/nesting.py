"""A ``[nest]`` section (or ``gridfoot footprint --nest ...``) applied to the MRIO it names.

One path for the run and the command line: :func:`read_nesting` reads what the section names
(the sub-national table or the shares, and a concordance) and checks it against the host MRIO
before anything is computed; :meth:`Nesting.apply` puts the sub-regions in the region's place
(:func:`gridfoot.nest` for a table, :func:`gridfoot.regionalise` for shares);
:func:`nest_mrio` does both. Messages name the options as the user spelled them
(``nest.table`` in a configuration, ``--nest`` on the command line).

What a nesting did is shown the same way everywhere: :func:`nesting_tables` (the
``nesting_totals.csv``, ``nesting_blocks.csv`` and ``nesting_changes.csv`` of a run or of
``gridfoot footprint``), :func:`nesting_summary` (``results.nesting`` of ``summary.json``) and
:func:`nesting_section` (the report's section "Nesting").
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridfoot.config.nest import CONFIG_NAMES, WORKBOOK_SUFFIXES, NestConfig
from gridfoot.errors import (
    ConfigError,
    GridfootError,
    GridfootWarning,
    InputFileError,
    LabelError,
    MissingFileError,
    format_labels,
)
from gridfoot.mrio.ceads import read_ceads
from gridfoot.mrio.nest import nest
from gridfoot.mrio.regionalise import regionalise
from gridfoot.mrio.subnational_readers import read_concordance, read_long_table, read_subnational
from gridfoot.mrio.system import MRIO
from gridfoot.workflows.products import Section, Table

__all__ = [
    "Nesting",
    "check_sources_cover",
    "describe_nesting",
    "nest_mrio",
    "nesting_section",
    "nesting_summary",
    "nesting_tables",
    "read_nesting",
    "source_weights",
]

#: How the MRIO's own unit is spelled in messages, beside the nesting's options.
UNIT_NAMES = {"config": "mrio.monetary_unit", "cli": "--monetary-unit"}


@dataclass(frozen=True, eq=False)
class Nesting:
    """What a ``[nest]`` section names, read and checked against the host MRIO.

    Attributes
    ----------
    config : NestConfig
    table : SubnationalTable or None
        The sub-national table (``table``).
    shares : DataFrame or None
        ``region, sector, value`` read from the shares file (``shares = "shares.csv"``); None
        for a table, or for shares from the point sources (given to :meth:`apply`).
    concordance : DataFrame or None
        ``sector, host_sector, share`` (``concordance``), overriding the table's own.
    names : mapping
        How each option is spelled in messages.
    """

    config: NestConfig
    table: Any = None
    shares: pd.DataFrame | None = None
    concordance: pd.DataFrame | None = None
    names: Mapping[str, str] | None = None

    @property
    def source(self) -> str:
        """The option that gives the sub-regions, and its value: ``nest.table (provinces)``."""
        c, n = self.config, self._names
        if c.table is not None:
            return f"{n['table']} ({c.table.name})"
        shares = c.shares if c.shares == "sources" else Path(str(c.shares)).name
        return f"{n['shares']} ({shares})"

    @property
    def _names(self) -> Mapping[str, str]:
        return self.names or CONFIG_NAMES

    def regions_after(self, host: MRIO, labels: Iterable[str] = ()) -> list[str]:
        """The regions the nested MRIO will have: the host's, with the sub-regions in the
        region's place. ``labels``: the boundaries' regions, for shares from the sources (the
        labels that are not host regions are the sub-regions)."""
        others = [str(r) for r in host.regions if r != self.config.region]
        return [*others, *self.subregions(host, labels)]

    def sectors_after(self, host: MRIO) -> list[str]:
        """The sectors of the nested MRIO: the host's, and a table's own codes."""
        sectors = [str(s) for s in host.sectors]
        if self.table is not None:
            sectors += [str(s) for s in self.table.sectors if str(s) not in set(sectors)]
        return sectors

    def subregions(self, host: MRIO, labels: Iterable[str] = ()) -> list[str]:
        """The sub-regions: the table's, the shares file's, or (shares from the sources) the
        boundary labels that are not regions of the host."""
        if self.table is not None:
            return [str(r) for r in self.table.regions]
        if self.shares is not None:
            return [str(r) for r in pd.unique(self.shares["region"])]
        region = self.config.region
        labels = [str(label) for label in pd.unique(pd.Series(list(labels), dtype=object))]
        if region in labels:
            raise LabelError(
                f"{self._names['shares']} = 'sources': the boundaries label polygons with "
                f"{region!r}, the region {self._names['region']} replaces; label its polygons "
                f"with its sub-regions (the points' sub-region is the polygon they lie in)"
            )
        found = [label for label in labels if label not in set(host.regions)]
        if not found:
            raise LabelError(
                f"{self._names['shares']} = 'sources': every region of the boundaries is a region "
                f"of the MRIO, so none is a sub-region of {region!r}; label {region}'s polygons "
                f"with its sub-regions (e.g. provinces)"
            )
        return found

    def apply(self, host: MRIO, weights: pd.Series | None = None) -> MRIO:
        """The nested MRIO. ``weights``: the point sources' weights per (region, sector)
        (:func:`source_weights`), needed when the shares or the emissions are ``"sources"``.
        """
        c = self.config
        if c.uses_sources and weights is None:
            raise ValueError("this nesting uses the point sources: pass their weights")
        try:
            if self.table is not None:
                emissions: Any = c.emissions or "table"
                if emissions == "sources":
                    emissions = weights[weights.index.get_level_values(0).isin(self.table.regions)]
                return nest(
                    host,
                    self.table,
                    region=c.region,
                    concordance=self.concordance,
                    balance=c.balance,
                    exchange_rate=c.exchange_rate,
                    emissions=emissions,
                    tolerance=c.tolerance,
                    max_iterations=c.max_iterations,
                )
            method, delta = c.regionalisation
            shares = self.shares if self.shares is not None else weights
            return regionalise(
                host,
                region=c.region,
                shares=shares,
                method=method,
                delta=0.3 if delta is None else delta,
                balance=c.balance,
                tolerance=c.tolerance,
                max_iterations=c.max_iterations,
            )
        except GridfootError as error:
            message = str(error)
            for prefix in ("nest: ", "regionalise: "):
                message = message.removeprefix(prefix)
            raise type(error)(f"{self.source}: {message}") from None


def read_nesting(
    config: NestConfig,
    host: MRIO,
    names: Mapping[str, str] | None = None,
    unit_name: str = UNIT_NAMES["config"],
) -> Nesting:
    """Read what ``config`` names (table, shares file, concordance) and check it against
    ``host``: the region, the money units. Nothing is nested yet.

    ``names`` spells the options in messages (:data:`gridfoot.config.nest.CLI_NAMES` on the
    command line); ``unit_name`` the MRIO's monetary unit option.

    Warns
    -----
    GridfootWarning
        The table gives its money unit and the MRIO none: they are taken to be the same.
    """
    n = {**CONFIG_NAMES, **(names or {})}
    if config.region not in host.regions:
        raise LabelError(
            f"{n['region']}: {config.region!r} is not a region of the MRIO; it has "
            f"{format_labels(host.regions, 12)}"
        )
    for key in ("table", "shares", "concordance"):
        _require(getattr(config, key), n[key], folder=key == "table")
    table = shares = concordance = None
    if config.table is not None:
        table = _read_table(config.table)
        _check_units(table, host, config, n, unit_name)
    elif isinstance(config.shares, Path):
        shares = read_long_table(config.shares, ["region", "sector"], what="nesting shares")
        clash = sorted(set(shares["region"]) & (set(host.regions) - {config.region}))
        if clash:
            raise LabelError(
                f"{config.shares}: sub-regions {format_labels(clash)} are already regions of "
                "the MRIO; give the sub-regions names of their own"
            )
    if config.concordance is not None:
        concordance = read_concordance(config.concordance)
    return Nesting(config, table=table, shares=shares, concordance=concordance, names=n)


def _require(path: Any, name: str, folder: bool = False) -> None:
    """Refuse a path that is not there, naming the option (a table may be a folder)."""
    if not isinstance(path, Path) or path.is_file() or (folder and path.is_dir()):
        return
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a file ({name})")
    what = "folder or workbook" if folder else "file"
    raise MissingFileError(f"{path}: no such {what} ({name})")


def _read_table(path: Path) -> Any:
    """A sub-national table: a folder (read_subnational) or a CEADs workbook (read_ceads)."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return read_ceads(path)
    return read_subnational(path)


def _check_units(
    table: Any, host: MRIO, config: NestConfig, n: Mapping[str, str], unit_name: str
) -> None:
    """Different money units need an exchange rate; an unknown MRIO unit is said."""
    ours, theirs = host.monetary_unit, table.monetary_unit
    if config.exchange_rate is not None or not theirs or ours == theirs:
        return
    if not ours:
        warnings.warn(
            f"{n['table']} ({config.table.name}): the table is in {theirs!r} and the MRIO's "
            f"money unit is not given ({unit_name}); nested as if they were the same",
            GridfootWarning,
            stacklevel=3,
        )
        return
    raise ConfigError(
        f"{n['exchange_rate']}: the table {config.table.name} is in {theirs!r} and the MRIO in "
        f"{ours!r}; give {n['exchange_rate']} (MRIO units per table unit) to nest it"
    )


def nest_mrio(
    config: NestConfig,
    host: MRIO,
    names: Mapping[str, str] | None = None,
    unit_name: str = UNIT_NAMES["config"],
) -> MRIO:
    """``host`` with ``config``'s region replaced: :func:`read_nesting`, then
    :meth:`Nesting.apply` (for a nesting that needs no point sources)."""
    if config.uses_sources:
        n = {**CONFIG_NAMES, **(names or {})}
        key = "shares" if config.shares == "sources" else "emissions"
        raise ConfigError(f"{n[key]}: 'sources' needs the point sources of a run")
    return read_nesting(config, host, names, unit_name).apply(host)


def source_weights(sources: Any, regions: Iterable[str]) -> pd.Series:
    """The point sources' weights summed per (region, sector), for the points in ``regions``
    (the sub-regions): the shares (or emission weights) of ``"sources"``."""
    points = sources.points
    kept = points[points["region"].astype(str).isin(set(map(str, regions)))]
    weights = kept.groupby(["region", "sector"], sort=False)["weight"].sum()
    return weights.rename("weight")


def check_sources_cover(weights: pd.Series, subregions: Iterable[str], name: str) -> None:
    """Shares from the sources: every sub-region needs points, else its share is unknown."""
    found = set(weights.index.get_level_values(0)[weights.to_numpy() > 0])
    empty = [r for r in subregions if r not in found]
    if empty:
        raise LabelError(
            f"{name} = 'sources': no point source (with a weight) lies in the sub-region(s) "
            f"{format_labels(empty)} of the boundaries, so their shares of the region are "
            "unknown; give the shares in a CSV (region,sector,value) instead"
        )


# -- what the nesting did, for the outputs ----------------------------------------------------


def describe_nesting(mrio: MRIO, config: NestConfig | None = None, names: Any = None) -> str:
    """One sentence: which region, replaced by what, and whether the results are estimates."""
    report = mrio.nesting
    region = report.region
    label = _region_label(region, names)
    regions = ", ".join(_region_label(r, names) for r in report.regions)
    count = len(report.regions)
    if report.estimate:
        how = _regionalisation(config)
        return (
            f"These results are an estimate: {label} is replaced by {count} sub-regions "
            f"({regions}) estimated by regionalisation{how}, not read from a sub-national "
            "table."
        )
    source = f" {config.table.name}" if config is not None and config.table is not None else ""
    return (
        f"{label} is replaced by the {count} regions of the sub-national table{source} ({regions})."
    )


def _regionalisation(config: NestConfig | None) -> str:
    if config is None or not config.regionalised:
        return ""
    method, delta = config.regionalisation
    words = method.upper() if method != "proportional" else "proportional split"
    if delta is not None:
        words += f", δ = {delta:g}"
    source = (
        "the point sources' weights per sub-region and sector"
        if config.shares == "sources"
        else f"the shares in {Path(str(config.shares)).name}"
    )
    return f" ({words}) from {source}"


def _region_label(code: str, names: Any) -> str:
    name = names.region(code) if names is not None else code
    return code if name == code else f"{name} ({code})"


def nesting_summary(mrio: MRIO, config: NestConfig | None = None) -> dict[str, Any]:
    """``results.nesting`` of ``summary.json``: the report's summary, and for an estimate the
    regionalisation's method, delta and shares."""
    summary = dict(mrio.nesting.summary())
    if config is not None:
        if config.table is not None:
            summary["table"] = str(config.table)
        else:
            method, delta = config.regionalisation
            summary.update(
                method=method,
                delta=delta,
                shares="sources" if config.shares == "sources" else str(config.shares),
            )
    return summary


def nesting_tables(mrio: MRIO) -> list[Table]:
    """``nesting_totals.csv``, ``nesting_blocks.csv`` and ``nesting_changes.csv``: the
    report's tables, with their labels as columns."""
    report = mrio.nesting
    return [
        Table("nesting_totals.csv", report.totals.rename_axis("quantity").reset_index()),
        Table("nesting_blocks.csv", report.blocks.rename_axis("block").reset_index()),
        Table("nesting_changes.csv", report.changes.reset_index(drop=True)),
    ]


def nesting_section(mrio: MRIO, config: NestConfig | None = None, names: Any = None) -> Section:
    """The report's section "Nesting": what replaced what, the totals of the two tables,
    how the trade blocks were balanced, the largest changes and the notes."""
    report = mrio.nesting
    unit = mrio.monetary_unit
    in_units = f" ({unit})" if unit else ""
    source = "estimate" if report.estimate else "table"
    totals = report.totals.rename(
        index={k: f"{k}{in_units}" for k in ("output", "exports", "imports")},
        columns={
            "host": f"{_region_label(report.region, names)} in the MRIO",
            "table": "estimated" if report.estimate else "in the table",
            "nested": "nested",
        },
    ).rename_axis(None)
    blocks = pd.DataFrame(
        {
            "cells (non-zero)": report.blocks["cells"].astype(int),
            "target scale (table / MRIO)": report.blocks["target_scale"].map(_scale),
            "largest margin gap before": report.blocks["gap_before"].map(_percent),
            "GRAS iterations": report.blocks["iterations"].astype(int),
            f"residual{in_units}": report.blocks["residual"].map(lambda v: f"{v:.2g}"),
            "largest cell change": report.blocks["largest_change"].map(_percent),
        },
        index=report.blocks.index.rename(None),
    )
    changes = report.changes
    if len(changes):
        order = changes["relative_change"].abs().sort_values(ascending=False).index
        changes = changes.loc[order].assign(
            seller=changes.loc[order, "seller"].map(lambda v: _label(v, names)),
            buyer=changes.loc[order, "buyer"].map(lambda v: _label(v, names)),
            relative_change=changes.loc[order, "relative_change"].map(_percent),
        )
        changes = changes.rename(
            columns={
                "prior": f"prior{in_units}",
                "balanced": f"balanced{in_units}",
                "relative_change": "change",
            }
        )
    balance = (
        "balanced with GRAS to the known margins"
        if report.balance == "gras"
        else "kept as spread (balance = none)"
    )
    emissions = {
        "table": "the table's satellite account",
        "output": f"the MRIO's emissions of {report.region}, split by output",
        "weights": f"the MRIO's emissions of {report.region}, split by the point sources' weights",
    }.get(report.emissions, report.emissions)
    if report.estimate:
        emissions = (
            f"the MRIO's emissions of {report.region}, split by each sub-region's share of each "
            "sector (and of final demand)"
        )
        money = ""
    elif report.exchange_rate == 1:
        money = f"The {source} is in the MRIO's money unit{in_units}."
    else:
        money = f"Exchange rate: {report.exchange_rate:g} MRIO units{in_units} per table unit."
    text = [
        *((describe_nesting(mrio, config, names),) if report.estimate else ()),
        f"Flows among the sub-regions come from the {source}, flows among the other regions "
        "from the MRIO; the sub-regions' trade with the other regions is spread by the MRIO's "
        f"structure and {balance}. Emissions of the sub-regions: {emissions}. "
        + (f"{money} " if money else "")
        + "All in nesting_totals.csv, nesting_blocks.csv and nesting_changes.csv.",
        *(f"Note: {note}" for note in report.notes),
    ]
    tables: list[tuple[str, pd.DataFrame]] = [("Totals", totals), ("Balanced blocks", blocks)]
    if len(changes):
        tables.append(("Largest changes of a cell in balancing", changes))
    return Section("Nesting", text=tuple(text), tables=tuple(tables))


def _label(text: str, names: Any) -> str:
    """A cell's row or column label, ``region/sector[/...]``, in names: ``Haiyang East,
    Construction`` (a part without a name stays a code)."""
    if names is None:
        return text
    tables = (names.regions, names.sectors, names.categories)
    parts = str(text).split("/")
    named = []
    for index, part in enumerate(parts):
        order = tables if index == 0 else (*tables[1:], tables[0])
        named.append(next((str(t[part]) for t in order if part in t), part))
    return ", ".join(named)


def _percent(value: float) -> str:
    """A relative change or gap as a percentage, three digits: 12.3%, 0.00412%; rounding
    noise (below 1e-9) is 0%."""
    return "0%" if abs(value) < 1e-9 else f"{value * 100:.3g}%"


def _scale(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.4g}"
