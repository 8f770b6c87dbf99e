"""Urban carbon footprints: direct emissions, EEE, EEI, four boundaries, sector views.

Definitions (one stressor; every quantity in its unit; see :mod:`gridfoot.urban.accounts`
for the symbols and the formulas behind each):

direct
    territorial emissions: the city's producers plus the direct emissions of its final
    demand (households' own fuel), ``D = sum f + sum h``.
local-for-local
    local producers' emissions driven by local final demand, ``LL``; ``D - EEE = LL + h``.
EEE (emissions embodied in exports; variable ``eee``)
    local producers' emissions driven by outflow to the rest of the country (``domestic``)
    and by exports abroad (``foreign``): the city's *trade flows*, intermediate and final.
EEI (emissions embodied in imports; variable ``eei``)
    emissions of the supply system embodied in the city's inflow (``domestic``) and imports
    (``foreign``), by pathway: delivered to local final demand; inputs to local production for
    local final demand; inputs to local production for exports; re-exports. *For final demand*
    are the first two, *for exports* the last two, *of inputs to local production* the middle
    two.

The four footprint boundaries (each split by source: ``local`` = emitted in the city,
``domestic`` / ``foreign`` = embodied in inflow / imports):

production-based
    ``D + EEI of inputs to local production``: what it takes to run the city's production
    (territorial emissions plus its purchased inputs' upstream emissions).
consumption-based
    ``D - EEE + EEI for final demand``: the footprint of the city's final demand.
direct + EEI
    the trade-inclusive boundary: everything emitted in the city or embodied in what enters it.
direct - EEE
    the trade-exclusive boundary: emitted in the city for the city (``LL + h``).

They nest: ``direct - EEE <= consumption-based <= direct + EEI`` and
``direct - EEE <= direct <= production-based <= direct + EEI``;
:func:`gridfoot.plot.urban.plot_boundaries` draws it. The local part of the consumption-based
and trade-exclusive boundaries is computed as ``LL + h`` (driven by local final demand); it
equals ``direct - EEE`` whenever the output behind the coefficients is balanced, which a city
table always is (its output is rebuilt from the flows), and an MRIO is unless it carries a
printed ``x`` (then, as in :func:`gridfoot.footprint`, the identities are off by the imbalance).

Both routes share these definitions: a city table nested in a host MRIO, and a city that is a
region of an MRIO.

Beside :func:`gridfoot.footprint`
---------------------------------
EEE and EEI keep the names of the urban literature (Lin et al. 2015; Hu et al. 2016), whose
boundaries and indicators are written in them. They follow *trade flows*, as a city table
must: what the city sells and buys, intermediate and final, split by the partner that buys or
the origin that sells. :func:`gridfoot.footprint` has ``eee`` and ``eei`` too, pymrio's
``D_exp`` and ``D_imp``: they follow the *final demand* that drives the emissions, wherever the
goods are traded on. For a city that is a region of an MRIO (for a group of regions, take
``footprint(mrio.with_countries(...))`` with the group as one country, so that flows inside the
city are not trade):

=======================  =============================================  ==========================
here (trade flows)       :func:`gridfoot.footprint` (destinations)      for the city's regions
=======================  =============================================  ==========================
``direct``               ``pba`` (pymrio ``D_pba``)                     equal
``consumption_based``    ``cba`` (pymrio ``D_cba``)                     equal
EEE, both partners:      ``eee + eee_domestic`` (pymrio ``D_exp``):     EEE = that + R
emissions in what the    emissions in the city driven by final
city sells               demand of other regions
EEI for final demand:    ``eei + eei_domestic`` (pymrio ``D_imp``):     EEI = that + R
emissions elsewhere in   emissions elsewhere driven by the city's
what it buys for it      final demand
EEE - EEI for final      ``eee + eee_domestic - eei - eei_domestic``    equal (direct -
demand                                                                  consumption_based)
``production_based``     none (``pba`` is the territorial ``direct``)   direct + EEI of inputs
=======================  =============================================  ==========================

R, the same in both rows, is the city's own emissions that leave in the inputs it sells and
come back embodied in what it buys; it is zero only when no traded input returns. The
domestic / foreign splits differ as well: here by the trade partner, there by the final
destination (outflow to the rest of the country that ends in exports abroad is domestic EEE
but foreign ``eee``). The equalities are exact for a balanced ``x``; with a table's printed
``x`` they are off by the imbalance, as in :func:`gridfoot.footprint`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot.errors import LabelError, format_labels
from gridfoot.mrio.leontief import LeontiefFactor, intensities
from gridfoot.mrio.system import MRIO
from gridfoot.urban.accounts import city_accounts, consumed_composition
from gridfoot.urban.economy import (
    ORIGINS,
    Assumption,
    CityEconomy,
    ImportShare,
    economy_from_mrio,
    economy_from_table,
)
from gridfoot.urban.tables import CityTable

__all__ = [
    "BOUNDARIES",
    "PATHWAYS",
    "CityFootprint",
    "city_footprint",
    "city_footprint_from_mrio",
]

#: The four footprint boundaries, with what each holds.
BOUNDARIES = {
    "production_based": "direct + EEI of inputs to local production",
    "consumption_based": "direct - EEE + EEI for final demand",
    "direct_plus_eei": "direct + all EEI (trade-inclusive)",
    "direct_minus_eee": "direct - EEE (trade-exclusive: local for local)",
}
#: Pathways of the emissions embodied in imports.
PATHWAYS = {
    "final_demand": "imports delivered to local final demand",
    "inputs_for_final_demand": "imported inputs to local production for local final demand",
    "inputs_for_exports": "imported inputs to local production for outflow and exports",
    "re_exports": "imports passed straight on to outflow and exports",
}
SOURCES = ("local", *ORIGINS)
_FOR_FINAL_DEMAND = ["final_demand", "inputs_for_final_demand"]
_FOR_EXPORTS = ["inputs_for_exports", "re_exports"]
_INPUTS = ["inputs_for_final_demand", "inputs_for_exports"]
_TRADE_FLOWS = (
    "by trade flow (Lin et al. 2015; Hu et al. 2016), intermediate and final; not the "
    "destination-based eee/eei of gridfoot.footprint (pymrio D_exp/D_imp)"
)


def _aggregate(values: np.ndarray, codes: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Sum ``values`` along ``axis`` into ``size`` groups given by ``codes``."""
    moved = np.moveaxis(values, axis, 0)
    out = np.zeros((size, *moved.shape[1:]))
    np.add.at(out, codes, moved)
    return np.moveaxis(out, 0, axis)


@dataclass(frozen=True, eq=False, repr=False)
class CityFootprint:
    """The carbon accounts of one city: an xarray Dataset plus what compositions need.

    Build it with :func:`city_footprint` (a city table) or :func:`city_footprint_from_mrio`.
    ``dataset`` holds every quantity (see the module documentation); :attr:`accounts`,
    :attr:`boundaries`, :meth:`sector_table`, :meth:`composition` and
    :func:`gridfoot.urban.indicators` present them.
    """

    dataset: xr.Dataset
    economy: CityEconomy = field(repr=False)
    local_factor: LeontiefFactor = field(repr=False)
    x: np.ndarray = field(repr=False)

    # -- plain facts --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The city's name."""
        return self.economy.name

    @property
    def unit(self) -> str:
        """Emission unit."""
        return self.economy.unit

    @property
    def population(self) -> float:
        """Persons (NaN when not given)."""
        return self.economy.population

    @property
    def gdp(self) -> float:
        """GDP (value added) in the city's monetary unit."""
        return self.economy.gdp

    def _values(self, name: str) -> np.ndarray:
        return self.dataset[name].values

    @property
    def direct(self) -> float:
        """Territorial emissions, producers and households."""
        return float(self._values("direct").sum() + self._values("direct_final_demand").sum())

    @property
    def boundaries(self) -> pd.Series:
        """The four footprint boundaries (totals over sources)."""
        return pd.Series(
            self._values("footprint").sum(axis=1), index=list(BOUNDARIES), name=self.name
        )

    @property
    def accounts(self) -> pd.DataFrame:
        """Every account, split by source: local, domestic (rest of country), foreign.

        Rows are quantities, columns ``local``, ``domestic``, ``foreign``, ``total`` and
        ``unit``; a split that does not apply is NaN. ``eee`` and the ``eei*`` rows are the
        trade-flow EEE and EEI of the urban literature, not :func:`gridfoot.footprint`'s
        destination-based ``eee``/``eei`` (see the module documentation for both).
        """
        eei = dict(zip(PATHWAYS, self._values("eei"), strict=True))  # pathway -> (origin,)
        eee = self._values("eee").sum(axis=0)
        nan = np.nan

        def split(values: np.ndarray) -> list[float]:
            return [nan, *map(float, values), float(values.sum())]

        def local(value: float) -> list[float]:
            return [float(value), nan, nan, float(value)]

        producers = float(self._values("direct").sum())
        households = float(self._values("direct_final_demand").sum())
        rows = {
            "direct": local(producers + households),
            "direct_producers": local(producers),
            "direct_final_demand": local(households),
            "local_for_local": local(self._values("local_for_local").sum()),
            "eee": split(eee),
            "eei_final_demand": split(sum(eei[p] for p in _FOR_FINAL_DEMAND)),
            "eei_exports": split(sum(eei[p] for p in _FOR_EXPORTS)),
            "eei_production_inputs": split(sum(eei[p] for p in _INPUTS)),
            "eei": split(sum(eei.values())),
        }
        for boundary, values in zip(BOUNDARIES, self._values("footprint"), strict=True):
            rows[boundary] = [*map(float, values), float(values.sum())]
        table = pd.DataFrame.from_dict(
            rows, orient="index", columns=["local", "domestic", "foreign", "total"]
        )
        table.index.name = "quantity"
        return table.assign(unit=self.unit)

    # -- sector views ---------------------------------------------------------------------------

    def sector_table(self) -> pd.DataFrame:
        """By sector: direct emissions (producers), local-for-local, EEE and the consumed footprint.

        ``consumed`` is the consumption-based footprint of local final demand for each
        product (households' direct emissions excluded), ``eei_domestic``/``eei_foreign`` the
        emissions embodied in imports of each product.
        """
        data = self.dataset
        table = pd.DataFrame(
            {
                "direct": data["direct"].to_series(),
                "local_for_local": data["local_for_local"].sum("category").to_series(),
                "eee_domestic": data["eee"].sel(partner="domestic").to_series(),
                "eee_foreign": data["eee"].sel(partner="foreign").to_series(),
                "eei_domestic": data["eei_product"].sel(origin="domestic").to_series(),
                "eei_foreign": data["eei_product"].sel(origin="foreign").to_series(),
                "consumed": data["consumed"].sum("category").to_series(),
            }
        )
        total = table["consumed"].sum()
        return table.assign(consumed_share=table["consumed"] / total if total else np.nan)

    @property
    def largest_producing_sector(self) -> str:
        """The sector with the largest direct emissions."""
        return str(self.dataset["direct"].idxmax("sector").item())

    @property
    def largest_consuming_sector(self) -> str:
        """The product whose final demand carries the largest consumed footprint."""
        return str(self.dataset["consumed"].sum("category").idxmax("sector").item())

    def composition(self, sector: str | Sequence[str]) -> pd.DataFrame:
        """Where the consumed footprint of a product (e.g. construction) is emitted.

        The consumption-based footprint of local final demand for ``sector``'s products
        (local and imported), traced to the emitting sector upstream: local producers
        (``local``) and producers of the supply system reached through inflow (``domestic``)
        or imports (``foreign``). One solve per system; the Leontief inverse is never formed.

        Returns
        -------
        DataFrame
            Index: emitting sector, largest first; columns ``local``, ``domestic``,
            ``foreign``, ``total``, ``share`` (of the product's consumed footprint) and
            ``share_of_production_based``. ``attrs`` holds the product's consumed footprint
            (``total``) and its shares of the consumption-based and production-based
            footprints.
        """
        chosen = [sector] if isinstance(sector, str) else list(sector)
        sectors = self.dataset.indexes["sector"]
        unknown = [s for s in chosen if s not in sectors]
        if unknown:
            raise LabelError(
                f"unknown sector(s) {format_labels(unknown)}; known: {format_labels(sectors, 40)}"
            )
        economy = self.economy
        supply = economy.supply
        local_mask = economy.sectors.isin(chosen)
        supply_mask = supply.sectors.isin(chosen)
        local_demand = np.where(local_mask, economy.Y_l.sum(axis=1), 0.0)[:, None]
        imported_demand = np.where(supply_mask[None, :], economy.imported_final.sum(axis=2), 0.0)
        S = intensities(economy.F[None, :], self.x)[0]
        local, upstream = consumed_composition(
            self.local_factor,
            S,
            self.x,
            economy.imported_use,
            supply.factor,
            supply.S,
            local_demand,
            imported_demand[:, :, None],
        )
        columns = {
            "local": _aggregate(local[:, 0], sectors.get_indexer(economy.sectors), len(sectors), 0)
        }
        supply_codes = sectors.get_indexer(supply.sectors)
        for g, origin in enumerate(ORIGINS):
            columns[origin] = _aggregate(upstream[g, :, 0], supply_codes, len(sectors), 0)
        table = pd.DataFrame(columns, index=sectors)
        table["total"] = table.sum(axis=1)
        consumed = float(table["total"].sum())
        boundaries = self.boundaries
        table["share"] = table["total"] / consumed if consumed else np.nan
        table["share_of_production_based"] = table["total"] / boundaries["production_based"]
        table = table.sort_values("total", ascending=False)
        table.index.name = "emitting_sector"
        table.attrs = {
            "product": "+".join(chosen),
            "city": self.name,
            "unit": self.unit,
            "total": consumed,
            "share_of_consumption_based": consumed / boundaries["consumption_based"],
            "share_of_production_based": consumed / boundaries["production_based"],
        }
        return table

    # -- display --------------------------------------------------------------------------

    def _summary(self) -> dict[str, str]:
        b = self.boundaries
        accounts = self.accounts["total"]
        balance = accounts["eee"] - accounts["eei_final_demand"]
        money = self.economy.monetary_unit
        return {
            "route": f"{self.economy.route}; imports priced by {self.economy.supply.description}",
            "people": f"population {self.population:,.0f}, GDP {self.gdp:,.6g} {money}".rstrip(),
            "direct": f"direct {self.direct:,.6g} {self.unit}",
            "production": f"production-based {b['production_based']:,.6g} {self.unit}",
            "consumption": f"consumption-based {b['consumption_based']:,.6g} {self.unit}",
            "role": f"net carbon {'producer' if balance > 0 else 'consumer'} "
            f"(EEE - EEI for final demand = {balance:+,.6g} {self.unit})",
        }

    def __repr__(self) -> str:
        lines = "\n  ".join(self._summary().values())
        return f"<gridfoot.urban.CityFootprint {self.name!r} ({self.economy.stressor})\n  {lines}>"

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(v)}</li>" for v in self._summary().values())
        table = self.accounts.to_html(float_format=lambda v: f"{v:,.6g}", na_rep="")
        return (
            f"<b>gridfoot.urban.CityFootprint</b> {html.escape(self.name)} "
            f"({html.escape(self.economy.stressor)})<ul>{items}</ul>{table}"
        )


def _footprint(economy: CityEconomy) -> CityFootprint:
    """Compute and label every account of ``economy``."""
    supply = economy.supply
    acc = city_accounts(
        economy.Z_l,
        economy.Y_l,
        economy.local_exports,
        economy.F,
        economy.imported_use,
        economy.imported_final,
        economy.re_exports,
        supply.M,
        x=economy.x,
        labels=economy.producers,
    )
    # the city's sectors, then products only made elsewhere (sector lists may differ by region:
    # a province of a nested MRIO buys products its own table does not list)
    sectors = pd.Index(pd.unique(economy.sectors), name="sector")
    sectors = sectors.append(pd.Index(pd.unique(supply.sectors)).difference(sectors, sort=False))
    supply_codes = sectors.get_indexer(supply.sectors)
    local_codes = sectors.get_indexer(economy.sectors)
    n_sectors = len(sectors)

    def by_sector(values: np.ndarray, axis: int = 0) -> np.ndarray:
        return _aggregate(values, local_codes, n_sectors, axis)

    def by_product(values: np.ndarray, axis: int) -> np.ndarray:
        return _aggregate(values, supply_codes, n_sectors, axis)

    eei = np.stack(
        [
            acc["eei_final_demand"].sum(axis=1),
            acc["eei_inputs_final"].sum(axis=1),
            acc["eei_inputs_exports"].sum(axis=1),
            acc["eei_re_exports"].sum(axis=1),
        ]
    )  # (pathway, origin)
    direct = float(economy.F.sum() + economy.F_Y.sum())
    # Emitted in the city for the city: demand-driven, so that the consumption-based footprint
    # is the MRIO's cba even for an unbalanced x (then D - EEE differs by the imbalance).
    local_for_city = float(acc["local_for_local"].sum() + economy.F_Y.sum())
    pathway = list(PATHWAYS)
    by_pathway = dict(zip(pathway, eei, strict=True))

    def imported(*names: str) -> list[float]:
        return [float(sum(by_pathway[n][g] for n in names)) for g in range(len(ORIGINS))]

    boundary = np.array(
        [
            [direct, *imported(*_INPUTS)],
            [local_for_city, *imported(*_FOR_FINAL_DEMAND)],
            [direct, *imported(*pathway)],
            [local_for_city, 0.0, 0.0],
        ]
    )
    emission = {"units": economy.unit}
    money = {"units": economy.monetary_unit} if economy.monetary_unit else {}
    trade = economy.imported_use.sum(axis=2) + economy.imported_final.sum(axis=2)
    data = {
        "direct": (("sector",), by_sector(economy.F), "direct emissions of producers"),
        "direct_final_demand": (
            ("category",),
            economy.F_Y,
            "direct emissions of final demand (households' own fuel)",
        ),
        "local_for_local": (
            ("sector", "category"),
            by_sector(acc["local_for_local"]),
            "local producers' emissions driven by local final demand",
        ),
        "eee": (
            ("sector", "partner"),
            by_sector(acc["eee"]),
            "local producers' emissions embodied in outflow (domestic) and exports (foreign)",
            _TRADE_FLOWS,
        ),
        "eei": (
            ("pathway", "origin"),
            eei,
            "emissions embodied in inflow (domestic) and imports (foreign), by pathway",
            _TRADE_FLOWS,
        ),
        "eei_product": (
            ("sector", "origin"),
            by_product(acc["eei_supplier"], 1).T,
            "emissions embodied in the imports of each product",
        ),
        "consumed": (
            ("sector", "category"),
            by_sector(acc["consumed_local"]) + by_product(acc["consumed_imported"].sum(0), 0),
            "consumption-based footprint of local final demand for each product",
        ),
        "footprint": (
            ("boundary", "source"),
            boundary,
            "footprint boundaries by source (local; embodied in inflow, imports)",
        ),
    }
    variables = {
        name: xr.Variable(
            dims,
            values,
            {"long_name": long_name, **emission, **({"comment": note[0]} if note else {})},
        )
        for name, (dims, values, long_name, *note) in data.items()
    }
    variables["output"] = xr.Variable(
        ("sector",),
        by_sector(acc["x"]),
        {"long_name": "gross output behind the coefficients", **money},
    )
    variables["export_value"] = xr.Variable(
        ("sector", "partner"),
        by_sector(economy.local_exports) + by_product(economy.re_exports.sum(axis=0), 0),
        {"long_name": "value of outflow (domestic) and exports (foreign)", **money},
    )
    variables["import_value"] = xr.Variable(
        ("sector", "origin"),
        by_product(trade + economy.re_exports.sum(axis=2), 1).T,
        {"long_name": "value of inflow (domestic) and imports (foreign)", **money},
    )
    variables["population"] = xr.Variable((), economy.population, {"units": "persons"})
    variables["gdp"] = xr.Variable((), economy.gdp, {"long_name": "GDP (value added)", **money})
    dataset = xr.Dataset(
        variables,
        coords={
            "sector": sectors,
            "category": economy.categories,
            "partner": list(ORIGINS),
            "origin": list(ORIGINS),
            "pathway": pathway,
            "boundary": list(BOUNDARIES),
            "source": list(SOURCES),
        },
        attrs={
            "title": f"urban carbon footprint of {economy.name}",
            "city": economy.name,
            "stressor": economy.stressor,
            "route": economy.route,
            "assumption": economy.assumption,
            "imports_priced_by": supply.description,
            "monetary_unit": economy.monetary_unit,
            "identities": "consumption_based = direct - eee + eei(final demand); "
            "direct - eee = local_for_local + direct_final_demand",
        },
    )
    return CityFootprint(dataset=dataset, economy=economy, local_factor=acc["factor"], x=acc["x"])


def city_footprint(
    table: CityTable,
    host: MRIO | None = None,
    *,
    assumption: Assumption | None = None,
    country: str | None = None,
    origin_shares: pd.DataFrame | str | Path | None = None,
    exclude_origins: Sequence[str] = (),
    import_share: ImportShare = "local-use",
    exchange_rate: float | None = None,
) -> CityFootprint:
    """Carbon footprints of a city from its input-output table.

    EEE and EEI are the urban literature's trade-flow quantities (see the module documentation
    for how they stand beside :func:`gridfoot.footprint`'s destination-based ``eee``/``eei``).

    Parameters
    ----------
    table : CityTable
        The city's table (:func:`gridfoot.urban.read_city_table`).
    host : MRIO, optional
        The MRIO whose multipliers price the city's imports (multi-regional assumption). Its
        sectors must be the table's.
    assumption : {"multi-regional", "single-region"}, optional
        How imports are priced: by the host MRIO's producers of each product (default when a
        host is given) or with the city's own technology (default without a host).
    country : str, optional
        The city's country among the host's countries: its other regions are the
        ``domestic`` origins of inflow, every other country the ``foreign`` origins of
        imports. Inferred from ``exclude_origins`` when omitted.
    origin_shares : DataFrame or path, optional
        Columns ``region``, ``share`` and optionally ``sector``: where inflow and imports come
        from. Normalised per product within domestic and within foreign origins. By default
        in proportion to the producers' gross output.
    exclude_origins : list of str
        Host regions that are (or contain) the city itself and so supply no imports.
    import_share : {"local-use", "total-use"}
        Imports are removed from each product's uses in proportion to use: local use only
        (exports are locally made) or all uses (re-exports allowed).
    exchange_rate : float, optional
        Host monetary units per unit of the table's money, when they differ.

    Examples
    --------
    >>> from gridfoot.datasets import sample_mrio
    >>> from gridfoot.urban import cut_city_table
    >>> mrio = sample_mrio()
    >>> city = city_footprint(cut_city_table(mrio, "HAI", population=500_000), mrio,
    ...                       exclude_origins=["HAI"])
    >>> b = city.boundaries
    >>> bool(b["direct_minus_eee"] <= b["consumption_based"] <= b["direct_plus_eei"])
    True
    """
    economy = economy_from_table(
        table,
        host,
        assumption=assumption,
        country=country,
        origin_shares=origin_shares,
        exclude_origins=exclude_origins,
        import_share=import_share,
        exchange_rate=exchange_rate,
    )
    return _footprint(economy)


def city_footprint_from_mrio(
    mrio: MRIO,
    regions: str | Sequence[str],
    *,
    population: float | None = None,
    gdp: float | None = None,
    name: str | None = None,
    stressor: str | None = None,
) -> CityFootprint:
    """Carbon footprints of a city that is a region (or group of regions) of an MRIO.

    The city's regions are its local producers; the rest of its country is ``domestic``,
    every other country ``foreign``. Imports are known by origin and user, so no
    proportionality assumption is needed; the whole MRIO prices them.

    ``direct`` and ``consumption_based`` equal :func:`gridfoot.footprint`'s ``pba`` and
    ``cba`` of the city's regions. EEE and EEI follow trade flows and so exceed its
    destination-based ``eee + eee_domestic`` and ``eei + eei_domestic`` by the same amount
    (the city's emissions that leave in traded inputs and come back in its imports); the
    balances agree. The module documentation sets the two side by side.

    Parameters
    ----------
    mrio : MRIO
    regions : str or list of str
        The city's region(s), all in one country.
    population : float, optional
        Persons (needed for the carbon consumption level).
    gdp : float, optional
        GDP in the MRIO's monetary unit; default: value added of the city's producers.
    name, stressor : str, optional

    Examples
    --------
    >>> from gridfoot import footprint
    >>> from gridfoot.datasets import sample_mrio
    >>> mrio = sample_mrio()
    >>> city = city_footprint_from_mrio(mrio, "HAI", population=500_000)
    >>> cba = float(footprint(mrio).cba.sel(stressor="CO2", region="HAI"))
    >>> bool(abs(city.boundaries["consumption_based"] - cba) < 1e-6 * cba)
    True
    """
    return _footprint(
        economy_from_mrio(
            mrio, regions, population=population, gdp=gdp, name=name, stressor=stressor
        )
    )
