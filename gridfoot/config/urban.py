"""The configuration of ``gridfoot urban``: every key of the urban footprint study.

Paths are relative to the configuration file; every key is checked::

    stressor = "CO2"                 # optional when the data hold one stressor
    composition_sector = "CON"       # the sector whose consumed footprint is traced
    top_sectors = 6                  # upstream sectors named in the composition figure (>= 1)
    figure_formats = ["png"]         # png, pdf, svg
    country = "MER"                  # the cities' country in the [mrio] (its other regions
                                     # are the domestic origins of inflow)

    [mrio]                           # optional: the MRIO that prices imports (the "host")
    path = "../mrio"                 # a folder read by gridfoot.read_mrio
    monetary_unit = "million USD"
    x = "auto"                       # "file" (its x table), "balanced" or "auto"
    # layout, countries, zero_output, encoding, files, satellite: as in gridfoot run

    [indicators]                     # variants, see gridfoot.urban.indicators
    production_footprint = "production-based"
    balance = "final-demand"
    trade_intensity = "difference"

    [sector_names]                   # labels for figures and the report
    CON = "Construction"

    [[city]]                         # a city table ...
    name = "Haigang"
    table = "hgg.csv"
    emissions = "hgg_emissions.csv"
    population = 420000

    [[city]]                         # ... or regions of the [mrio]
    name = "Gaoyuan"
    regions = ["GAO"]
    population = 90000

``[mrio]`` is the section of ``gridfoot run`` (:mod:`gridfoot.config.mrio`, every key
documented there), read the same way, so a folder named the WIOD way is read by naming its
``files`` and ``satellite`` columns. One difference: the study's stressor is the top-level
``stressor``, which names the stressor of the city tables and of the MRIO alike, so
``mrio.stressor`` is refused.

Files written before ``[mrio]`` named the MRIO ``[host]``, with its folder as ``host.mrio``
and the cities' country as ``host.country``. They are still read, as ``[mrio]``,
``mrio.path`` and ``country``, with a :class:`~gridfoot.errors.DeprecatedKeyWarning` asking
to rename them; a file giving both ``[host]`` and ``[mrio]`` is refused.

A table city also takes ``gdp``, ``assumption`` ("multi-regional" or "single-region"),
``origin_shares``, ``exclude_origins``, ``import_share`` ("local-use" or "total-use"),
``exchange_rate``, ``monetary_unit``, ``tolerance``, ``sheet``, ``columns`` (header names
of the roles, see :func:`gridfoot.urban.read_city_table`) and ``encoding`` (of its CSV files:
table, emissions, origin shares; default UTF-8).

Every option is checked when the file is read, before any table is read or file written:
unknown keys, wrong types, figure formats and indicator variants outside their choices,
``population``, ``gdp`` and ``exchange_rate`` that are not positive, a negative ``tolerance``,
and options that the way a city's imports are priced would ignore (``origin_shares``,
``exclude_origins`` and ``exchange_rate`` need the multi-regional assumption and an
``[mrio]``; a city of MRIO regions takes none of a table's options).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from gridfoot.checks import check_encoding, check_literals, check_number
from gridfoot.config.mrio import MrioConfig
from gridfoot.errors import ConfigError, format_labels
from gridfoot.plot.style import FigureFormat
from gridfoot.urban.indicators import IndicatorOptions

__all__ = ["CityConfig", "UrbanConfig"]

_EXCEL = (".xlsx", ".xlsm", ".xls")


@dataclass(frozen=True)
class CityConfig:
    """One city: a table (``table`` + ``emissions``) or regions of the MRIO (``regions``)."""

    name: str
    population: float | None = None
    gdp: float | None = None
    table: Path | None = None
    emissions: Path | None = None
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    monetary_unit: str | None = None
    tolerance: float = 1e-3
    regions: tuple[str, ...] = ()
    assumption: Literal["multi-regional", "single-region"] | None = None
    origin_shares: Path | None = None
    exclude_origins: tuple[str, ...] = ()
    import_share: Literal["local-use", "total-use"] = "local-use"
    exchange_rate: float | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class UrbanConfig:
    """The whole study; ``mrio`` prices the cities' imports (see the module documentation)."""

    city: tuple[CityConfig, ...]
    mrio: MrioConfig | None = None
    country: str | None = None
    stressor: str | None = None
    composition_sector: str | None = None
    top_sectors: int = 6
    figure_formats: tuple[FigureFormat, ...] = ("png",)
    sector_names: dict[str, str] = field(default_factory=dict)
    indicators: IndicatorOptions = field(default_factory=IndicatorOptions)

    def __post_init__(self) -> None:
        if not self.city:
            raise ConfigError("city: at least one [[city]] is needed")
        names = [c.name for c in self.city]
        repeated = [name for i, name in enumerate(names) if name in names[:i]]
        if repeated:
            raise ConfigError(f"city: names must differ; repeated {format_labels(repeated)}")
        check_literals(self, "")
        check_number(self.top_sectors, "top_sectors", low=1, integer=True)
        if self.mrio is not None and self.mrio.years is not None:
            raise ConfigError(
                "mrio.years: gridfoot urban accounts one table; a series of years is for "
                "gridfoot run"
            )
        if self.mrio is not None and self.mrio.stressor is not None:
            raise ConfigError(
                f"mrio.stressor: an urban study names its stressor once, at the top level "
                f"(stressor = {self.mrio.stressor!r}), for the city tables and the MRIO alike; "
                "move it there"
            )
        if self.country is not None and self.mrio is None:
            raise ConfigError(
                f"country: {self.country!r} is the cities' country in the [mrio], and there "
                "is no [mrio]; add one or drop country"
            )
        for i, city in enumerate(self.city):
            _check_city(city, f"city[{i}]", self.mrio is not None)

    #: Keys of files written before [mrio] replaced [host], read under their new names (with
    #: a warning) by :func:`gridfoot.config.load_config`.
    _renamed_keys: ClassVar[dict[str, str]] = {
        "host.mrio": "mrio.path",
        "host.country": "country",
        "host": "mrio",
    }


#: Options of a table city, and their defaults: a city of MRIO regions takes none of them.
_TABLE_OPTIONS = {
    "emissions": None,
    "sheet": None,
    "columns": {},
    "monetary_unit": None,
    "assumption": None,
    "origin_shares": None,
    "exclude_origins": (),
    "import_share": "local-use",
    "exchange_rate": None,
}
#: Options used only when an MRIO prices the imports (the multi-regional assumption).
_HOST_OPTIONS = ("origin_shares", "exclude_origins", "exchange_rate")


def _check_city(city: CityConfig, key: str, has_mrio: bool) -> None:
    """Refuse a city whose options are impossible or would be silently ignored."""
    where = f"{key} ({city.name})"
    check_literals(city, key)
    check_encoding(city.encoding, f"{key}.encoding")
    for name in ("population", "gdp", "exchange_rate"):
        if getattr(city, name) is not None:
            check_number(getattr(city, name), f"{key}.{name}", low=0, low_open=True)
    check_number(city.tolerance, f"{key}.tolerance", low=0, meaning="relative")
    if (city.table is None) == (not city.regions):
        raise ConfigError(f"{where}: give either table (+ emissions) or regions")
    if city.regions:
        if not has_mrio:
            raise ConfigError(f"{where}: regions need an [mrio], the MRIO they are regions of")
        given = [k for k, default in _TABLE_OPTIONS.items() if getattr(city, k) != default]
        if given:
            raise ConfigError(
                f"{key}.{given[0]}: a city of MRIO regions ({format_labels(city.regions)}) "
                f"takes none of a table's options; remove {format_labels(given)} or give table"
            )
        return
    excel = city.table.suffix.lower() in _EXCEL
    if city.emissions is None and not excel:
        raise ConfigError(f"{where}: a CSV table needs emissions = <file>")
    single = city.assumption == "single-region" or (city.assumption is None and not has_mrio)
    if city.assumption == "multi-regional" and not has_mrio:
        raise ConfigError(
            f"{key}.assumption: 'multi-regional' prices imports with an MRIO; add [mrio] "
            "or use 'single-region'"
        )
    ignored = [name for name in _HOST_OPTIONS if getattr(city, name) != _TABLE_OPTIONS[name]]
    if single and ignored:
        raise ConfigError(
            f"{key}.{ignored[0]}: only used when an MRIO prices the imports "
            f"(multi-regional assumption); this city uses the single-region assumption"
            + ("" if has_mrio else " (there is no [mrio])")
        )
