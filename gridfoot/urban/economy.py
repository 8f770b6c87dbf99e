"""A city's economy as arrays, from a city table or from regions of an MRIO.

Both routes produce the same :class:`CityEconomy`: local (non-competitive) flows, imports by
supplying producer of a :class:`SupplySystem` that prices them, and direct emissions. The
accounts (:mod:`gridfoot.urban.accounts`) then treat both alike, so cities from either route
can be compared in one table.

From a table (competitive imports), imports are removed from every use of a product in
proportion to that use: each user of product ``i`` takes the shares ``inflow_i / use_i`` from
the rest of the country and ``import_i / use_i`` from abroad, where ``use_i`` is the local use
(intermediate plus local final demand; ``import_share="local-use"``, exports are then taken as
locally made) or all uses including outflow and exports (``"total-use"``, which allows
re-exports). The imports are then priced by

* the **multi-regional assumption**: a host MRIO; each product's imports are spread over the
  host's producers of that product in the rest of the country (``domestic``) or in other
  countries (``foreign``), by given origin shares or in proportion to their gross output; or
* the **single-region assumption**: the city's own technology, i.e. the total coefficients
  ``(Z_local + Z_imported) diag(1/x)`` (imports made as the city would make them).

From an MRIO, the city's regions are the local producers; the rest of the MRIO is the supply
system, with each import known by origin and user (no proportionality needed).
"""

from __future__ import annotations

import functools
import warnings
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from gridfoot.errors import (
    ConfigError,
    GridfootWarning,
    InputFileError,
    LabelError,
    ValueCheckError,
    format_labels,
)
from gridfoot.io.text import read_csv
from gridfoot.mrio.leontief import LeontiefFactor, factor, intensities, multipliers
from gridfoot.mrio.system import MRIO
from gridfoot.urban.tables import CityTable, _city_regions, _one_stressor

__all__ = [
    "ORIGINS",
    "CityEconomy",
    "SupplySystem",
    "economy_from_mrio",
    "economy_from_table",
    "read_origin_shares",
]

#: Origins of imports and partners of exports, in this order everywhere.
ORIGINS = ("domestic", "foreign")

Assumption = Literal["multi-regional", "single-region"]
ImportShare = Literal["local-use", "total-use"]


@dataclass(frozen=True, eq=False, repr=False)
class SupplySystem:
    """The production system that prices a city's imports (symbols as in pymrio).

    Attributes
    ----------
    producers : MultiIndex
        ``(region, sector)`` of each producer.
    S : ndarray
        Direct emission intensities (one stressor) per unit of the *city's* monetary unit (an
        exchange rate is applied): ``S_sup`` of :mod:`gridfoot.urban.accounts`.
    factor : LeontiefFactor
        The factorisation of its ``I - A``.
    description : str
        What the system is, for reports.
    """

    producers: pd.MultiIndex
    S: np.ndarray
    factor: LeontiefFactor
    description: str

    @functools.cached_property
    def M(self) -> np.ndarray:
        """Multipliers ``M = S L``: emissions anywhere in the system per unit of each product.

        ``M_sup`` of :mod:`gridfoot.urban.accounts`; solved once, never forming ``L``.
        """
        return multipliers(self.factor, self.S[None, :])[0]

    @property
    def sectors(self) -> pd.Index:
        """The product (sector) of each producer."""
        return self.producers.get_level_values("sector")


@dataclass(frozen=True, eq=False, repr=False)
class CityEconomy:
    """Arrays of one city (see :mod:`gridfoot.urban.accounts` for the symbols).

    Quantities pymrio has a symbol for carry it (``Z_l`` and ``Y_l`` are the local blocks of
    ``Z`` and ``Y``: imports taken out); the trade arrays keep their names. ``n`` local
    producers, ``K`` categories, ``G = P = 2`` origins and partners (:data:`ORIGINS`), ``m``
    producers of the supply system.

    Attributes
    ----------
    Z_l : ndarray (n, n)
        Local products used by local producers.
    Y_l : ndarray (n, K)
        Local products bought by local final demand.
    local_exports : ndarray (n, P)
        Local products sold to the rest of the country and abroad (``E_l``).
    F : ndarray (n,)
        Direct emissions of the local producers.
    F_Y : ndarray (K,)
        Direct emissions of local final demand (households' own fuel).
    imported_use : ndarray (G, m, n)
        Imports, by origin and supplying producer, used as inputs by local producers (``U``).
    imported_final : ndarray (G, m, K)
        Imports delivered to local final demand (``V``).
    re_exports : ndarray (G, m, P)
        Imports passed straight on to trade partners (``R``).
    supply : SupplySystem
        The system that prices the imports.
    x : ndarray (n,) or None
        Given gross output; None: balanced from the flows (``Z_l·1 + Y_l·1 + E_l·1``).
    """

    name: str
    producers: pd.MultiIndex
    categories: pd.Index
    Z_l: np.ndarray
    Y_l: np.ndarray
    local_exports: np.ndarray
    F: np.ndarray
    F_Y: np.ndarray
    imported_use: np.ndarray
    imported_final: np.ndarray
    re_exports: np.ndarray
    supply: SupplySystem
    population: float
    gdp: float
    stressor: str
    unit: str
    monetary_unit: str
    route: str
    assumption: str
    x: np.ndarray | None = None  # given gross output; None: balanced from the flows

    @property
    def sectors(self) -> pd.Index:
        """The sector of each local producer."""
        return self.producers.get_level_values("sector")


_HOST_SUPPLY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _host_supply(host: MRIO, stressor: str, rate: float, description: str) -> SupplySystem:
    """The host MRIO as a supply system; its multipliers are solved once per host and stressor.

    Every city nested in the same host shares them (a transposed solve of the host's size).
    """
    cached = _HOST_SUPPLY.setdefault(host, {})
    if stressor not in cached:
        x = host.x.to_numpy()
        S = intensities(host.F.loc[[stressor]].to_numpy() * (x > 0), x)[0]
        cached[stressor] = (S, multipliers(host.leontief, S[None, :])[0])
    S, M = cached[stressor]
    supply = SupplySystem(
        producers=host.producers, S=S * rate, factor=host.leontief, description=description
    )
    supply.__dict__["M"] = M * rate  # prefill the cached property
    return supply


# -- the table route ------------------------------------------------------------------------


def _import_shares(table: CityTable, import_share: ImportShare) -> tuple[np.ndarray, np.ndarray]:
    """Shares of each product's uses met from each origin, and the local share."""
    use = table.local_use.to_numpy()
    trade = np.column_stack([table.outflow.to_numpy(), table.export.to_numpy()])
    if import_share == "total-use":
        use = use + trade.sum(axis=1)
    imports = np.column_stack([table.inflow.to_numpy(), table.imports.to_numpy()])
    where = f"{table.source}: " if table.source else ""
    unused = (use <= 0) & (imports.sum(axis=1) > 0)
    if unused.any():
        raise ValueCheckError(
            f"{where}products brought in but not used in the city: "
            f"{format_labels(table.sectors[unused])}"
        )
    shares = np.where(use[:, None] > 0, imports / np.where(use > 0, use, 1.0)[:, None], 0.0)
    excess = shares.sum(axis=1) > 1.0 + 1e-9
    if excess.any():
        hint = (
            "; the imports exceed local use (re-exports?): use import_share='total-use'"
            if import_share == "local-use"
            else ""
        )
        raise ValueCheckError(
            f"{where}inflow + import exceed the products' {import_share.replace('-', ' ')} for "
            + format_labels(
                f"{table.sectors[i]} ({imports[i].sum():.6g} > {use[i]:.6g})"
                for i in np.flatnonzero(excess)
            )
            + hint
        )
    return shares.T, 1.0 - shares.sum(axis=1)


def read_origin_shares(
    path: str | Path, *, encoding: str | None = None, city: str | None = None
) -> pd.DataFrame:
    """Read a city's import origin shares: columns ``region``, ``share``, optionally ``sector``.

    Any of the delimiters ``,`` ``;`` tab ``|``; ``encoding`` defaults to UTF-8. The file
    name is kept in ``attrs["source"]`` so that errors found later name it; ``city`` (its
    name) is added to errors reading it.

    Examples
    --------
    >>> from gridfoot.datasets import sample_data_dir
    >>> read_origin_shares(sample_data_dir() / "cities" / "hgg_origins.csv").columns.tolist()
    ['region', 'share']
    """
    of = f" of {city}" if city else ""
    frame = read_csv(path, encoding=encoding, what=f"import origin shares{of}")
    frame.attrs["source"] = str(path)
    return frame


def _origin_weights(
    host: MRIO,
    sectors: pd.Index,
    country: str,
    origin_shares: pd.DataFrame | None,
    exclude: Sequence[str],
    city: str = "",
) -> np.ndarray:
    """``W[g, m, i]``: share of product ``i``'s imports from origin ``g`` made by producer m."""
    region = host.producers.get_level_values("region")
    sector = host.producers.get_level_values("sector")
    domestic = host.countries.reindex(region).to_numpy() == country
    allowed = host.x.to_numpy() > 0
    allowed &= ~region.isin(list(exclude))
    if origin_shares is None:
        raw = host.x.to_numpy()
    else:
        source = origin_shares.attrs.get("source", "origin shares")
        raw = _shares_on_host(host, origin_shares, exclude, f"{source} (city {city})")
    weights = np.zeros((len(ORIGINS), len(host.producers), len(sectors)))
    product = sectors.get_indexer(sector)
    for g, mask in enumerate((domestic, ~domestic)):
        keep = mask & allowed & (product >= 0)
        weights[g, np.flatnonzero(keep), product[keep]] = raw[keep]
        totals = weights[g].sum(axis=0)
        if origin_shares is not None and raw[keep].max(initial=0.0) <= 1:
            # weights (3, 1, 1) are normalised as documented; fractions that miss 1 look
            # like a typo in a table of shares
            _warn_unless_one(totals[totals > 0], ORIGINS[g], source)
        weights[g] = np.divide(weights[g], totals, out=np.zeros_like(weights[g]), where=totals > 0)
    return weights


def _span(values: np.ndarray) -> str:
    low, high = f"{values.min():.4g}", f"{values.max():.4g}"
    return low if low == high else f"{low} to {high}"


def _warn_unless_one(totals: np.ndarray, origin: str, source: str) -> None:
    """Origin shares are rescaled to sum to 1 per product; say so when they did not."""
    off = np.abs(totals - 1) > 0.01
    if off.any():
        warnings.warn(
            f"{source}: the shares of the {origin} origins sum to {_span(totals[off])} (for "
            f"{int(off.sum())} product(s)), not 1; they are rescaled to sum to 1",
            GridfootWarning,
            stacklevel=4,
        )


def _shares_on_host(
    host: MRIO, shares: pd.DataFrame, exclude: Sequence[str], source: str = "origin shares"
) -> np.ndarray:
    """Origin shares (region[, sector], share) placed on the host's producers.

    ``source`` (the file and the city) starts every error message.
    """
    missing = [c for c in ("region", "share") if c not in shares.columns]
    if missing:
        raise InputFileError(
            f"{source}: missing column(s) {format_labels(missing)}; "
            f"it has {format_labels(shares.columns)}"
        )
    regions = shares["region"].astype(str)
    unknown = regions[~regions.isin(host.regions)].unique()
    if len(unknown):
        raise LabelError(
            f"{source}: column 'region': unknown host regions {format_labels(unknown)} in "
            f"row(s) {_rows(~regions.isin(host.regions))}; the host MRIO's regions are "
            f"{format_labels(host.regions, 12)}"
        )
    excluded = regions[regions.isin(list(exclude))].unique()
    if len(excluded):
        raise LabelError(
            f"{source}: names the city's own region(s) {format_labels(excluded)}, which "
            "cannot supply its imports"
        )
    values = pd.to_numeric(shares["share"], errors="coerce")
    bad = values.isna() | (values < 0) | ~np.isfinite(values.fillna(0.0))
    if bad.any():
        raise ValueCheckError(
            f"{source}: column 'share' must hold non-negative numbers; row(s) {_rows(bad)} "
            f"hold {format_labels(shares['share'][bad].astype(str).unique(), 4)}"
        )
    producer_region = host.producers.get_level_values("region")
    if "sector" in shares.columns:
        sectors = shares["sector"].astype(str)
        unknown = sectors[~sectors.isin(host.sectors)].unique()
        if len(unknown):
            raise LabelError(
                f"{source}: column 'sector': unknown host sectors {format_labels(unknown)} in "
                f"row(s) {_rows(~sectors.isin(host.sectors))}"
            )
        keys = pd.MultiIndex.from_arrays([regions, sectors])
        if keys.has_duplicates:
            raise LabelError(f"{source}: duplicated rows {format_labels(keys[keys.duplicated()])}")
        placed = pd.Series(values.to_numpy(), index=keys).reindex(host.producers, fill_value=0.0)
        return placed.to_numpy()
    if regions.duplicated().any():
        raise LabelError(
            f"{source}: duplicated regions {format_labels(regions[regions.duplicated()])}"
        )
    by_region = pd.Series(values.to_numpy(), index=regions.to_numpy())
    return by_region.reindex(producer_region, fill_value=0.0).to_numpy()


def _rows(mask: pd.Series | np.ndarray) -> str:
    """Row numbers as a spreadsheet shows them (the header is row 1)."""
    return format_labels(np.flatnonzero(np.asarray(mask)) + 2, limit=6)


def _check_host(table: CityTable, host: MRIO, exchange_rate: float | None) -> tuple[str, float]:
    only_table = table.sectors.difference(host.sectors)
    only_host = host.sectors.difference(table.sectors)
    if len(only_table) or len(only_host):
        raise LabelError(
            f"{table.name}: the city table's sectors must be the host MRIO's; only in the table: "
            f"{format_labels(only_table) or 'none'}; only in the host: "
            f"{format_labels(only_host) or 'none'}"
        )
    if table.stressor not in host.stressors:
        raise LabelError(
            f"{table.name}: the host MRIO has no stressor {table.stressor!r}; "
            f"it has {format_labels(host.stressors)}"
        )
    host_unit = str(host.units[table.stressor])
    if host_unit and table.unit and host_unit != table.unit:
        raise ValueCheckError(
            f"{table.name}: emissions in {table.unit!r} but the host MRIO counts "
            f"{table.stressor} in {host_unit!r}; convert one of them"
        )
    if exchange_rate is None:
        if host.monetary_unit and table.monetary_unit and host.monetary_unit != table.monetary_unit:
            raise ConfigError(
                f"{table.name}: the table is in {table.monetary_unit!r} and the host MRIO in "
                f"{host.monetary_unit!r}; give exchange_rate (host units per table unit)"
            )
        exchange_rate = 1.0
    if not exchange_rate > 0:
        raise ConfigError(f"exchange_rate must be positive, got {exchange_rate!r}")
    return table.stressor, float(exchange_rate)


def economy_from_table(
    table: CityTable,
    host: MRIO | None = None,
    *,
    assumption: Assumption | None = None,
    country: str | None = None,
    origin_shares: pd.DataFrame | str | Path | None = None,
    exclude_origins: Sequence[str] = (),
    import_share: ImportShare = "local-use",
    exchange_rate: float | None = None,
) -> CityEconomy:
    """The arrays of a city table, its imports priced as ``assumption`` says.

    See :func:`gridfoot.urban.city_footprint` for the parameters.
    """
    if assumption is None:
        assumption = "multi-regional" if host is not None else "single-region"
    if assumption not in ("multi-regional", "single-region"):
        raise ConfigError(
            f"assumption must be 'multi-regional' or 'single-region', got {assumption!r}"
        )
    if import_share not in ("local-use", "total-use"):
        raise ConfigError(f"import_share must be 'local-use' or 'total-use', got {import_share!r}")
    if assumption == "multi-regional" and host is None:
        raise ConfigError("the multi-regional assumption needs a host MRIO (host=...)")
    shares, local_share = _import_shares(table, import_share)
    Z = table.Z.to_numpy()
    Y = table.Y.to_numpy()
    trade = np.column_stack([table.outflow.to_numpy(), table.export.to_numpy()])
    imported_use = shares[:, :, None] * Z[None, :, :]  # (origin, product, user)
    imported_final = shares[:, :, None] * Y[None, :, :]
    if import_share == "total-use":
        re_exports = shares[:, :, None] * trade[None, :, :]
        local_exports = local_share[:, None] * trade
    else:
        re_exports = np.zeros((len(ORIGINS), *trade.shape))
        local_exports = trade
    Z_l = local_share[:, None] * Z
    Y_l = local_share[:, None] * Y
    x = Z_l.sum(axis=1) + Y_l.sum(axis=1) + local_exports.sum(axis=1)
    where = f"{table.source}: " if table.source else ""
    idle = (x <= 1e-12 * max(float(np.abs(x).max(initial=0.0)), 1.0)) & (table.F.to_numpy() != 0)
    if idle.any() or (x < -1e-9 * max(float(np.abs(x).max(initial=0.0)), 1.0)).any():
        raise ValueCheckError(
            f"{where}local output (output minus 'other') is not positive for "
            f"{format_labels(table.sectors[idle | (x < 0)])}"
        )
    producers = pd.MultiIndex.from_product(
        [[table.name], table.sectors], names=["region", "sector"]
    )

    if assumption == "single-region":
        supply = SupplySystem(
            producers=producers,
            S=intensities(table.F.to_numpy()[None, :], x)[0],
            factor=factor(Z, x, labels=producers),
            description=f"the city's own technology ({table.name}, single-region assumption)",
        )
        weights = np.broadcast_to(np.eye(len(table.sectors)), (len(ORIGINS), *Z.shape))
    else:
        stressor, rate = _check_host(table, host, exchange_rate)
        if country is None:
            countries = pd.unique(host.countries.reindex(list(exclude_origins)).dropna())
            if len(countries) != 1:
                raise ConfigError(
                    f"{table.name}: name the city's country in the host MRIO (country=...); "
                    f"host countries: {format_labels(pd.unique(host.countries))}"
                )
            country = str(countries[0])
        if country not in set(host.countries):
            raise LabelError(
                f"{table.name}: unknown country {country!r}; host countries: "
                f"{format_labels(pd.unique(host.countries))}"
            )
        unknown = [r for r in exclude_origins if r not in host.regions]
        if unknown:
            raise LabelError(f"exclude_origins: unknown host regions {format_labels(unknown)}")
        if isinstance(origin_shares, str | Path):
            origin_shares = read_origin_shares(origin_shares)
        sectors = table.sectors
        weights = _origin_weights(
            host, sectors, country, origin_shares, exclude_origins, table.name
        )
        needed = imported_use.sum(axis=2) + imported_final.sum(axis=2) + re_exports.sum(axis=2)
        unpriced = (needed > 0) & (weights.sum(axis=1) == 0)
        if unpriced.any():
            g, i = np.argwhere(unpriced)[0]
            raise ValueCheckError(
                f"{table.name}: imports of {sectors[i]} from {ORIGINS[g]} origins "
                f"({'inflow' if g == 0 else 'import'} column) but no {ORIGINS[g]} producer of it "
                f"in the host MRIO to price them"
                + (" (check the origin shares)" if origin_shares is not None else "")
            )
        supply = _host_supply(
            host,
            stressor,
            rate,
            f"host MRIO ({len(host.regions)} regions; multi-regional assumption)",
        )
    return CityEconomy(
        name=table.name,
        producers=producers,
        categories=pd.Index(table.categories, name="category"),
        Z_l=Z_l,
        Y_l=Y_l,
        local_exports=local_exports,
        F=table.F.to_numpy(),
        F_Y=table.F_Y.to_numpy(),
        imported_use=np.einsum("gmi,gij->gmj", weights, imported_use),
        imported_final=np.einsum("gmi,gik->gmk", weights, imported_final),
        re_exports=np.einsum("gmi,gip->gmp", weights, re_exports),
        supply=supply,
        population=_population(table.population, table.name),
        gdp=table.city_gdp,
        stressor=table.stressor,
        unit=table.unit,
        monetary_unit=table.monetary_unit,
        route="city table",
        assumption=assumption,
    )


def _population(population: float | None, name: str) -> float:
    if population is None:
        return float("nan")
    if not population > 0:
        raise ValueCheckError(f"{name}: population must be positive, got {population!r}")
    return float(population)


# -- the MRIO route -------------------------------------------------------------------------


def economy_from_mrio(
    mrio: MRIO,
    regions: str | Sequence[str],
    *,
    population: float | None = None,
    gdp: float | None = None,
    name: str | None = None,
    stressor: str | None = None,
) -> CityEconomy:
    """The arrays of a city that is a region (or group of regions) of ``mrio``.

    The rest of the MRIO prices the city's imports: its total multipliers include every
    feedback through the city itself. The MRIO's gross output gives the coefficients, as in
    :func:`gridfoot.footprint` (identities exact for a balanced ``x``). GDP defaults to the
    city producers' value added (output minus intermediate purchases).
    """
    city, country = _city_regions(mrio, regions)
    stressor = _one_stressor(mrio, stressor)
    region = mrio.producers.get_level_values("region")
    local = region.isin(city)
    origin = np.where(
        local, -1, np.where(mrio.countries.reindex(region).to_numpy() == country, 0, 1)
    )
    demand_region = mrio.Y.columns.get_level_values("region")
    buyer = np.where(
        demand_region.isin(city),
        -1,
        np.where(mrio.countries.reindex(demand_region).to_numpy() == country, 0, 1),
    )
    producer_buyer = origin  # a producer's column in Z is bought by its own region

    Z = mrio.Z.to_numpy()
    Y = mrio.Y.to_numpy()
    categories = pd.Index(mrio.categories, name="category")
    category_of_column = categories.get_indexer(mrio.Y.columns.get_level_values("category"))

    def by_category(values: np.ndarray) -> np.ndarray:
        """Sum the columns of ``values`` (city final-demand columns) by category."""
        out = np.zeros((values.shape[0], len(categories)))
        np.add.at(out.T, category_of_column[buyer == -1], values.T)
        return out

    city_final = by_category(Y[:, buyer == -1])  # (all producers, K)
    exports = np.column_stack(
        [
            Z[np.ix_(local, producer_buyer == g)].sum(axis=1) + Y[np.ix_(local, buyer == g)].sum(1)
            for g in range(len(ORIGINS))
        ]
    )
    imported_use = np.stack([np.where((origin == g)[:, None], Z[:, local], 0.0) for g in (0, 1)])
    imported_final = np.stack([np.where((origin == g)[:, None], city_final, 0.0) for g in (0, 1)])
    x = mrio.x.to_numpy()
    direct = mrio.F.loc[[stressor]].to_numpy()[0] * (x > 0)
    households = by_category(mrio.F_Y.loc[[stressor]].to_numpy()[:, buyer == -1])[0]
    value_added = float((x[local] - Z[:, local].sum(axis=0)).sum())
    supply = _host_supply(mrio, stressor, 1.0, f"the MRIO itself ({len(mrio.regions)} regions)")
    name = name or "+".join(city)
    return CityEconomy(
        name=name,
        producers=mrio.producers[local],
        categories=categories,
        Z_l=Z[np.ix_(local, local)],
        Y_l=city_final[local],
        local_exports=exports,
        F=direct[local],
        F_Y=households,
        imported_use=imported_use,
        imported_final=imported_final,
        re_exports=np.zeros((len(ORIGINS), len(mrio.producers), len(ORIGINS))),
        supply=supply,
        population=_population(population, name),
        gdp=float(gdp) if gdp is not None else value_added,
        stressor=stressor,
        unit=str(mrio.units[stressor]),
        monetary_unit=mrio.monetary_unit,
        route=f"MRIO region(s) {'+'.join(city)}",
        assumption="multi-regional (the MRIO itself)",
        x=x[local],  # the MRIO's own x, so that every coefficient is the MRIO's
    )
