"""The four urban carbon indicators and a comparison table of several cities.

Definitions (``PCF``, ``CCF``: production- and consumption-based footprints; ``EEE``, ``EEI``:
emissions embodied in the city's exports and imports as trade flows -- the urban literature's
quantities, not the destination-based ``eee``/``eei`` of :func:`gridfoot.footprint`; see
:mod:`gridfoot.urban.footprints`, which sets the two side by side):

carbon production intensity (CPI)
    ``PCF / GDP`` (``production_footprint="production-based"``, the default) or the
    territorial ``direct / GDP`` (``"direct"``, the intensity cities report officially).
    Lower is a more carbon-efficient production.
carbon consumption level (CCL)
    ``CCF / population``: the consumption-based footprint per person.
balance of emissions embodied in trade (BEET)
    ``EEE - EEI``, positive for a net carbon producer, negative for a net consumer. With
    ``balance="final-demand"`` (default) EEI is the EEI for final demand, so that
    ``BEET = direct - CCF`` exactly; with ``"total"`` every import counts, including what
    serves production for export. Split domestic (outflow - inflow) and foreign.
trade-intensity balance
    emissions per unit of trade value: ``EEE / (outflow + exports)`` against
    ``EEI / (inflow + imports)`` (all EEI: the value covers every import), as their
    ``"difference"`` (default; positive when the city's exports are more carbon-intensive
    than its imports) or ``"ratio"``. Split domestic and foreign.

The published studies (Hu et al. 2016, ES&T; Lin et al. 2015, ERL) name these four indicators;
their full texts were not at hand when this was written, so the variants are switchable and
the defaults follow gridfoot's design notes rather than a checked transcription.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gridfoot.errors import ConfigError, ValueCheckError, format_labels
from gridfoot.urban.footprints import BOUNDARIES, CityFootprint

__all__ = ["IndicatorOptions", "compare_cities", "indicators", "tidy_accounts"]

ProductionFootprint = Literal["production-based", "direct"]
Balance = Literal["final-demand", "total"]
TradeIntensity = Literal["difference", "ratio"]


@dataclass(frozen=True)
class IndicatorOptions:
    """Which variant of each indicator (see the module documentation)."""

    production_footprint: ProductionFootprint = "production-based"
    balance: Balance = "final-demand"
    trade_intensity: TradeIntensity = "difference"

    def __post_init__(self) -> None:
        for name, allowed in (
            ("production_footprint", ("production-based", "direct")),
            ("balance", ("final-demand", "total")),
            ("trade_intensity", ("difference", "ratio")),
        ):
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"{name} must be one of {', '.join(map(repr, allowed))}, "
                    f"got {getattr(self, name)!r}"
                )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else np.nan


def indicators(
    city: CityFootprint, options: IndicatorOptions | None = None, **variants
) -> pd.DataFrame:
    """The four indicators of a city (and the trade intensities behind the fourth).

    Parameters
    ----------
    city : CityFootprint
    options : IndicatorOptions, optional
    **variants
        ``production_footprint``, ``balance``, ``trade_intensity``: override ``options``.

    Returns
    -------
    DataFrame
        Index: ``carbon_production_intensity``, ``carbon_consumption_level``,
        ``emissions_trade_balance``, ``export_intensity``, ``import_intensity``,
        ``trade_intensity_balance``; columns ``total``, ``domestic``, ``foreign`` (NaN where a
        split does not apply), ``unit`` and ``definition``.

    Examples
    --------
    >>> from gridfoot.datasets import sample_mrio
    >>> from gridfoot.urban import city_footprint_from_mrio
    >>> city = city_footprint_from_mrio(sample_mrio(), "HAI", population=500_000)
    >>> table = indicators(city)
    >>> round(float(table.loc["carbon_consumption_level", "total"]), 2)
    10.9
    >>> table.loc["carbon_consumption_level", "unit"]
    't per person'
    """
    options = _options(options, variants)
    data = city.dataset
    unit, money = city.unit, city.economy.monetary_unit or "unit of money"
    boundaries = city.boundaries
    eee = data["eee"].sum("sector").values
    eei = data["eei"]
    eei_all = eei.sum("pathway").values
    eei_fd = eei.sel(pathway=["final_demand", "inputs_for_final_demand"]).sum("pathway").values
    eei_balance = eei_fd if options.balance == "final-demand" else eei_all
    export_value = data["export_value"].sum("sector").values
    import_value = data["import_value"].sum("sector").values

    production = (
        boundaries["production_based"]
        if options.production_footprint == "production-based"
        else city.direct
    )
    export_intensity = [_ratio(eee.sum(), export_value.sum())] + [
        _ratio(eee[g], export_value[g]) for g in range(2)
    ]
    import_intensity = [_ratio(eei_all.sum(), import_value.sum())] + [
        _ratio(eei_all[g], import_value[g]) for g in range(2)
    ]
    if options.trade_intensity == "difference":
        balance = [e - i for e, i in zip(export_intensity, import_intensity, strict=True)]
        balance_unit = f"{unit} per {money}"
    else:
        balance = [_ratio(e, i) for e, i in zip(export_intensity, import_intensity, strict=True)]
        balance_unit = "1"
    nan = np.nan
    rows = {
        "carbon_production_intensity": (
            [_ratio(production, city.gdp), nan, nan],
            f"{unit} per {money}",
            "production-based footprint / GDP"
            if options.production_footprint == "production-based"
            else "direct emissions / GDP",
        ),
        "carbon_consumption_level": (
            [_ratio(boundaries["consumption_based"], city.population), nan, nan],
            f"{unit} per person",
            "consumption-based footprint / population",
        ),
        "emissions_trade_balance": (
            [float(eee.sum() - eei_balance.sum()), *(eee - eei_balance)],
            unit,
            f"EEE - EEI ({options.balance.replace('-', ' ')}); > 0: net carbon producer",
        ),
        "export_intensity": (
            export_intensity,
            f"{unit} per {money}",
            "EEE / value of outflow and exports",
        ),
        "import_intensity": (
            import_intensity,
            f"{unit} per {money}",
            "EEI (all) / value of inflow and imports",
        ),
        "trade_intensity_balance": (
            balance,
            balance_unit,
            f"export intensity vs import intensity ({options.trade_intensity})",
        ),
    }
    values = np.array([[float(v) for v in row[0]] for row in rows.values()])
    table = pd.DataFrame(
        {
            "total": values[:, 0],
            "domestic": values[:, 1],
            "foreign": values[:, 2],
            "unit": [row[1] for row in rows.values()],
            "definition": [row[2] for row in rows.values()],
        },
        index=pd.Index(list(rows), name="indicator"),
    )
    return table


def _options(options: IndicatorOptions | None, variants: dict) -> IndicatorOptions:
    unknown = set(variants) - {"production_footprint", "balance", "trade_intensity"}
    if unknown:
        raise ConfigError(f"unknown indicator option(s) {format_labels(sorted(unknown))}")
    options = options or IndicatorOptions()
    return IndicatorOptions(**{**options.__dict__, **variants}) if variants else options


def _check_units(cities: Sequence[CityFootprint]) -> None:
    if not cities:
        raise ValueCheckError("no cities to compare")
    units = {(c.unit, c.economy.stressor, c.economy.monetary_unit) for c in cities}
    if len(units) > 1:
        raise ValueCheckError(
            "cities to compare must share stressor, emission unit and monetary unit; got "
            + format_labels(
                f"{c.name}: {c.economy.stressor} [{c.unit}], {c.economy.monetary_unit}"
                for c in cities
            )
        )


def compare_cities(
    cities: Sequence[CityFootprint], options: IndicatorOptions | None = None, **variants
) -> pd.DataFrame:
    """One row per city: accounts, the four boundaries, the indicators and sector views.

    Column units are in ``table.attrs["units"]``, the stressor in ``table.attrs["stressor"]``.

    Examples
    --------
    >>> from gridfoot.datasets import sample_mrio
    >>> from gridfoot.urban import city_footprint_from_mrio
    >>> mrio = sample_mrio()
    >>> cities = [city_footprint_from_mrio(mrio, r, population=p)
    ...           for r, p in [("HAI", 500_000), ("GAO", 90_000)]]
    >>> compare_cities(cities)[["consumption_based", "role"]].round(-3)
         consumption_based           role
    city
    HAI          5451000.0  net producer
    GAO           793000.0  net consumer
    """
    _check_units(cities)
    names = pd.Index([city.name for city in cities])
    if names.has_duplicates:
        raise ValueCheckError(
            "cities to compare need distinct names; repeated: "
            + format_labels(names[names.duplicated()])
        )
    options = _options(options, variants)
    rows = {}
    for city in cities:
        accounts = city.accounts
        table = indicators(city, options)
        balance = table.loc["emissions_trade_balance", "total"]
        rows[city.name] = {
            "population": city.population,
            "gdp": city.gdp,
            "direct": accounts.loc["direct", "total"],
            "local_for_local": accounts.loc["local_for_local", "total"],
            "eee_domestic": accounts.loc["eee", "domestic"],
            "eee_foreign": accounts.loc["eee", "foreign"],
            "eei_final_demand_domestic": accounts.loc["eei_final_demand", "domestic"],
            "eei_final_demand_foreign": accounts.loc["eei_final_demand", "foreign"],
            "eei_exports_domestic": accounts.loc["eei_exports", "domestic"],
            "eei_exports_foreign": accounts.loc["eei_exports", "foreign"],
            **{b: accounts.loc[b, "total"] for b in BOUNDARIES},
            "carbon_production_intensity": table.loc["carbon_production_intensity", "total"],
            "carbon_consumption_level": table.loc["carbon_consumption_level", "total"],
            "emissions_trade_balance": balance,
            "role": "net producer" if balance > 0 else "net consumer",
            "trade_intensity_balance": table.loc["trade_intensity_balance", "total"],
            "largest_producing_sector": city.largest_producing_sector,
            "largest_consuming_sector": city.largest_consuming_sector,
            "route": city.economy.route,
            "imports_priced_by": city.economy.supply.description,
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "city"
    first = cities[0]
    money = first.economy.monetary_unit
    emission_columns = [c for c in frame.columns if c.startswith(("eee", "eei")) or c in BOUNDARIES]
    units = {c: first.unit for c in ["direct", "local_for_local", *emission_columns]}
    units.update(
        population="persons",
        gdp=money,
        emissions_trade_balance=first.unit,
        carbon_production_intensity=table.loc["carbon_production_intensity", "unit"],
        carbon_consumption_level=table.loc["carbon_consumption_level", "unit"],
        trade_intensity_balance=table.loc["trade_intensity_balance", "unit"],
    )
    frame.attrs["units"] = units
    frame.attrs["stressor"] = first.economy.stressor
    frame.attrs["options"] = dict(options.__dict__)
    return frame


def tidy_accounts(
    cities: Sequence[CityFootprint], options: IndicatorOptions | None = None
) -> pd.DataFrame:
    """Accounts and indicators of several cities, one value per row (for CSV files).

    Columns ``city``, ``quantity``, ``split`` (local, domestic, foreign or total), ``value``,
    ``unit``.
    """
    _check_units(cities)
    frames = []
    for city in cities:
        for table in (city.accounts, indicators(city, options).drop(columns="definition")):
            long = table.reset_index().melt(
                id_vars=[table.index.name, "unit"], var_name="split", value_name="value"
            )
            frames.append(
                long.dropna(subset=["value"])
                .rename(columns={table.index.name: "quantity"})
                .assign(city=city.name)
            )
    table = pd.concat(frames, ignore_index=True)
    return table[["city", "quantity", "split", "value", "unit"]]
