"""Breakdowns: who and what drives a footprint or a map — shares by destination, final-demand
category, producing sector or region, as tidy tables.

They work on the footprint (``gridfoot.footprint``'s Dataset or its ``driven`` variable) and on
grid cubes ``(destination, sector, y, x)`` alike: every dim not asked for is summed (lazily for a
dask cube, so only the small table is computed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot.errors import LabelError, format_labels

__all__ = ["breakdown", "export_linked", "reclassify"]


def export_linked(footprint: xr.Dataset, country: str, stressor: str | None = None) -> xr.DataArray:
    """Emissions of a country's producers driven by final demand of other countries.

    The "export-linked" (or foreign-driven) part of ``driven``: producers in regions of
    ``country`` (all of its provinces in a nested MRIO), destinations of every other country.

    Parameters
    ----------
    footprint : Dataset
        The result of :func:`gridfoot.footprint`.
    country : str
        A value of the footprint's ``country`` coordinate.
    stressor : str, optional
        Keep only this stressor (the ``stressor`` dim is dropped).

    Returns
    -------
    DataArray
        ``driven`` restricted to (region in country, destination abroad).

    Examples
    --------
    >>> from gridfoot.datasets import textbook_mrio
    >>> from gridfoot import footprint
    >>> linked = export_linked(footprint(textbook_mrio()), "A", stressor="CO2")
    >>> linked.dims, linked.destination.values.tolist()
    (('region', 'sector', 'destination', 'category'), ['B'])
    """
    if "driven" not in footprint:
        raise LabelError("expected the Dataset of gridfoot.footprint (no 'driven' variable)")
    driven = footprint["driven"]
    countries = pd.unique(driven["country"].to_numpy())
    if country not in countries:
        raise LabelError(f"unknown country {country!r}; known: {format_labels(countries, 20)}")
    home = driven["country"].to_numpy() == country
    abroad = driven["destination_country"].to_numpy() != country
    linked = driven.isel(region=home, destination=abroad)
    if stressor is not None:
        known = driven["stressor"].to_numpy().tolist()
        if stressor not in known:
            raise LabelError(f"unknown stressor {stressor!r}; known: {format_labels(known)}")
        linked = linked.sel(stressor=stressor)
    return linked.rename("export_linked").assign_attrs(
        long_name=f"emissions of {country}'s producers driven by final demand of other countries"
    )


def reclassify(
    data: xr.DataArray,
    concordance: pd.DataFrame | Mapping[str, str],
    dim: str = "sector",
) -> xr.DataArray:
    """Put ``dim``'s labels in a common classification through a concordance.

    Regions of a nested MRIO may use their own sector lists (provinces in 42 sectors beside
    countries in 35); a breakdown by sector across them needs one classification. Each label
    named by the concordance is split over its targets by their shares; labels it does not
    name are already in the common classification and keep their values. Totals are kept
    exactly (shares of a label sum to 1). Lazy for a dask array: a weighted sum along ``dim``.

    Parameters
    ----------
    data : DataArray
        Anything with the dim, e.g. ``driven``, :func:`export_linked` or a grid cube.
    concordance : DataFrame or mapping
        ``sector, host_sector[, share]`` (the columns of a sub-national table's concordance,
        also in ``mrio.nesting.concordance``), or a mapping label -> common label.
    dim : str
        The dim to reclassify.

    Examples
    --------
    >>> da = xr.DataArray([1.0, 2.0, 4.0], dims="sector",
    ...                   coords={"sector": ["coal power", "gas power", "steel"]})
    >>> reclassify(da, {"coal power": "power", "gas power": "power"}).to_series().to_dict()
    {'power': 3.0, 'steel': 4.0}
    """
    if isinstance(concordance, Mapping):
        concordance = pd.DataFrame(
            {"sector": list(concordance), "host_sector": list(concordance.values())}
        )
    table = concordance.assign(share=concordance.get("share", 1.0))
    if dim not in data.dims:
        raise LabelError(f"reclassify: no {dim!r} dim; the data have {format_labels(data.dims)}")
    labels = pd.Index(data[dim].to_numpy().astype(str))
    table = table[table["sector"].astype(str).isin(labels)]
    kept = labels.difference(pd.Index(table["sector"].astype(str)), sort=False)
    identity = pd.DataFrame({"sector": kept, "host_sector": kept, "share": 1.0})
    table = pd.concat([table, identity], ignore_index=True)
    targets = pd.Index(pd.unique(table["host_sector"].astype(str)))
    weights = np.zeros((len(labels), len(targets)))
    np.add.at(
        weights,
        (
            labels.get_indexer(table["sector"].astype(str)),
            targets.get_indexer(table["host_sector"]),
        ),
        table["share"].to_numpy(dtype=float),
    )
    matrix = xr.DataArray(
        weights, dims=(dim, "_common"), coords={dim: data[dim].to_numpy(), "_common": targets}
    )
    dropped = [name for name, coord in data.coords.items() if dim in coord.dims and name != dim]
    out = xr.dot(data.drop_vars(dropped), matrix, dim=dim)
    out = out.rename({"_common": dim}).transpose(*data.dims)
    return out.assign_attrs(data.attrs).rename(data.name)


def _as_list(keys: str | Sequence[str] | None) -> list[str]:
    if keys is None:
        return []
    return [keys] if isinstance(keys, str) else list(keys)


def breakdown(
    data: xr.DataArray | xr.Dataset,
    by: str | Sequence[str],
    within: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Totals and shares by one or more labels, optionally within groups.

    Parameters
    ----------
    data : DataArray or Dataset
        ``driven`` (or the footprint Dataset, whose ``driven`` is used), a selection of it such
        as :func:`export_linked`, or a grid cube.
    by : str or list of str
        Dims or coordinates to break down by: ``"destination"``, ``"category"``, ``"sector"``,
        ``"region"``, or a coordinate such as ``"country"`` / ``"destination_country"``.
    within : str or list of str, optional
        Shares add up to 1 within each group of these (e.g. ``"destination"``: the category
        mix of each destination's footprint); over everything by default.

    Returns
    -------
    DataFrame
        Columns ``within..., by..., value, share`` (and ``unit`` when known), largest value
        first within each group. A ``stressor`` dim with several stressors must be in ``by``
        or ``within`` (adding up different gases means nothing); with one it is dropped.

    Examples
    --------
    >>> from gridfoot.datasets import textbook_mrio
    >>> from gridfoot import footprint
    >>> fp = footprint(textbook_mrio())
    >>> breakdown(fp, by="destination").round(4)
      destination     value   share unit
    0           B  106.6667  0.6667    t
    1           A   53.3333  0.3333    t

    Where each destination's footprint is emitted:

    >>> breakdown(fp, by="region", within="destination").round(4)
      destination region    value   share unit
    0           B      A  55.7756  0.5229    t
    1           B      B  50.8911  0.4771    t
    2           A      A  44.2244  0.8292    t
    3           A      B   9.1089  0.1708    t
    """
    if isinstance(data, xr.Dataset):
        if "driven" not in data:
            raise LabelError(
                "a Dataset must be the footprint (with 'driven'); pass a DataArray otherwise"
            )
        data = data["driven"]
    groups, keys = _as_list(within), _as_list(by)
    if not keys:
        raise LabelError("say what to break down by (by='destination', 'sector', ...)")
    labels = [*groups, *keys]
    unknown = [key for key in labels if key not in data.coords]
    if unknown:
        hint = " (a grid's regions: use gridfoot.hotspots.zonal_totals)" if "y" in data.dims else ""
        raise LabelError(
            f"cannot break down by {format_labels(unknown)}: no such dim or coordinate; "
            f"available: {format_labels([c for c in data.coords if c != 'spatial_ref'], 20)}" + hint
        )
    unit = None
    if "stressor" in data.dims and "stressor" not in labels:
        if data.sizes["stressor"] > 1:
            raise LabelError(
                "the data hold several stressors "
                f"({format_labels(data['stressor'].values.tolist())}): select one, or put "
                "'stressor' in by= or within="
            )
        if "unit" in data.coords:
            unit = str(data["unit"].values.item())
        data = data.squeeze("stressor", drop=True)
    unit = unit or data.attrs.get("units")
    needed = {dim for key in labels for dim in data[key].dims}
    summed = data.sum([dim for dim in data.dims if dim not in needed]).compute()
    keep = [name for name in summed.coords if name in labels and name not in summed.dims]
    frame = summed.reset_coords(
        [c for c in summed.coords if c not in summed.dims and c not in keep], drop=True
    ).to_dataframe(name="value")
    frame = frame.reset_index()
    table = frame.groupby(labels, sort=False, observed=True)["value"].sum().reset_index()
    if groups:
        group_total = table.groupby(groups, sort=False)["value"].transform("sum")
    else:
        group_total = table["value"].sum()
    table["share"] = table["value"] / group_total
    # the largest group first, then the largest value first within each group
    table["_group"] = -group_total
    table = table.sort_values(
        ["_group", *groups, "value"], ascending=[True] * (len(groups) + 1) + [False]
    ).drop(columns="_group")
    if unit:
        table["unit"] = unit
    return table.reset_index(drop=True)
