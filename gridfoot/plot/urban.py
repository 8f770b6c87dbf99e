"""Figures of the urban footprint study: quadrants, a sector's consumed footprint, boundaries.

Each function returns its matplotlib Figure (save it with
:func:`gridfoot.plot.style.save_figure`); emission axes are scaled to t, kt, Mt or Gt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridfoot.checks import check_number
from gridfoot.errors import ValueCheckError
from gridfoot.plot.style import paper_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from gridfoot.urban.footprints import CityFootprint

__all__ = ["emission_scale", "plot_boundaries", "plot_composition", "plot_quadrants"]

_TONNES = {"t": 1.0, "kt": 1e3, "Mt": 1e6, "Gt": 1e9}


def emission_scale(largest: float, unit: str) -> tuple[float, str]:
    """Divisor and unit label that show ``largest`` (in ``unit``) with few digits.

    Units other than tonnes and their multiples are left as they are.

    Examples
    --------
    >>> emission_scale(3.2e7, "t")
    (1000000.0, 'Mt')
    >>> emission_scale(850.0, "kt")
    (1.0, 'kt')
    """
    if unit not in _TONNES:
        return 1.0, unit
    tonnes = abs(largest) * _TONNES[unit]
    chosen = max(
        (name for name, size in _TONNES.items() if tonnes >= size),
        key=_TONNES.get,
        default=unit,
    )
    return _TONNES[chosen] / _TONNES[unit], chosen


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=size, layout="constrained")


_QUADRANT_COLUMNS = ("carbon_production_intensity", "carbon_consumption_level", "role")


def plot_quadrants(
    table: pd.DataFrame,
    reference: tuple[float, float] | None = None,
    ax: Axes | None = None,
    *,
    stressor: str | None = None,
) -> Figure:
    """Cities placed by carbon production intensity against carbon consumption level.

    Lines at the ``reference`` values (default: the cities' medians) cut the plane into
    quadrants; markers say whether each city is a net carbon producer (EEE > EEI) or a net
    consumer. Lower production intensity means a more carbon-efficient production.

    Parameters
    ----------
    table : DataFrame
        The cities compared, ``gridfoot.urban.compare_cities(cities, options)``: one row per
        city, the indicators' units in ``table.attrs["units"]`` and the stressor in
        ``table.attrs["stressor"]``.
    stressor : str, optional
        The stressor named on the axes, when the table does not say.
    """
    if not isinstance(table, pd.DataFrame) or not set(_QUADRANT_COLUMNS) <= set(table.columns):
        raise ValueCheckError(
            "plot_quadrants draws the table of gridfoot.urban.compare_cities(cities): pass "
            "that table (with columns " + ", ".join(_QUADRANT_COLUMNS) + ")"
        )
    stressor = stressor or table.attrs.get("stressor")
    if stressor is None:
        raise ValueCheckError("the table does not name its stressor: pass stressor=")
    units = table.attrs["units"]
    x = table["carbon_production_intensity"].astype(float)
    y = table["carbon_consumption_level"].astype(float)
    if reference is None:
        reference = (float(np.nanmedian(x)), float(np.nanmedian(y)))
    with paper_style():
        fig, ax = _new_axes(ax, (5.0, 4.0))
        for role, marker, color in (
            ("net producer", "^", "#c0392b"),
            ("net consumer", "o", "#2c7fb8"),
        ):
            chosen = (table["role"] == role).to_numpy()
            if chosen.any():
                ax.scatter(
                    x[chosen], y[chosen], marker=marker, s=46, color=color, label=role, zorder=3
                )
        for name in table.index:
            ax.annotate(
                name, (x[name], y[name]), xytext=(4, 3), textcoords="offset points", fontsize=7
            )
        ax.margins(x=0.12, y=0.22)  # keeps the corner labels clear of the cities
        ax.axvline(reference[0], color="0.5", lw=0.8, ls="--", zorder=1)
        ax.axhline(reference[1], color="0.5", lw=0.8, ls="--", zorder=1)
        corners = {
            (0.01, 0.99, "left", "top"): "efficient production,\nhigh consumption",
            (0.99, 0.99, "right", "top"): "intensive production,\nhigh consumption",
            (0.01, 0.01, "left", "bottom"): "efficient production,\nlow consumption",
            (0.99, 0.01, "right", "bottom"): "intensive production,\nlow consumption",
        }
        for (cx, cy, ha, va), text in corners.items():
            ax.text(cx, cy, text, transform=ax.transAxes, ha=ha, va=va, fontsize=6.5, color="0.4")
        ax.set_xlabel(
            f"carbon production intensity ({stressor}, {units['carbon_production_intensity']})"
        )
        ax.set_ylabel(f"carbon consumption level ({stressor}, {units['carbon_consumption_level']})")
        ax.set_title("Carbon production efficiency and consumption level")
        ax.legend(loc="best", frameon=False)
    return fig


def plot_composition(
    cities: Sequence[CityFootprint],
    sector: str | Sequence[str] = "CON",
    top: int = 6,
    share: bool = False,
    names: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Stacked bars: each city's consumed footprint of ``sector`` by emitting sector upstream.

    The ``top`` emitting sectors over all cities get their own colour, the rest is "other".
    ``share=True`` shows each bar as percentages of the city's total. ``names`` maps sector
    codes to the labels shown.
    """
    check_number(top, "top", low=1, integer=True)
    if not cities:
        raise ValueCheckError("no cities to plot")
    frames = {city.name: city.composition(sector)["total"] for city in cities}
    table = pd.DataFrame(frames).fillna(0.0).T  # city x emitting sector
    order = table.sum(axis=0).sort_values(ascending=False).index
    keep = list(order[:top])
    shown = table[keep].assign(other=table.drop(columns=keep).sum(axis=1))
    unit = cities[0].unit
    if share:
        totals = shown.sum(axis=1).replace(0.0, np.nan)
        shown = shown.div(totals, axis=0) * 100.0
        label = "share of the consumed footprint (%)"
    else:
        scale, scaled_unit = emission_scale(float(shown.sum(axis=1).max()), unit)
        shown = shown / scale
        label = f"{cities[0].economy.stressor} ({scaled_unit})"
    product = sector if isinstance(sector, str) else "+".join(sector)
    labels = {s: (names or {}).get(s, s) for s in shown.columns}
    with paper_style():
        import matplotlib as mpl

        fig, ax = _new_axes(ax, (max(4.0, 0.7 * len(shown) + 2.0), 3.6))
        colors = mpl.colormaps["tab10"](np.arange(len(shown.columns)) % 10)
        bottom = np.zeros(len(shown))
        for color, column in zip(colors, shown.columns, strict=True):
            values = shown[column].to_numpy()
            color = "0.75" if column == "other" else color
            ax.bar(shown.index, values, bottom=bottom, color=color, label=labels[column], width=0.7)
            bottom += values
        ax.set_ylabel(label)
        ax.set_title(
            f"Consumed footprint of {(names or {}).get(product, product)} by upstream sector"
        )
        ax.tick_params(axis="x", rotation=45)
        ax.legend(
            title="emitting sector", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False
        )
    return fig


# Parts of a city's emissions, left to right, so that every boundary is one contiguous span:
# (key, label, splits in drawing order, colours).
_PARTS = (
    ("re_exports", "re-exports", ("foreign", "domestic"), ("#54278f", "#9e9ac8")),
    (
        "inputs_for_exports",
        "EEI: inputs for exports",
        ("foreign", "domestic"),
        ("#08519c", "#6baed6"),
    ),
    ("eee", "EEE", ("foreign", "domestic"), ("#a63603", "#fd8d3c")),
    ("local", "local for local (incl. households)", ("local",), ("#fec44f",)),
    (
        "inputs_for_final_demand",
        "EEI: inputs for local final demand",
        ("domestic", "foreign"),
        ("#74c476", "#238b45"),
    ),
    (
        "final_demand",
        "EEI: imports for final demand",
        ("domestic", "foreign"),
        ("#9ecae1", "#3182bd"),
    ),
)


def _segments(city: CityFootprint) -> list[tuple[str, str, float, str]]:
    """``(key, label, value, colour)`` of every disjoint part of the city's emissions."""
    data = city.dataset
    local = float(data["local_for_local"].sum() + data["direct_final_demand"].sum())
    parts = []
    for key, label, splits, colors in _PARTS:
        for split, color in zip(splits, colors, strict=True):
            if key == "local":
                value = local
            elif key == "eee":
                value = float(data["eee"].sel(partner=split).sum())
            else:
                value = float(data["eei"].sel(pathway=key, origin=split))
            parts.append((key, label if key == "local" else f"{label} ({split})", value, color))
    return parts


def plot_boundaries(city: CityFootprint, ax: Axes | None = None) -> Figure:
    """How the four footprint boundaries nest, for one city.

    One bar holds every disjoint part of the emissions the city is linked to (EEI by pathway
    and origin, EEE by partner, local-for-local); brackets above show the direct (territorial)
    emissions, direct - EEE and direct + EEI, brackets below the production-based and
    consumption-based footprints.
    """
    parts = _segments(city)
    total = sum(value for *_, value, _ in parts)
    scale, unit = emission_scale(total, city.unit)
    starts = np.cumsum([0.0] + [value / scale for _, _, value, _ in parts])
    span: dict[str, tuple[float, float]] = {}
    for (key, *_), start, end in zip(parts, starts[:-1], starts[1:], strict=True):
        low, high = span.get(key, (start, end))
        span[key] = (min(low, start), max(high, end))
    boundaries = city.boundaries / scale
    brackets = [
        ("direct - EEE", span["local"], 0.55, boundaries["direct_minus_eee"]),
        ("direct", (span["eee"][0], span["local"][1]), 0.85, city.direct / scale),
        ("direct + EEI", (starts[0], starts[-1]), 1.15, boundaries["direct_plus_eei"]),
        (
            "production-based",
            (span["inputs_for_exports"][0], span["inputs_for_final_demand"][1]),
            -0.55,
            boundaries["production_based"],
        ),
        (
            "consumption-based",
            (span["local"][0], span["final_demand"][1]),
            -0.85,
            boundaries["consumption_based"],
        ),
    ]
    with paper_style():
        fig, ax = _new_axes(ax, (7.0, 3.4))
        for (_, label, value, color), start in zip(parts, starts[:-1], strict=True):
            if value > 0:
                ax.barh(
                    0,
                    value / scale,
                    left=start,
                    height=0.5,
                    color=color,
                    label=label,
                    edgecolor="white",
                    linewidth=0.5,
                )
        for name, (x0, x1), level, value in brackets:
            tick = -0.08 if level > 0 else 0.08
            ax.plot(
                [x0, x0, x1, x1], [level + tick, level, level, level + tick], color="0.2", lw=0.9
            )
            ax.text(
                (x0 + x1) / 2,
                level + (0.04 if level > 0 else -0.04),
                f"{name}: {value:,.3g} {unit}",
                ha="center",
                va="bottom" if level > 0 else "top",
                fontsize=7.5,
            )
        ax.set_ylim(-1.25, 1.5)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(f"{city.economy.stressor} ({unit})")
        ax.set_title(f"Footprint boundaries of {city.name}")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=6.5)
    return fig
