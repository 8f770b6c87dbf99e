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

import dataclasses
import re
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from gridfoot.config import check_encoding, check_literals, check_number, load_config
from gridfoot.errors import ConfigError, GridfootWarning, format_labels
from gridfoot.mrio.readers import read_mrio
from gridfoot.mrio.system import MRIO
from gridfoot.plot.style import FigureFormat
from gridfoot.urban.economy import read_origin_shares
from gridfoot.urban.footprints import CityFootprint, city_footprint, city_footprint_from_mrio
from gridfoot.urban.indicators import IndicatorOptions, compare_cities, tidy_accounts
from gridfoot.urban.tables import read_city_table
from gridfoot.workflows.products import Figure, File, Report, Section, Table

__all__ = [
    "CityConfig",
    "HostConfig",
    "UrbanConfig",
    "UrbanStudy",
    "compute_urban",
    "run_urban",
]

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


@dataclass(frozen=True, eq=False)
class UrbanStudy:
    """What the urban study computed (:func:`compute_urban`); :func:`run_urban` writes it."""

    config: UrbanConfig
    cities: tuple[CityFootprint, ...]
    compositions: dict[str, pd.DataFrame]  # city -> the chosen sector's consumed footprint
    comparison: pd.DataFrame  # one row per city (compare_cities)
    input_files: tuple[Path, ...] = ()
    files: tuple[str, ...] = ()  # what run_urban wrote, relative to its folder
    study: str = "urban"

    @property
    def figure_formats(self) -> tuple[str, ...]:
        return tuple(self.config.figure_formats)

    def __repr__(self) -> str:
        return f"<gridfoot urban study: {len(self.cities)} cities ({', '.join(self.names)})>"

    @property
    def names(self) -> list[str]:
        return [city.name for city in self.cities]

    def summary_options(self) -> dict[str, Any]:
        from gridfoot.config import to_plain

        return to_plain(self.config)

    def summary_results(self) -> dict[str, Any]:
        units = self.comparison.attrs.get("units", {})
        return {
            "stressor": self.cities[0].economy.stressor,
            "units": dict(units),
            "cities": self.comparison.reset_index().to_dict(orient="records"),
        }

    def products(self) -> list[Any]:
        return _products(self)

    def report(self) -> Report:
        return _report(self)


def _slug(name: str) -> str:
    return re.sub(r"[^\w-]+", "_", name).strip("_") or "city"


def compute_urban(config: UrbanConfig, input_files: tuple[Path, ...] = ()) -> UrbanStudy:
    """Read the host MRIO and every city of ``config`` and compute their footprints."""
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
    cities = tuple(_city(config, city, host) for city in config.city)
    compositions = {}
    if config.composition_sector is not None:
        compositions = {city.name: city.composition(config.composition_sector) for city in cities}
    return UrbanStudy(
        config=config,
        cities=cities,
        compositions=compositions,
        comparison=compare_cities(list(cities), config.indicators),
        input_files=tuple(input_files),
    )


def run_urban(
    config: UrbanConfig | str | Path, out: str | Path, progress: bool | None = False
) -> UrbanStudy:
    """Compute every city of ``config`` and write tables, figures and a report to ``out``.

    Written: ``summary.json`` and ``report.html`` (as every study), ``comparison.csv`` (one
    row per city; units in the headers), ``accounts.csv`` (tidy accounts and indicators),
    ``sectors.csv`` (sector views), ``composition.csv`` (the chosen sector's consumed
    footprint by upstream sector), one NetCDF per city in ``cities/`` and figures in
    ``figures/``. ``out`` must be absent, empty or a folder gridfoot wrote; it is written all
    at once.

    Returns
    -------
    UrbanStudy
        The cities' footprints; ``files`` lists what was written (relative to ``out``).
    """
    from gridfoot.io.output import check_output_folder, output_folder
    from gridfoot.workflows.progress import Progress
    from gridfoot.workflows.writer import write_study

    config_file = None
    if not isinstance(config, UrbanConfig):
        config_file = Path(config)
        config = load_config(config, UrbanConfig)
    out = Path(out)
    inputs = [*urban_inputs(config), *([config_file] if config_file else [])]
    check_output_folder(out, inputs)  # refused before the work, not after
    steps = Progress("gridfoot urban", ["cities", "files", "figures", "report"], progress)
    try:
        with output_folder(out, command="urban", inputs=inputs) as staging:
            with steps.stage("cities"):
                study = compute_urban(config, tuple(urban_inputs(config)))
            summary = write_study(study, staging, out=out, progress=steps)
    finally:
        steps.close()
    return dataclasses.replace(study, files=tuple(summary["files"]))


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


def _products(study: UrbanStudy) -> list[Any]:
    from gridfoot.io import write_netcdf

    config, cities = study.config, list(study.cities)
    comparison = study.comparison
    units = comparison.attrs["units"]
    header = {c: f"{c} ({units[c]})" if units.get(c) else c for c in comparison.columns}
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
    products: list[Any] = [
        Table("comparison.csv", comparison.rename(columns=header).reset_index()),
        Table("accounts.csv", tidy_accounts(cities, config.indicators)),
        Table("sectors.csv", sectors[["city", "sector", "quantity", "value", "unit"]]),
    ]
    if study.compositions:
        composition = pd.concat(
            [
                table.reset_index().assign(city=name, unit=cities[0].unit)
                for name, table in study.compositions.items()
            ],
            ignore_index=True,
        )
        first = ["city", "emitting_sector"]
        columns = first + [c for c in composition.columns if c not in first]
        products.append(Table("composition.csv", composition[columns]))
    for city in cities:
        products.append(File(f"cities/{_slug(city.name)}.nc", partial(write_netcdf, city.dataset)))
    return products + _figures(study)


def _figures(study: UrbanStudy) -> list[Figure]:
    from gridfoot.plot.urban import plot_boundaries, plot_composition, plot_quadrants

    config, cities = study.config, list(study.cities)
    names = config.sector_names
    figures = [
        Figure(
            "figures/quadrants",
            lambda: plot_quadrants(cities, config.indicators),
            "Carbon production intensity and consumption level of every city",
        )
    ]
    sector = config.composition_sector
    if sector is not None:
        figures.append(
            Figure(
                f"figures/composition_{_slug(sector)}",
                lambda: plot_composition(
                    cities, sector, top=config.top_sectors, names=config.sector_names
                ),
                f"Consumed footprint of {names.get(sector, sector)} by upstream sector",
            )
        )
    for city in cities:
        figures.append(
            Figure(
                f"figures/boundaries_{_slug(city.name)}",
                partial(plot_boundaries, city),
                f"{city.name}: the four footprint boundaries",
            )
        )
    return figures


def _report(study: UrbanStudy) -> Report:
    config, cities, comparison = study.config, list(study.cities), study.comparison
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
    lines = []
    for city in cities:
        producing, consuming = city.largest_producing_sector, city.largest_consuming_sector
        lines.append(
            f"{city.name}: largest producer {names.get(producing, producing)}, largest "
            f"consumer {names.get(consuming, consuming)}; imports priced by "
            f"{city.economy.supply.description}."
        )
    sections = [
        Section(
            "Footprints and indicators",
            text=(
                "Boundaries: production-based = direct + EEI of inputs to local production; "
                "consumption-based = direct - EEE + EEI for final demand (their difference is "
                "the balance EEE - EEI for final demand; > 0: net carbon producer). Indicator "
                "variants: "
                + ", ".join(f"{k} = {v}" for k, v in config.indicators.__dict__.items())
                + ".",
            ),
            tables=(("comparison.csv", key),),
            figures=("figures/quadrants",),
        ),
        Section("Sectors", text=tuple(lines)),
    ]
    if study.compositions:
        product = config.composition_sector
        text = []
        for name, table in study.compositions.items():
            parts = ", ".join(
                f"{names.get(s, s)} {share:.0%}" for s, share in table["share"].head(3).items()
            )
            text.append(
                f"{name}: {table.attrs['total']:,.0f} {unit}, "
                f"{table.attrs['share_of_production_based']:.0%} of the production-based "
                f"footprint; upstream: {parts}."
            )
        sections.append(
            Section(
                f"Consumed footprint of {names.get(product, product)}",
                text=tuple(text),
                figures=(f"figures/composition_{_slug(product)}",),
            )
        )
    sections.append(
        Section(
            "Boundaries of each city",
            figures=tuple(f"figures/boundaries_{_slug(c.name)}" for c in cities),
        )
    )
    money = cities[0].economy.monetary_unit or "the tables' units"
    return Report(
        title=f"Urban carbon footprints ({stressor})",
        lead=(f"{len(cities)} cities. Emissions in {unit}; money in {money}.",),
        key_figures=tuple(
            (
                city.name,
                f"direct {city.direct:,.0f}, production-based "
                f"{city.boundaries['production_based']:,.0f}, consumption-based "
                f"{city.boundaries['consumption_based']:,.0f} {city.unit}",
            )
            for city in cities
        ),
        sections=tuple(sections),
    )
