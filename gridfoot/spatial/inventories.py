"""Several point inventories, each placing its own sectors, and emission factors for weights
that are capacities.

A study rarely has one inventory of every emitter: coal units and gas units place electricity,
steel plants place basic metals. Each inventory is read on its own
(:func:`~gridfoot.spatial.read_sources`, with an :class:`EmissionFactor` when its weight is a
capacity) and :func:`combine_sources` joins them into one :class:`~gridfoot.spatial.Sources`
whose points say which inventory they come from (column ``inventory``).

A sector placed by several inventories combines them by weight: a producer's emissions are
spread over the points of all of them in proportion to their weights, so the weights must be
in one currency. Inventories that share a sector must therefore give emissions (``units``,
after the factor when there is one); they are converted to tonnes. A proxy without units
(capacity alone) may place sectors no other inventory places.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import pandas as pd

from gridfoot.errors import ConfigError, LabelError, format_labels
from gridfoot.spatial.factors import EmissionFactor
from gridfoot.spatial.sources import POINT_COLUMNS, Sources

__all__ = ["EmissionFactor", "combine_sources"]

#: The reason given to points of sectors their inventory does not place (``sectors=``).
OTHER_SECTOR = "of a sector this inventory does not place"


def combine_sources(
    inventories: Mapping[str, Sources],
    sectors: Mapping[str, Sequence[str] | None] | None = None,
) -> Sources:
    """One set of point sources from several inventories, each placing its own sectors.

    Parameters
    ----------
    inventories : mapping of name to Sources
        Each inventory, read on its own (names are shown in the report and the tables).
    sectors : mapping of name to list of sector codes, optional
        The MRIO sectors each inventory places; its points of other sectors are set aside
        (reason "of a sector this inventory does not place") rather than mapped. None (or a
        missing name): every sector its points have.

    Returns
    -------
    Sources
        Points and unplaced points with a column ``inventory``. With one inventory its
        weights and units are unchanged; with several, weights are in tonnes when every
        inventory gives units (``t``), else as read (units None).

    Raises
    ------
    LabelError
        A sector placed by several inventories whose weights cannot be compared (one of them
        has no units: a proxy such as capacity).

    Examples
    --------
    >>> from gridfoot.spatial import read_sources
    >>> coal = read_sources(pd.DataFrame({"lon": [116.0], "lat": [40.0], "co2": [2.0]}),
    ...                     weight="co2", units="Mt", sector_value="secE", region_value="CHN")
    >>> gas = read_sources(pd.DataFrame({"lon": [121.0], "lat": [31.0], "co2": [500.0]}),
    ...                    weight="co2", units="kt", sector_value="secE", region_value="CHN")
    >>> both = combine_sources({"coal units": coal, "gas units": gas})
    >>> both.points[["inventory", "sector", "weight"]]
        inventory sector     weight
    0  coal units   secE  2000000.0
    1   gas units   secE   500000.0
    >>> both.units
    't'
    """
    from gridfoot.spatial.allocate import unit_factor

    if not inventories:
        raise ConfigError("no inventory of point sources to combine")
    sectors = dict(sectors or {})
    unknown = [name for name in sectors if name not in inventories]
    if unknown:
        raise ConfigError(f"sectors given for unknown inventories {format_labels(unknown)}")
    several = len(inventories) > 1
    all_units = all(s.units is not None for s in inventories.values())
    units = next(iter(inventories.values())).units if not several else ("t" if all_units else None)
    crs = next(iter(inventories.values())).crs
    points, unplaced = [], []
    for name, sources in inventories.items():
        factor = unit_factor(sources.units, "t") if several and all_units else 1.0
        kept = sources.points
        placed = sectors.get(name)
        if placed is not None:
            other = ~kept["sector"].isin(list(placed)).to_numpy()
            unplaced.append(
                kept.loc[other, ["id", "row", "region", "sector", "weight"]].assign(
                    reason=f"{OTHER_SECTOR} ({name}: sectors {format_labels(placed)})",
                    inventory=name,
                )
            )
            kept = kept[~other]
        x, y = dataclasses.replace(sources, points=kept).xy(crs)  # one CRS for all
        points.append(kept.assign(x=x, y=y, weight=kept["weight"] * factor, inventory=name))
        unplaced.append(sources.unplaced.assign(inventory=name))
    joined = pd.concat(points, ignore_index=True)[[*POINT_COLUMNS, "inventory"]]
    _refuse_incomparable(joined, inventories)
    lost = pd.concat(unplaced, ignore_index=True)
    return Sources(
        points=joined,
        crs=crs,
        unplaced=lost,
        origin=", ".join(f"{name} ({s.origin})" for name, s in inventories.items())
        if several
        else next(iter(inventories.values())).origin,
        units=units,
        notes=tuple(f"{name}: {'; '.join(s.notes)}" for name, s in inventories.items())
        if several
        else next(iter(inventories.values())).notes,
    )


def _refuse_incomparable(points: pd.DataFrame, inventories: Mapping[str, Sources]) -> None:
    """A sector several inventories place needs weights in one currency: emissions."""
    proxies = {name for name, s in inventories.items() if s.units is None}
    if not proxies or len(inventories) == 1:
        return
    by_sector = points.groupby("sector")["inventory"].unique()
    for sector, names in by_sector.items():
        if len(names) > 1 and proxies.intersection(names):
            raise LabelError(
                f"sector {sector!r} is placed by several inventories ({format_labels(names)}) "
                f"but {format_labels(sorted(proxies.intersection(names)))} weigh by a proxy "
                "without units: weights of one sector from several inventories must be "
                "emissions to be combined; give units (and an emission factor for a capacity)"
            )
