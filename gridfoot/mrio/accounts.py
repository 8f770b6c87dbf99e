"""Footprint accounts as labelled xarray objects.

The math lives in :mod:`gridfoot.mrio.leontief`; this module selects stressors, calls it and
labels the results. Definitions (stressor k, producer i = (r, s), final-demand column (d, c)):

``driven[k, r, s, d, c] = S[k, i] * (L Y)[i, (d, c)]``
    emissions of producer (r, s) driven by final demand of destination d, category c.
``pba[k, r] = sum_s F[k, (r, s)] + sum_c F_Y[k, (r, c)]``
    production-based (territorial) account; household direct emissions included, as in pymrio.
``cba[k, d] = sum_{r, s, c} driven[k, r, s, d, c] + sum_c F_Y[k, (d, c)]``
    consumption-based account (footprint of d's final demand), household emissions included.
``eee[k, r]``, ``eei[k, d]``
    emissions embodied in exports / imports relative to country groups: emissions in r driven by
    destinations of another country; emissions in another country driven by d.
``eee_domestic[k, r]``, ``eei_domestic[k, d]``
    the same for other regions of the same country (zero unless regions are grouped).

With these, ``cba = pba - eee - eee_domestic + eei + eei_domestic`` for every region, and with
ungrouped regions the familiar ``cba = pba - eee + eei``. Summed over a country's regions the
domestic terms cancel. Emissions of producers with ``x <= 0`` are in no account (``excluded``).
The identities are exact when ``x`` is balanced (``x = Z·1 + Y·1``); with a table's printed ``x``
they are off by its rounding.

The accounts are pymrio's, summed by region: ``pba``, ``cba``, ``eee``, ``eei`` are its
``D_pba_reg``, ``D_cba_reg``, ``D_exp_reg``, ``D_imp_reg`` (with ungrouped regions), and
``multiplier`` is ``M``. ``eee`` and ``eei`` are *destination-based*: they follow the final
demand that drives the emissions, wherever the goods are traded on. The urban study
(:mod:`gridfoot.urban`) uses the literature's EEE and EEI, which follow *trade flows* (the
city's outflow, exports, inflow and imports, intermediate and final): for a city that is a
region of an MRIO, EEE = ``eee + eee_domestic`` + R and EEI for final demand =
``eei + eei_domestic`` + R, where R is the city's own emissions that leave in traded inputs and
come back in its imports; the balances and ``cba`` agree. :mod:`gridfoot.urban.footprints`
sets the two side by side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot.errors import LabelError, format_labels
from gridfoot.mrio import leontief
from gridfoot.mrio.system import MRIO
from gridfoot.resources import memory_budget

__all__ = ["composition", "footprint"]

_ACCOUNTS = {
    "pba": "production-based emissions (territorial, incl. household direct emissions)",
    "cba": "consumption-based emissions (footprint of final demand, incl. households' direct "
    "emissions)",
    "eee": "emissions embodied in exports to other countries (driven by their final demand)",
    "eei": "emissions embodied in imports from other countries (driven by this final demand)",
    "eee_domestic": "emissions embodied in outflows to other regions of the same country",
    "eei_domestic": "emissions embodied in inflows from other regions of the same country",
}


def _select_stressors(mrio: MRIO, stressor: str | Sequence[str] | None) -> pd.Index:
    return _select(mrio.stressors, stressor, "stressor").rename("stressor")


def _stressor_coords(mrio: MRIO, stressors: pd.Index) -> dict[str, object]:
    return {
        "stressor": stressors.to_numpy(),
        "unit": ("stressor", mrio.units[stressors].to_numpy()),
    }


def _units_attr(mrio: MRIO, stressors: pd.Index, per: str = "") -> dict[str, str]:
    units = set(mrio.units[stressors])
    if len(units) != 1 or not next(iter(units)):
        return {}
    return {"units": next(iter(units)) + per}


def _positions(pairs: pd.MultiIndex, outer: pd.Index, inner: pd.Index) -> np.ndarray:
    """Where each (outer, inner) pair sits in the flattened outer x inner product."""
    return outer.get_indexer(pairs.get_level_values(0)) * len(inner) + inner.get_indexer(
        pairs.get_level_values(1)
    )


def _padded(values: np.ndarray, mrio: MRIO, producers: bool, demand: bool) -> np.ndarray:
    """``values`` with producer (axis 1) and/or final-demand (last axis) columns laid out on
    the full region x sector (x destination x category) product, zeros where a region lacks
    the pair. A uniform MRIO's arrays are returned as they are."""
    if mrio.uniform:
        return values
    index: list[object] = [slice(None)] * values.ndim
    shape = list(values.shape)
    if producers:
        index[1] = _positions(mrio.producers, mrio.regions, mrio.sectors)
        shape[1] = len(mrio.regions) * len(mrio.sectors)
    if demand:
        index[-1] = _positions(mrio.Y.columns, mrio.regions, mrio.categories)
        shape[-1] = len(mrio.regions) * len(mrio.categories)
    if producers and demand:
        index[1] = index[1][:, None]
    out = np.zeros(shape, dtype=values.dtype)
    out[tuple(index)] = values
    return out


def _flows(mrio: MRIO, S: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``flows[k, r, d]``: emissions in region r driven by destination d's final demand.

    ``S_(r) · X_(r, d)``: each region's intensities times its output for each destination,
    with X summed over d's categories first. It costs stressors x producers x regions and never
    holds the stressors x producers x demand table.
    """
    regions = mrio.regions
    producer_region = regions.get_indexer(mrio.producers.get_level_values(0))
    column_region = regions.get_indexer(mrio.Y.columns.get_level_values(0))
    by_destination = np.zeros((X.shape[0], len(regions)))
    np.add.at(by_destination.T, column_region, X.T)
    flows = np.zeros((S.shape[0], len(regions), len(regions)))
    for r in range(len(regions)):
        own = producer_region == r
        flows[:, r, :] = S[:, own] @ by_destination[own]
    return flows


def _lazy_driven(mrio: MRIO, S: np.ndarray, X: np.ndarray, shape: tuple[int, ...]) -> Any:
    """``driven`` as a dask array, one stressor per chunk, each made when it is asked for."""
    import dask.array as da

    def block(intensities: np.ndarray) -> np.ndarray:
        values = leontief.destination_footprint(intensities, X)
        return _padded(values, mrio, True, True).reshape(len(intensities), *shape[1:])

    stressors = da.from_array(S, chunks=(1, S.shape[1]))
    return da.map_blocks(
        block,
        stressors,
        dtype=float,
        drop_axis=1,
        new_axis=[1, 2, 3, 4],
        chunks=((1,) * shape[0], *((size,) for size in shape[1:])),
    )


def footprint(
    mrio: MRIO, stressor: str | Sequence[str] | None = None, *, lazy: bool | None = None
) -> xr.Dataset:
    """Destination-resolved footprint and region accounts of an MRIO.

    ``I - A`` is factored once (and kept on the MRIO); the output driven by every final-demand
    column comes from one multi-column solve. The Leontief inverse is never formed.

    Parameters
    ----------
    mrio : MRIO
    stressor : str or list of str, optional
        Stressors to compute; all by default. The ``stressor`` dimension is always kept.
    lazy : bool, optional
        Make ``driven`` a dask array, one stressor per chunk, computed when used (the accounts
        are computed at once either way, without it). By default it is lazy only when it would
        need more than a quarter of the memory budget (:func:`gridfoot.resources.memory_budget`):
        an EXIOBASE satellite of 1,100 stressors would need about 30 GB eagerly.

    Returns
    -------
    xarray.Dataset
        ``driven`` (stressor, region, sector, destination, category); ``pba``, ``cba``,
        ``eee``, ``eei``, ``eee_domestic``, ``eei_domestic`` (stressor, region); ``flows``
        (stressor, region, destination): emissions in region driven by destination's final
        demand; ``direct`` (stressor, region, sector): the producers' emissions that enter the
        accounts; ``direct_final_demand`` (stressor, region, category); ``excluded``
        (stressor, region, sector): emissions of producers with ``x <= 0``, in no account;
        ``multiplier`` (stressor, region, sector): emissions per unit of final demand. The
        ``country`` of each region (and ``destination_country``) and the ``unit`` of each
        stressor are coordinates. See the module documentation for the definitions.

        ``eee`` and ``eei`` (pymrio's ``D_exp_reg``, ``D_imp_reg``) are destination-based:
        emissions driven by final demand of other countries, and emissions abroad driven by
        the region's final demand. The urban EEE and EEI of
        :func:`gridfoot.urban.city_footprint_from_mrio` share the names but follow trade
        flows, so for the same region they are larger by the emissions that leave in traded
        inputs and come back in imports (see :mod:`gridfoot.urban.footprints`).

    Examples
    --------
    >>> from gridfoot.datasets import textbook_mrio
    >>> fp = footprint(textbook_mrio())
    >>> fp.cba.sel(stressor="CO2").round(2).to_series().to_dict()
    {'A': 63.33, 'B': 106.67}
    >>> bool(abs(fp.pba - fp.eee + fp.eei - fp.cba).max() < 1e-9)
    True
    """
    stressors = _select_stressors(mrio, stressor)
    regions, sectors, categories = mrio.regions, mrio.sectors, mrio.categories
    n_regions, n_sectors, n_categories = len(regions), len(sectors), len(categories)

    x = mrio.x.to_numpy()
    direct = mrio.F.loc[stressors].to_numpy() * (x > 0)
    S = leontief.intensities(direct, x)
    fac = mrio.leontief
    X = leontief.output_by_demand(fac, mrio.Y.to_numpy())
    shape = (len(stressors), n_regions, n_sectors, n_regions, n_categories)
    if lazy is None:  # lazy only when the table would take a large part of the memory budget
        lazy = 8 * math.prod(shape) > memory_budget().bytes / 4
    if lazy:
        driven = _lazy_driven(mrio, S, X, shape)
    else:
        driven = _padded(leontief.destination_footprint(S, X), mrio, True, True).reshape(shape)
    multiplier = _padded(leontief.multipliers(fac, S), mrio, True, False)
    excluded = _padded(mrio.F.loc[stressors].to_numpy() * (x <= 0), mrio, True, False)
    direct = _padded(direct, mrio, True, False)

    flows = _flows(mrio, S, X)  # (stressor, region, destination), without the driven table
    household = _padded(mrio.F_Y.loc[stressors].to_numpy(), mrio, False, True).reshape(
        len(stressors), n_regions, n_categories
    )
    group = mrio.countries.to_numpy()
    same_country = group[:, None] == group[None, :]
    other_region = ~np.eye(n_regions, dtype=bool)
    abroad = flows * ~same_country
    domestic = flows * (same_country & other_region)
    accounts = {
        "pba": direct.reshape(len(stressors), n_regions, n_sectors).sum(axis=2)
        + household.sum(axis=2),
        "cba": flows.sum(axis=1) + household.sum(axis=2),
        "eee": abroad.sum(axis=2),
        "eei": abroad.sum(axis=1),
        "eee_domestic": domestic.sum(axis=2),
        "eei_domestic": domestic.sum(axis=1),
    }

    coords = {
        **_stressor_coords(mrio, stressors),
        "region": regions.to_numpy(),
        "sector": sectors.to_numpy(),
        "destination": regions.to_numpy(),
        "category": categories.to_numpy(),
        "country": ("region", group),
        "destination_country": ("destination", group),
    }
    emission_units = _units_attr(mrio, stressors)
    producer_dims = ("stressor", "region", "sector")

    def variable(dims, values, long_name, **attrs):
        return xr.Variable(dims, values, {"long_name": long_name, **emission_units, **attrs})

    data = {
        "driven": variable(
            ("stressor", "region", "sector", "destination", "category"),
            driven,
            "emissions of producer (region, sector) driven by final demand of "
            "(destination, category)",
        ),
        **{
            name: variable(("stressor", "region"), values, _ACCOUNTS[name])
            for name, values in accounts.items()
        },
        "flows": variable(
            ("stressor", "region", "destination"),
            flows,
            "emissions in region driven by final demand of destination",
        ),
        "direct": variable(
            producer_dims,
            direct.reshape(len(stressors), n_regions, n_sectors),
            "direct emissions of producers included in the accounts",
        ),
        "direct_final_demand": variable(
            ("stressor", "region", "category"),
            household,
            "direct emissions of final demand (e.g. households' own fuel)",
        ),
        "excluded": variable(
            producer_dims,
            excluded.reshape(len(stressors), n_regions, n_sectors),
            "emissions of producers with gross output <= 0, left out of every account",
        ),
        "is_producer": xr.Variable(
            ("region", "sector"),
            _padded(np.ones((1, len(mrio.producers)), bool), mrio, True, False).reshape(
                n_regions, n_sectors
            ),
            {
                "long_name": "whether the table has this (region, sector) producer; sector "
                "lists may differ by region, and absent pairs hold zeros"
            },
        ),
        "multiplier": xr.Variable(
            producer_dims,
            multiplier.reshape(len(stressors), n_regions, n_sectors),
            {
                "long_name": "total (direct and indirect) emissions per unit of final demand",
                **_units_attr(mrio, stressors, f" per {mrio.monetary_unit or 'unit of output'}"),
            },
        ),
    }
    attrs = {
        "title": "gridfoot destination-resolved footprint",
        "gross_output": mrio.x_source,
        "monetary_unit": mrio.monetary_unit,
        "identities": "cba = pba - eee - eee_domestic + eei + eei_domestic (exact for balanced x)",
        "Conventions": "CF-1.10",
    }
    if mrio.nesting is not None:
        attrs["nesting"] = mrio.nesting.describe()
        attrs["estimate"] = int(mrio.nesting.estimate)
    return xr.Dataset(data, coords=coords, attrs=attrs)


def composition(
    mrio: MRIO,
    sectors: str | Sequence[str],
    destinations: str | Sequence[str] | None = None,
    categories: str | Sequence[str] | None = None,
    product_regions: str | Sequence[str] | None = None,
    stressor: str | Sequence[str] | None = None,
) -> xr.DataArray:
    """Emissions of every upstream producer driven by final demand for chosen products.

    ``composition[k, r, s, pr, ps] = S[k, (r, s)] * L[(r, s), (pr, ps)] * y[(pr, ps)]``, where
    ``y`` is the final demand of the chosen destinations and categories for product ``ps``
    made in ``pr``. Answers "which upstream sectors make up construction's consumed
    footprint": one column solve per chosen product, never the full inverse.

    Parameters
    ----------
    mrio : MRIO
    sectors : str or list of str
        The product sectors whose final demand is traced (e.g. ``"construction"``).
    destinations : str or list of str, optional
        Regions whose final demand counts; all by default.
    categories : str or list of str, optional
        Final-demand categories that count; all by default.
    product_regions : str or list of str, optional
        Regions whose products count; all by default.
    stressor : str or list of str, optional

    Returns
    -------
    xarray.DataArray
        Dims (stressor, region, sector, product_region, product_sector). Summed over
        every sector as products, it equals the consumption-based account without household
        direct emissions.

    Examples
    --------
    >>> from gridfoot.datasets import textbook_mrio
    >>> comp = composition(textbook_mrio(), "goods", destinations="A")
    >>> comp.sum(["region", "sector", "product_region"]).round(2).values.tolist()
    [[53.33]]
    """
    stressors = _select_stressors(mrio, stressor)
    chosen_sectors = _select(mrio.sectors, sectors, "sector")
    chosen_regions = _select(mrio.regions, product_regions, "product region")
    chosen_destinations = _select(mrio.regions, destinations, "destination")
    chosen_categories = _select(mrio.categories, categories, "category")

    grid = pd.MultiIndex.from_product([chosen_regions, chosen_sectors])
    products = grid[grid.isin(mrio.producers)]  # a region may lack some chosen sectors
    columns = pd.MultiIndex.from_product([chosen_destinations, chosen_categories])
    demand = mrio.Y.loc[products, columns[columns.isin(mrio.Y.columns)]].to_numpy().sum(axis=1)
    x = mrio.x.to_numpy()
    S = leontief.intensities(mrio.F.loc[stressors].to_numpy() * (x > 0), x)
    found = leontief.composition(mrio.leontief, S, demand, mrio.producers.get_indexer(products))
    values = np.zeros((*found.shape[:2], len(grid)))
    values[..., grid.get_indexer(products)] = found
    values = _padded(values, mrio, True, False).reshape(
        len(stressors),
        len(mrio.regions),
        len(mrio.sectors),
        len(chosen_regions),
        len(chosen_sectors),
    )
    return xr.DataArray(
        values,
        dims=("stressor", "region", "sector", "product_region", "product_sector"),
        coords={
            **_stressor_coords(mrio, stressors),
            "region": mrio.regions.to_numpy(),
            "sector": mrio.sectors.to_numpy(),
            "product_region": chosen_regions.to_numpy(),
            "product_sector": chosen_sectors.to_numpy(),
        },
        name="composition",
        attrs={
            "long_name": "emissions of producer (region, sector) driven by final demand for "
            "products of (product_region, product_sector)",
            "destinations": ", ".join(chosen_destinations),
            "categories": ", ".join(chosen_categories),
            **_units_attr(mrio, stressors),
        },
    )


def _select(known: pd.Index, wanted: str | Sequence[str] | None, what: str) -> pd.Index:
    if wanted is None:
        return known
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise LabelError(
            f"unknown {what}(s) {format_labels(unknown)}; known: {format_labels(known)}"
        )
    return pd.Index(wanted)
