"""Run the urban footprint study from a TOML file: tables, figures and a short report.

Configuration (paths relative to the file; every key is checked)::

    stressor = "CO2"                 # optional when the data hold one stressor
    composition_sector = "CON"       # the sector whose consumed footprint is traced
    top_sectors = 6                  # upstream sectors named in the composition figure (>= 1)
    figure_formats = ["png"]         # png, pdf, svg

    [host]                           # optional: the MRIO that prices imports
    mrio = "../mrio"                 # a folder read by gridfoot.read_mrio
    country = "MER"                  # the cities' country in the host
    monetary_unit = "million USD"
    x = "auto"                       # "file" (its x table), "balanced" or "auto"
    # encoding = "gbk"               # text encoding of its CSV tables (default UTF-8)

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

    [[city]]                         # ... or regions of the host MRIO
    name = "Gaoyuan"
    regions = ["GAO"]
    population = 90000

A table city also takes ``gdp``, ``assumption`` ("multi-regional" or "single-region"),
``origin_shares``, ``exclude_origins``, ``import_share`` ("local-use" or "total-use"),
``exchange_rate``, ``monetary_unit``, ``tolerance``, ``sheet``, ``columns`` (header names
of the roles, see :func:`gridfoot.urban.read_city_table`) and ``encoding`` (of its CSV files:
table, emissions, origin shares; default UTF-8).

Every option is checked when the file is read, before any table is read or file written:
unknown keys, wrong types, figure formats and indicator variants outside their choices,
``population``, ``gdp`` and ``exchange_rate`` that are not positive, a negative ``tolerance``,
and options that the way a city's imports are priced would ignore (``origin_shares``,
``exclude_origins`` and ``exchange_rate`` need the multi-regional assumption and a host;
a city of host regions takes none of a table's options).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from gridfoot.config import check_encoding, check_literals, check_number, load_config
from gridfoot.errors import ConfigError, GridfootWarning, format_labels
from gridfoot.io import atomic_file, write_csv, write_netcdf
from gridfoot.mrio.readers import read_mrio
from gridfoot.mrio.system import MRIO
from gridfoot.plot.style import FigureFormat
from gridfoot.urban.economy import read_origin_shares
from gridfoot.urban.footprints import CityFootprint, city_footprint, city_footprint_from_mrio
from gridfoot.urban.indicators import IndicatorOptions, compare_cities, tidy_accounts
from gridfoot.urban.tables import read_city_table

__all__ = ["CityConfig", "HostConfig", "UrbanConfig", "UrbanRun", "run_urban"]

_EXCEL = (".xlsx", ".xlsm", ".xls")


@dataclass(frozen=True)
class HostConfig:
    """The host MRIO: where it is and how to read it."""

    mrio: Path
    country: str | None = None
    monetary_unit: str = ""
    x: Literal["auto", "file", "balanced"] = "auto"
    countries: Path | None = None
    encoding: str | None = None

    def __post_init__(self) -> None:
        check_literals(self, "host")
        check_encoding(self.encoding, "host.encoding")


@dataclass(frozen=True)
class CityConfig:
    """One city: a table (``table`` + ``emissions``) or regions of the host (``regions``)."""

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
    """The whole study."""

    city: tuple[CityConfig, ...]
    host: HostConfig | None = None
    stressor: str | None = None
    composition_sector: str | None = None
    top_sectors: int = 6
    figure_formats: tuple[FigureFormat, ...] = ("png",)
    sector_names: dict[str, str] = field(default_factory=dict)
    indicators: IndicatorOptions = field(default_factory=IndicatorOptions)

    def __post_init__(self) -> None:
        if not self.city:
            raise ConfigError("city: at least one [[city]] is needed")
        names = pd.Index([c.name for c in self.city])
        if names.has_duplicates:
            raise ConfigError(
                f"city: names must differ; repeated {format_labels(names[names.duplicated()])}"
            )
        check_literals(self, "")
        check_number(self.top_sectors, "top_sectors", low=1, integer=True)
        for i, city in enumerate(self.city):
            _check_city(city, f"city[{i}]", self.host is not None)


#: Options of a table city, and their defaults: a city of host regions takes none of them.
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
#: Options used only when a host MRIO prices the imports (the multi-regional assumption).
_HOST_OPTIONS = ("origin_shares", "exclude_origins", "exchange_rate")


def _check_city(city: CityConfig, key: str, has_host: bool) -> None:
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
        if not has_host:
            raise ConfigError(f"{where}: regions need a [host] MRIO")
        given = [k for k, default in _TABLE_OPTIONS.items() if getattr(city, k) != default]
        if given:
            raise ConfigError(
                f"{key}.{given[0]}: a city of host regions ({format_labels(city.regions)}) "
                f"takes none of a table's options; remove {format_labels(given)} or give table"
            )
        return
    excel = city.table.suffix.lower() in _EXCEL
    if city.emissions is None and not excel:
        raise ConfigError(f"{where}: a CSV table needs emissions = <file>")
    single = city.assumption == "single-region" or (city.assumption is None and not has_host)
    if city.assumption == "multi-regional" and not has_host:
        raise ConfigError(
            f"{key}.assumption: 'multi-regional' prices imports with a host MRIO; add [host] "
            "or use 'single-region'"
        )
    ignored = [name for name in _HOST_OPTIONS if getattr(city, name) != _TABLE_OPTIONS[name]]
    if single and ignored:
        raise ConfigError(
            f"{key}.{ignored[0]}: only used when a host MRIO prices the imports "
            f"(multi-regional assumption); this city uses the single-region assumption"
            + ("" if has_host else " (there is no [host])")
        )


def _city(config: UrbanConfig, city: CityConfig, host: MRIO | None) -> CityFootprint:
    if city.regions:
        return city_footprint_from_mrio(
            host,
            list(city.regions),
            population=city.population,
            gdp=city.gdp,
            name=city.name,
            stressor=config.stressor,
        )
    default_money = config.host.monetary_unit if config.host else ""
    table = read_city_table(
        city.table,
        city.emissions,
        name=city.name,
        population=city.population,
        gdp=city.gdp,
        stressor=config.stressor,
        monetary_unit=city.monetary_unit if city.monetary_unit is not None else default_money,
        columns=city.columns,
        sheet=city.sheet,
        tolerance=city.tolerance,
        encoding=city.encoding,
    )
    origins = city.origin_shares
    if origins is not None:
        origins = read_origin_shares(origins, encoding=city.encoding, city=city.name)
    use_host = city.assumption != "single-region"
    return city_footprint(
        table,
        host if use_host else None,
        assumption=city.assumption,
        country=config.host.country if config.host and use_host else None,
        origin_shares=origins,
        exclude_origins=city.exclude_origins,
        import_share=city.import_share,
        exchange_rate=city.exchange_rate,
    )


@dataclass(frozen=True)
class UrbanRun:
    """What :func:`run_urban` computed and wrote."""

    cities: tuple[CityFootprint, ...]
    files: tuple[Path, ...]


def _slug(name: str) -> str:
    return re.sub(r"[^\w-]+", "_", name).strip("_") or "city"


def run_urban(config: UrbanConfig | str | Path, out: str | Path) -> UrbanRun:
    """Compute every city of ``config`` and write tables, figures and ``report.md`` to ``out``.

    Written: ``comparison.csv`` (one row per city; units in the headers), ``accounts.csv``
    (tidy accounts and indicators), ``sectors.csv`` (sector views), ``composition.csv`` (the
    chosen sector's consumed footprint by upstream sector), one NetCDF per city in
    ``cities/``, figures in ``figures/`` and ``report.md``. Every file is written atomically.

    Returns
    -------
    UrbanRun
        The cities' footprints and the files written.
    """
    from gridfoot.io.output import check_output_folder, output_folder

    config_file = None
    if not isinstance(config, UrbanConfig):
        config_file = Path(config)
        config = load_config(config, UrbanConfig)
    out = Path(out)
    inputs = [*urban_inputs(config), *([config_file] if config_file else [])]
    check_output_folder(out, inputs)  # refused before the work, not after
    host = None
    if config.host is not None:
        host = read_mrio(
            config.host.mrio,
            x=config.host.x,
            countries=config.host.countries,
            monetary_unit=config.host.monetary_unit,
            encoding=config.host.encoding,
        )
    _warn_missing_denominators(config)
    cities = [_city(config, city, host) for city in config.city]
    compositions = {}
    if config.composition_sector is not None:
        compositions = {city.name: city.composition(config.composition_sector) for city in cities}
    with output_folder(out, command="urban", inputs=inputs) as staging:
        written = _write_tables(config, cities, compositions, staging)
        written += _write_figures(config, cities, staging)
        written.append(_write_report(config, cities, compositions, staging, written))
        files = tuple(out / p.relative_to(staging) for p in written)
    return UrbanRun(cities=tuple(cities), files=files)


def _warn_missing_denominators(config: UrbanConfig) -> None:
    """Indicators per person need the population (GDP defaults to the value added)."""
    for key, indicator in (("population", "carbon consumption level (per person)"),):
        missing = [city.name for city in config.city if getattr(city, key) is None]
        if missing:
            warnings.warn(
                f"{len(missing)} city(ies) without {key} ({format_labels(missing)}): their "
                f"{indicator} is left empty",
                GridfootWarning,
                stacklevel=3,
            )


def urban_inputs(config: UrbanConfig) -> list[Path]:
    """Every file or folder an urban configuration names as an input."""
    named = [config.host.mrio, config.host.countries] if config.host is not None else []
    for city in config.city:
        named += [city.table, city.emissions, city.origin_shares]
    return [p for p in named if p is not None]


def _write_tables(
    config: UrbanConfig,
    cities: list[CityFootprint],
    compositions: dict[str, pd.DataFrame],
    out: Path,
) -> list[Path]:
    comparison = compare_cities(cities, config.indicators)
    units = comparison.attrs["units"]
    header = {c: f"{c} ({units[c]})" if units.get(c) else c for c in comparison.columns}
    written = [
        write_csv(comparison.rename(columns=header).reset_index(), out / "comparison.csv"),
        write_csv(tidy_accounts(cities, config.indicators), out / "accounts.csv"),
    ]
    sectors = pd.concat(
        [
            city.sector_table()
            .reset_index()
            .melt(id_vars="sector", var_name="quantity")
            .assign(city=city.name, unit=city.unit)
            for city in cities
        ],
        ignore_index=True,
    )
    sectors.loc[sectors["quantity"] == "consumed_share", "unit"] = "1"
    written.append(
        write_csv(sectors[["city", "sector", "quantity", "value", "unit"]], out / "sectors.csv")
    )
    if compositions:
        composition = pd.concat(
            [
                table.reset_index().assign(city=name, unit=cities[0].unit)
                for name, table in compositions.items()
            ],
            ignore_index=True,
        )
        first = ["city", "emitting_sector"]
        columns = first + [c for c in composition.columns if c not in first]
        written.append(write_csv(composition[columns], out / "composition.csv"))
    for city in cities:
        written.append(write_netcdf(city.dataset, out / "cities" / f"{_slug(city.name)}.nc"))
    return written


def _write_figures(config: UrbanConfig, cities: list[CityFootprint], out: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    from gridfoot.plot.style import save_figure
    from gridfoot.plot.urban import plot_boundaries, plot_composition, plot_quadrants

    folder = out / "figures"
    figures = {"quadrants": plot_quadrants(compare_cities(cities, config.indicators))}
    if config.composition_sector is not None:
        figures[f"composition_{_slug(config.composition_sector)}"] = plot_composition(
            cities, config.composition_sector, top=config.top_sectors, names=config.sector_names
        )
    for city in cities:
        figures[f"boundaries_{_slug(city.name)}"] = plot_boundaries(city)
    written = []
    for name, figure in figures.items():
        written += save_figure(figure, folder / name, config.figure_formats)
        plt.close(figure)
    return written


def _markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table (no tabulate dependency)."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.0f}" if abs(value) >= 10**digits else f"{value:.{digits}g}"
        return str(value)

    lines = [
        "| " + " | ".join(map(str, [frame.index.name or "", *frame.columns])) + " |",
        "|" + "---|" * (len(frame.columns) + 1),
    ]
    lines += [
        "| " + " | ".join([str(index), *(cell(v) for v in row)]) + " |"
        for index, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    return "\n".join(lines)


def _write_report(
    config: UrbanConfig,
    cities: list[CityFootprint],
    compositions: dict[str, pd.DataFrame],
    out: Path,
    written: list[Path],
) -> Path:
    comparison = compare_cities(cities, config.indicators)
    units = comparison.attrs["units"]
    unit, stressor = cities[0].unit, cities[0].economy.stressor
    names = config.sector_names
    key = comparison[
        [
            "direct",
            "production_based",
            "consumption_based",
            "carbon_production_intensity",
            "carbon_consumption_level",
            "emissions_trade_balance",
            "role",
        ]
    ].rename(columns=lambda c: f"{c} ({units[c]})" if c in units else c)
    sections = [
        f"# Urban carbon footprints ({stressor})",
        f"{len(cities)} cities. Emissions in {unit}; money in "
        f"{cities[0].economy.monetary_unit or 'the tables units'}.",
        "## Footprints and indicators",
        _markdown(key),
        "Boundaries: production-based = direct + EEI of inputs to local production; "
        "consumption-based = direct - EEE + EEI for final demand (their difference is the "
        "balance EEE - EEI for final demand; > 0: net carbon producer). Indicator variants: "
        + ", ".join(f"{k} = {v}" for k, v in config.indicators.__dict__.items())
        + ".",
        "## Sectors",
    ]
    lines = []
    for city in cities:
        producing, consuming = city.largest_producing_sector, city.largest_consuming_sector
        lines.append(
            f"- {city.name}: largest producer {names.get(producing, producing)}, "
            f"largest consumer {names.get(consuming, consuming)}; imports priced by "
            f"{city.economy.supply.description}."
        )
    sections.append("\n".join(lines))
    if compositions:
        product = config.composition_sector
        sections.append(f"## Consumed footprint of {names.get(product, product)}")
        lines = []
        for name, table in compositions.items():
            parts = ", ".join(
                f"{names.get(s, s)} {share:.0%}" for s, share in table["share"].head(3).items()
            )
            lines.append(
                f"- {name}: {table.attrs['total']:,.0f} {unit}, "
                f"{table.attrs['share_of_production_based']:.0%} of the production-based "
                f"footprint; upstream: {parts}."
            )
        sections.append("\n".join(lines))
    sections.append("## Files")
    sections.append(
        "\n".join(f"- [{p.relative_to(out)}]({p.relative_to(out).as_posix()})" for p in written)
    )
    sections += [
        f"![{p.stem}]({p.relative_to(out).as_posix()})" for p in written if p.suffix == ".png"
    ]
    path = out / "report.md"
    with atomic_file(path) as temporary:
        temporary.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return path
