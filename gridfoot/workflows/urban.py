"""Run the urban footprint study from a TOML file: tables, figures and a short report.

The configuration (``gridfoot urban CONFIG``) is documented, key by key, in
:mod:`gridfoot.config.urban`; ``sample_data/cities/cities.toml`` is a complete example.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from gridfoot.config import CityConfig, UrbanConfig, load_config
from gridfoot.errors import GridfootWarning, format_labels
from gridfoot.mrio.readers import read_mrio
from gridfoot.mrio.system import MRIO
from gridfoot.urban.economy import read_origin_shares
from gridfoot.urban.footprints import CityFootprint, city_footprint, city_footprint_from_mrio
from gridfoot.urban.indicators import compare_cities, tidy_accounts
from gridfoot.urban.tables import read_city_table
from gridfoot.workflows.products import Figure, File, Report, Section, Table

__all__ = ["UrbanStudy", "compute_urban", "run_urban"]


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
    default_money = config.mrio.monetary_unit if config.mrio else ""
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
        country=config.country if use_host else None,
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
    host = read_mrio(**config.mrio.read_options()) if config.mrio is not None else None
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
    from gridfoot.workflows.writer import stages, write_study

    config_file = None
    if not isinstance(config, UrbanConfig):
        config_file = Path(config)
        config = load_config(config, UrbanConfig)
    out = Path(out)
    inputs = [*urban_inputs(config), *([config_file] if config_file else [])]
    check_output_folder(out, inputs)  # refused before the work, not after
    steps = Progress("gridfoot urban", ["cities", *stages(False)], progress)
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
    named = [config.mrio.path, config.mrio.countries] if config.mrio is not None else []
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
            lambda: plot_quadrants(study.comparison),
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
