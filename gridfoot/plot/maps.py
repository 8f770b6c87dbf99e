"""Maps of grid layers in their equal-area projection, ready for a paper.

Raster layers are drawn with ``rasterized=True``, so PDF and SVG files stay small while lines
and text stay vector. Values spanning more than two decades get a logarithmic colour scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot.config import check_number
from gridfoot.errors import GridError
from gridfoot.plot.style import check_cmap, paper_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

__all__ = ["colour_scale", "map_grid", "small_multiples", "value_label"]

_LOG_DECADES = 2.0
_LOG_FLOOR = 1e-5  # the log scale covers at most five decades below the maximum


def value_label(layer: xr.DataArray) -> str:
    """Colour-bar label from the layer's attributes, e.g. ``t CO2 per 10 km cell per year``."""
    units = layer.attrs.get("units", "")
    stressor = str(layer.attrs.get("stressor", ""))
    if "stressor" in layer.coords and layer["stressor"].size == 1:
        stressor = str(layer["stressor"].values.item())
    quantity = " ".join(part for part in (units, stressor) if part) or "value"
    cell = "cell"
    if layer.sizes.get("x", 0) > 1:
        step = abs(float(layer.x[1] - layer.x[0]))
        if "spatial_ref" in layer.coords and step >= 1000:
            cell = f"{step / 1000:g} km cell"
    return f"{quantity} per {cell} per year"


def colour_scale(values: np.ndarray, log: bool | None = None) -> Normalize:
    """A linear or logarithmic normalisation; log when positive values span > 2 decades."""
    from matplotlib.colors import LogNorm, Normalize

    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return Normalize(vmin=0.0, vmax=1.0)
    top = float(positive.max())
    low = float(np.percentile(positive, 1))
    if log is None:
        log = top / max(low, top * _LOG_FLOOR) > 10**_LOG_DECADES
    if log:
        return LogNorm(vmin=max(low, top * _LOG_FLOOR), vmax=top)
    return Normalize(vmin=0.0, vmax=top)


def _extent(layer: xr.DataArray) -> tuple[float, float, float, float]:
    x, y = layer.x.values, layer.y.values
    dx = abs(float(x[1] - x[0])) if x.size > 1 else 1.0
    dy = abs(float(y[1] - y[0])) if y.size > 1 else 1.0
    return (
        float(x.min()) - dx / 2,
        float(x.max()) + dx / 2,
        float(y.min()) - dy / 2,
        float(y.max()) + dy / 2,
    )


def _two_d(layer: xr.DataArray) -> xr.DataArray:
    if not isinstance(layer, xr.DataArray) or not {"y", "x"} <= set(layer.dims):
        raise GridError("a map needs a grid layer with dims (y, x)")
    extra = [d for d in layer.dims if d not in ("y", "x") and layer.sizes[d] > 1]
    if extra:
        raise GridError(f"select one layer to map: the grid still has dims {extra}")
    layer = layer.squeeze([d for d in layer.dims if d not in ("y", "x")], drop=False)
    if layer.y.size > 1 and layer.y[0] < layer.y[-1]:
        layer = layer.isel(y=slice(None, None, -1))
    return layer.transpose("y", "x")


def _draw_boundaries(ax: Axes, boundaries: Any, crs: Any) -> None:
    if boundaries is None:
        return
    frames = boundaries if isinstance(boundaries, list | tuple) else [boundaries]
    for width, frame in zip((0.4, 0.6, 0.6), frames, strict=False):
        shapes = frame.to_crs(crs) if crs is not None and frame.crs is not None else frame
        shapes.boundary.plot(ax=ax, linewidth=width, color="0.25")


def _scale_bar(ax: Axes, extent: tuple[float, float, float, float]) -> None:
    from matplotlib.font_manager import FontProperties
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    width_km = (extent[1] - extent[0]) / 1000
    nice = [10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000]
    length = max([n for n in nice if n <= width_km / 4] or [nice[0]])
    bar = AnchoredSizeBar(
        ax.transData,
        length * 1000,
        f"{length:g} km",
        "lower left",
        pad=0.4,
        frameon=False,
        size_vertical=(extent[3] - extent[2]) / 400,
        fontproperties=FontProperties(size=7),
    )
    ax.add_artist(bar)


def _label_hubs(ax: Axes, hubs: pd.DataFrame, limit: int) -> None:
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    for _, hub in hubs.sort_values("rank").head(limit).iterrows():
        names = hub.get("regions")
        text = str(int(hub["rank"]))
        if isinstance(names, str) and names:
            text += f" {names.split(';')[0].strip()}"  # the region holding most of the hub
        ax.annotate(
            text,
            (hub["x"], hub["y"]),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7,
            path_effects=halo,
        )
        ax.plot(
            hub["x"],
            hub["y"],
            marker="o",
            markersize=3,
            markerfacecolor="none",
            markeredgecolor="k",
            linewidth=0,
        )


def _draw_layer(ax: Axes, layer: xr.DataArray, norm: Normalize, cmap: str) -> Any:
    values = np.asarray(layer.values, dtype=float)
    extent = _extent(layer)
    if "land_fraction" in layer.coords:
        land = np.asarray(layer["land_fraction"].values) > 0
        ax.imshow(
            np.where(land, 1.0, np.nan),
            extent=extent,
            cmap="Greys",
            vmin=0,
            vmax=12,
            interpolation="nearest",
            rasterized=True,
        )
    shown = np.where(values > 0, values, np.nan)
    image = ax.imshow(
        shown, extent=extent, norm=norm, cmap=cmap, interpolation="nearest", rasterized=True
    )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_axis_off()
    return image


def map_grid(
    layer: xr.DataArray,
    boundaries: Any = None,
    hubs: pd.DataFrame | None = None,
    title: str | None = None,
    log: bool | None = None,
    cmap: str = "magma_r",
    hub_labels: int = 5,
    scale_bar: bool = True,
    figsize: tuple[float, float] = (6.5, 5.5),
) -> Figure:
    """Map one grid layer in its own (equal-area) projection.

    Parameters
    ----------
    layer : DataArray
        A 2-D layer ``(y, x)`` following the grid conventions (CRS, units, land_fraction).
        Land without emissions is light grey; sea and empty cells are white.
    boundaries : GeoDataFrame or list of them, optional
        Polygons to outline (provinces, then cities), reprojected to the layer's CRS.
    hubs : DataFrame, optional
        The table of :func:`gridfoot.hotspots.hubs`: the top ``hub_labels`` are marked with
        their rank and main region.
    title : str, optional
    log : bool, optional
        Force a logarithmic (True) or linear (False) colour scale; by default log when the
        positive values span more than two decades.
    cmap : str
    scale_bar : bool
        Draw a scale bar (the layer's x/y must be metres, as in an equal-area grid).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    check_cmap(cmap)
    check_number(hub_labels, "hub_labels", low=0, integer=True)
    layer = _two_d(layer)
    crs = layer.rio.crs if "spatial_ref" in layer.coords else None
    with paper_style():
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        norm = colour_scale(np.asarray(layer.values, dtype=float), log)
        image = _draw_layer(ax, layer, norm, cmap)
        _draw_boundaries(ax, boundaries, crs)
        if hubs is not None and len(hubs):
            _label_hubs(ax, hubs, hub_labels)
        if scale_bar and crs is not None and crs.is_projected:
            _scale_bar(ax, _extent(layer))
        colorbar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
        colorbar.set_label(value_label(layer))
        if title:
            ax.set_title(title)
    return fig


def small_multiples(
    layers: xr.DataArray,
    dim: str = "destination",
    boundaries: Any = None,
    titles: Sequence[str] | None = None,
    columns: int = 3,
    log: bool | None = None,
    cmap: str = "magma_r",
    panel_size: float = 2.6,
) -> Figure:
    """One map per entry of ``dim`` (e.g. the top destinations), on one shared colour scale."""
    import matplotlib.pyplot as plt

    check_cmap(cmap)
    check_number(columns, "columns", low=1, integer=True)
    check_number(panel_size, "panel_size", low=0, low_open=True, meaning="inches")
    if dim not in layers.dims:
        raise GridError(f"small multiples need the dim {dim!r}; the grid has {list(layers.dims)}")
    count = layers.sizes[dim]
    rows = int(np.ceil(count / columns))
    crs = layers.rio.crs if "spatial_ref" in layers.coords else None
    with paper_style():
        fig, axes = plt.subplots(
            rows,
            columns,
            figsize=(panel_size * columns, panel_size * rows),
            layout="constrained",
            squeeze=False,
        )
        norm = colour_scale(np.asarray(layers.values, dtype=float), log)
        image = None
        for index, ax in enumerate(axes.flat):
            if index >= count:
                ax.set_axis_off()
                continue
            panel = _two_d(layers.isel({dim: index}))
            image = _draw_layer(ax, panel, norm, cmap)
            _draw_boundaries(ax, boundaries, crs)
            label = titles[index] if titles else str(layers[dim].values[index])
            ax.set_title(label)
        colorbar = fig.colorbar(image, ax=axes, shrink=0.7, pad=0.02)
        colorbar.set_label(value_label(layers.isel({dim: 0})))
    return fig
