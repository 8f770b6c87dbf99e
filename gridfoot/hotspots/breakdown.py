"""Breakdowns: who and what drives a footprint or a map — shares by destination, final-demand
category, producing sector or region, as tidy tables.

They work on the footprint (``gridfoot.footprint``'s Dataset or its ``driven`` variable) and on
grid cubes ``(destination, sector, y, x)`` alike: every dim not asked for is summed (lazily for a
dask cube, so only the small table is computed).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import xarray as xr

from gridfoot.errors import LabelError, format_labels

__all__ = ["breakdown", "export_linked"]


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
