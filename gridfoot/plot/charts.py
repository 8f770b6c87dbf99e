"""Charts: the concentration curve with its headline markers, and bar charts of shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot._curve import land_at, share_at
from gridfoot.checks import check_fractions, check_number
from gridfoot.errors import LabelError, ValueCheckError
from gridfoot.plot.style import NO_LIGATURES, fit_figure_text, fit_text, paper_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["concentration_figure", "share_bars", "trend_figure"]


def _percent(value: float) -> str:
    """Percentages that keep their meaning when small: 0.4%, 1%, 75%."""
    percent = 100 * value
    if percent == 0 or percent >= 10:
        return f"{percent:.0f}%"
    return f"{percent:.2g}%"


def concentration_figure(
    curve: xr.Dataset,
    top_area: Sequence[float] = (0.01,),
    shares: Sequence[float] = (0.75,),
    title: str | None = None,
    log_land: bool = True,
    figsize: tuple[float, float] = (4.5, 3.6),
    band: pd.DataFrame | None = None,
    band_label: str = "90% interval of the draws",
) -> Figure:
    """Cumulative share of the total against cumulative share of land, cells ranked by value.

    Markers answer the headline questions both ways: the share held by the top ``top_area``
    of land, and the land needed for ``shares`` of the total. They are read off the curve
    by the linear interpolation between its vertices that
    :func:`gridfoot.hotspots.share_in_top_area` and :func:`gridfoot.hotspots.area_for_share`
    use, so they equal those functions' answers.

    Parameters
    ----------
    curve : Dataset
        The exact concentration curve of one layer,
        ``gridfoot.hotspots.concentration_curve(layer)`` (``land_share`` and ``value_share``
        along ``vertex``).
    top_area, shares : sequence of float
        Fractions (0..1) to mark.
    log_land : bool
        A logarithmic land axis (from 0.01% of land): hotspots live in the first percent.
    band : DataFrame, optional
        The curve's spread under uncertainty draws: columns ``land_share``, ``p05`` and
        ``p95`` (shares held by the top ``land_share`` of land), drawn as a shaded band
        labelled ``band_label``.

    Examples
    --------
    >>> from gridfoot.hotspots import concentration_curve
    >>> layer = xr.DataArray([[3.0, 1.0], [0.0, 0.0]], dims=("y", "x"))
    >>> fig = concentration_figure(concentration_curve(layer), top_area=(0.25,))
    >>> fig.axes[0].texts[0].get_text()
    'top 25% of land: 75%'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    if not isinstance(curve, xr.Dataset) or not {"land_share", "value_share"} <= set(
        curve.data_vars
    ):
        raise ValueCheckError(
            "concentration_figure draws a concentration curve: pass "
            "gridfoot.hotspots.concentration_curve(layer), not "
            + ("the layer itself" if isinstance(curve, xr.DataArray) else type(curve).__name__)
        )
    check_fractions(top_area, "top_area", zero=True, meaning="shares of land")
    check_fractions(shares, "shares", meaning="shares of the total")
    land, value = curve.land_share.values, curve.value_share.values
    areas, levels = np.asarray(top_area, dtype=float), np.asarray(shares, dtype=float)
    if land.size:
        held, needed = share_at(land, value, areas), land_at(land, value, levels)
    else:  # no total or no land: no curve, no markers
        held, needed = np.full(areas.shape, np.nan), np.full(levels.shape, np.nan)
    with paper_style():
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        if band is not None:
            inside = band["land_share"].to_numpy(float) > 0
            ax.fill_between(
                100 * band["land_share"].to_numpy(float)[inside],
                100 * band["p05"].to_numpy(float)[inside],
                100 * band["p95"].to_numpy(float)[inside],
                color="C3",
                alpha=0.22,
                linewidth=0,
                label=band_label,
            )
        # the curve is linear between its vertices in land share; on a log axis a long run of
        # equal cells (land spread evenly) is a curve, so it is drawn through many points
        drawn = land
        if land.size and log_land:
            drawn = np.union1d(land, np.geomspace(1e-4, 1.0, 600))
        ax.plot(
            100 * drawn,
            100 * (share_at(land, value, drawn) if land.size else value),
            color="C3",
            linewidth=1.6,
            label="cells ranked by value",
        )
        # y = x is a curve on a log land axis: drawn through many points, not two
        even = np.geomspace(0.01, 100, 400) if log_land else np.array([0.0, 100.0])
        ax.plot(
            even,
            even,
            color="0.6",
            linewidth=0.8,
            linestyle="--",
            label="even spread over land",
        )
        for area, share in zip(top_area, held, strict=True):
            ax.plot(100 * area, 100 * share, "o", color="k", markersize=4)
            ax.annotate(
                f"top {_percent(area)} of land: {_percent(share)}",
                (100 * area, 100 * share),
                xytext=(6, -12),
                textcoords="offset points",
                fontsize=7,
            )
        for share, area in zip(shares, needed, strict=True):
            ax.plot(100 * area, 100 * share, "s", color="C0", markersize=4)
            ax.annotate(
                f"{_percent(share)} on {_percent(area)} of land",
                (100 * area, 100 * share),
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=7,
                color="C0",
            )
        if log_land:
            from matplotlib.ticker import FuncFormatter

            ax.set_xscale("log")
            ax.set_xlim(0.01, 100)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.1, not 10⁻¹
        else:
            ax.set_xlim(0, 100)
        ax.set_ylim(0, 101)
        ax.set_xlabel("cumulative share of land area (%)")
        ax.set_ylabel("cumulative share of the total (%)")
        ax.legend(loc="lower right", frameon=False)
        if title:
            ax.set_title(title)
        fit_figure_text(fig)
    return fig


def share_bars(
    table: pd.DataFrame | pd.Series,
    label: str | None = None,
    title: str | None = None,
    top: int = 10,
    names: Mapping[str, str] | None = None,
    reference: Mapping[str, float] | None = None,
    figsize: tuple[float, float] | None = None,
    xlabel: str = "share (%)",
) -> Figure:
    """Horizontal bars of shares, largest first, with the percentage at each bar's end.

    Parameters
    ----------
    table : DataFrame or Series
        A table of :func:`gridfoot.hotspots.breakdown` (its first label column and ``share``)
        or a Series of shares indexed by label.
    label : str, optional
        The label column of a DataFrame (default: the first column).
    top : int
        Show the ``top`` largest; the rest are summed into "other".
    names : mapping, optional
        Display names of the labels (e.g. sector codes to names).
    reference : mapping, optional
        Published shares to mark beside the bars (e.g. ``{"USA": 0.23}``), drawn as ticks.
    xlabel : str
        What the shares are of, with the unit (``share of export-linked CO2 (%)``).
    """
    import matplotlib.pyplot as plt

    check_number(top, "top", low=1, integer=True)
    if isinstance(table, pd.DataFrame):
        if "share" not in table.columns:
            raise LabelError("a table of shares needs a 'share' column")
        label = label or table.columns[0]
        shares = table.groupby(label, sort=False)["share"].sum()
    else:
        shares = table
    shares = shares.sort_values(ascending=False)
    if len(shares) > top:
        shares = pd.concat(
            [shares.iloc[: top - 1], pd.Series({"other": shares.iloc[top - 1 :].sum()})]
        )
    labels = [str((names or {}).get(k, k)) for k in shares.index]
    height = figsize or (4.5, 0.8 + 0.28 * len(shares))
    with paper_style():
        fig, ax = plt.subplots(figsize=height, layout="constrained")
        positions = np.arange(len(shares))[::-1]
        ax.barh(positions, 100 * shares.to_numpy(), color="C0", height=0.7)
        for position, share in zip(positions, shares.to_numpy(), strict=True):
            ax.annotate(
                _percent(share),
                (100 * share, position),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
        if reference:
            for position, key in zip(positions, shares.index, strict=True):
                if key in reference:
                    ax.plot(
                        100 * reference[key],
                        position,
                        marker="|",
                        color="k",
                        markersize=12,
                        markeredgewidth=1.5,
                    )
            ax.plot(
                [], [], marker="|", color="k", linestyle="none", markersize=8, label="published"
            )
            ax.legend(loc="lower right", frameon=False)
        # a name no installed font can draw falls back to its code
        fitted = [
            fit_text(text, {text: str(code)})
            for text, code in zip(labels, shares.index, strict=True)
        ]
        ax.set_yticks(positions, [text for text, _ in fitted])
        for tick, (_, family) in zip(ax.get_yticklabels(), fitted, strict=True):
            tick.set_fontfeatures(NO_LIGATURES)  # names are words: one font subset in PDFs
            if family is not None:
                tick.set_fontfamily([family])
        ax.set_xlabel(xlabel)
        ax.set_xlim(0, 100 * float(shares.max()) * 1.18)
        if title:
            ax.set_title(title)
        fit_figure_text(fig)
    return fig


def trend_figure(
    lines: Mapping[str, pd.Series],
    ylabel: str = "share of land (%)",
    title: str | None = None,
    log: bool | None = None,
    figsize: tuple[float, float] = (6.0, 3.2),
) -> Figure:
    """Shares by year, one line per series (e.g. the land holding 50%, 75% and 90%).

    Parameters
    ----------
    lines : mapping of label to Series
        Each a share (0..1) indexed by year; drawn in percent with a marker per year.
    log : bool, optional
        A logarithmic share axis (default: when the values span more than a decade).

    Examples
    --------
    >>> years = [2008, 2009]
    >>> fig = trend_figure({"75% of the total": pd.Series([0.012, 0.010], index=years)})
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['2008', '2009']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    if not lines:
        raise ValueCheckError("trend_figure: no line to draw")
    values = np.concatenate([np.asarray(s, dtype=float) for s in lines.values()])
    positive = values[np.isfinite(values) & (values > 0)]
    if log is None:
        log = positive.size > 0 and positive.max() / positive.min() > 10
    years = sorted({int(y) for s in lines.values() for y in s.index})
    with paper_style():
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        for label, series in lines.items():
            ax.plot(
                [int(y) for y in series.index],
                100 * np.asarray(series, dtype=float),
                marker="o",
                markersize=4,
                linewidth=1.4,
                label=label,
            )
        ax.set_xticks(years, [str(y) for y in years])
        if log:
            from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

            ax.set_yscale("log")
            # 0.2, 0.5, 1, 2, 5 ... in plain numbers (no mathtext: one embedded font)
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
            # the axis ends on labelled steps, so every line lies between two labels
            steps = np.array([1.0, 2.0, 5.0]) * 10.0 ** np.arange(-6, 6)[:, None]
            steps = np.sort(steps.ravel())
            low, high = 100 * positive.min(), 100 * positive.max()
            ax.set_ylim(steps[steps <= low].max(), steps[steps >= high].min())
        else:
            ax.set_ylim(bottom=0)
        ax.set_xlabel("year")
        ax.set_ylabel(ylabel)
        # beside the axes: lines run across the whole width
        ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        if title:
            ax.set_title(title)
        fit_figure_text(fig)
    return fig
