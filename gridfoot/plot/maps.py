"""Maps of grid layers in their equal-area projection, ready for a paper.

Grid layers are drawn as images, which PDF and SVG embed as bitmaps at the save resolution, so
the files stay small while lines and text stay vector. Values spanning more than two decades
get a logarithmic colour scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot.checks import check_number
from gridfoot.errors import GridError
from gridfoot.plot.style import (
    NO_LIGATURES,
    check_cmap,
    fit_figure_text,
    fit_text,
    paper_style,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

__all__ = ["colour_scale", "crop_extent", "map_grid", "small_multiples", "value_label"]

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


def _boundary_segments(frame: Any, crs: Any, tolerance: float) -> list[np.ndarray]:
    """Outline coordinates of ``frame`` in ``crs``, simplified to ``tolerance`` (metres)."""
    import shapely

    shapes = frame.to_crs(crs) if crs is not None and frame.crs is not None else frame
    geoms = np.asarray(shapes.geometry.values if hasattr(shapes, "geometry") else shapes)
    geoms = geoms[~shapely.is_missing(geoms)]
    if tolerance > 0:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    lines = shapely.get_parts(shapely.boundary(geoms))
    lines = shapely.get_parts(lines)  # MultiLineStrings (holes, islands) into lines
    return [shapely.get_coordinates(line) for line in lines if not line.is_empty]


def _prepare_outlines(boundaries: Any, crs: Any, tolerance: float) -> list[list[np.ndarray]]:
    """Each boundary layer once as simplified line coordinates, drawn by every panel."""
    if boundaries is None:
        return []
    frames = boundaries if isinstance(boundaries, list | tuple) else [boundaries]
    return [_boundary_segments(frame, crs, tolerance) for frame in frames if frame is not None]


def _draw_outlines(ax: Axes, outlines: list[list[np.ndarray]]) -> None:
    """Each boundary layer as one path of all its lines: PDF and SVG then write one path, not
    one per line with its own style (a national run has thousands)."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    for width, segments in zip((0.4, 0.6, 0.6), outlines, strict=False):
        segments = [segment for segment in segments if len(segment)]
        if not segments:
            continue
        vertices = np.concatenate(segments)
        codes = np.full(len(vertices), MplPath.LINETO, dtype=MplPath.code_type)
        codes[np.cumsum([0] + [len(segment) for segment in segments[:-1]])] = MplPath.MOVETO
        outline = PathPatch(
            MplPath(vertices, codes),
            facecolor="none",
            edgecolor="0.25",
            linewidth=width,
            joinstyle="round",  # as the line collections drew them
            capstyle="butt",
            zorder=3,
        )
        outline.set_clip_path(ax.patch)
        ax.add_artist(outline)  # not add_patch: the frame is set, the data limits stay


def _hatch_fallback(ax: Axes, fallback: Any, crs: Any, tolerance: float) -> bool:
    """Hatch the polygons whose emissions were mostly spread over land or by a proxy; True
    when drawn."""
    if fallback is None or len(fallback) == 0:
        return False
    import shapely
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    shapes = fallback.to_crs(crs) if crs is not None and fallback.crs is not None else fallback
    geoms = np.asarray(shapes.geometry.values if hasattr(shapes, "geometry") else shapes)
    if tolerance > 0:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    paths = []
    for polygon in shapely.get_parts(geoms):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        rings = [polygon.exterior, *polygon.interiors]
        paths.append(MplPath.make_compound_path(*(MplPath(np.asarray(r.coords)) for r in rings)))
    if not paths:
        return False
    ax.add_patch(
        PathPatch(
            MplPath.make_compound_path(*paths),
            facecolor="none",
            edgecolor=_HATCH_COLOUR,
            hatch=_HATCH,
            hatch_linewidth=_HATCH_WIDTH,
            linewidth=0,
            zorder=2,
        )
    )
    return True


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


def crop_extent(
    values: np.ndarray,
    extent: tuple[float, float, float, float],
    margin: float = 0.04,
    reach: float = 0.05,
    keep: float = 0.01,
) -> tuple[tuple[float, float, float, float], float]:
    """The frame of a map: the cells with values, plus a margin; and the share left out.

    ``values`` is ``(y, x)`` north-up or ``(panel, y, x)``; ``extent`` the full grid's
    (left, right, bottom, top). Groups of cells farther than ``reach`` (a fraction of the
    grid's larger side) from the rest and holding less than ``keep`` of the total (remote
    islands) are left out; the share of the total they hold is returned so a map can say so.
    The margin is a fraction of the kept area's larger side (at least two cells).
    """
    from scipy import ndimage

    values = np.asarray(values, dtype=float)
    weight = np.where(np.isfinite(values), np.abs(values), 0.0)
    if weight.ndim == 3:
        weight = weight.sum(axis=0)
    positive = weight > 0
    if not positive.any():
        return extent, 0.0
    rows, cols = positive.shape
    dx = (extent[1] - extent[0]) / cols
    dy = (extent[3] - extent[2]) / rows
    cells = max(2, int(np.ceil(reach * max(rows, cols))))
    near = ndimage.distance_transform_edt(~positive) <= cells
    labels, count = ndimage.label(near)
    totals = np.asarray(ndimage.sum(weight, labels, index=np.arange(1, count + 1)))
    kept_ids = np.flatnonzero(totals >= keep * totals.sum()) + 1
    if kept_ids.size == 0:
        kept_ids = np.array([int(np.argmax(totals)) + 1])
    kept = positive & np.isin(labels, kept_ids)
    left_out = 1.0 - float(weight[kept].sum() / weight.sum())
    used_rows = np.flatnonzero(kept.any(axis=1))
    used_cols = np.flatnonzero(kept.any(axis=0))
    r0, r1, c0, c1 = used_rows[0], used_rows[-1] + 1, used_cols[0], used_cols[-1] + 1
    pad = max(2, int(np.ceil(margin * max(r1 - r0, c1 - c0))))
    r0, r1 = max(0, r0 - pad), min(rows, r1 + pad)
    c0, c1 = max(0, c0 - pad), min(cols, c1 + pad)
    frame = (
        extent[0] + c0 * dx,
        extent[0] + c1 * dx,
        extent[3] - r1 * dy,
        extent[3] - r0 * dy,
    )
    return frame, max(left_out, 0.0)


def _frame_note(
    left_out: float, outlines: list[list[np.ndarray]], frame: tuple[float, ...]
) -> str | None:
    """What the crop left out, for a caption line under the map."""
    if left_out > 1e-9:  # rounding of a sum is not a share left out
        return (
            f"Not shown: remote cells holding {_percent(left_out)} of the total "
            "(far from the main area)."
        )
    points = [seg for layer in outlines for seg in layer if len(seg)]
    if points:
        coords = np.concatenate(points)
        slack_x = 0.02 * (frame[1] - frame[0])
        slack_y = 0.02 * (frame[3] - frame[2])
        outside = (
            (coords[:, 0] < frame[0] - slack_x)
            | (coords[:, 0] > frame[1] + slack_x)
            | (coords[:, 1] < frame[2] - slack_y)
            | (coords[:, 1] > frame[3] + slack_y)
        )
        if outside.any():
            return "Cropped to the area with emissions; land outside the frame has none."
    return None


_LEGEND = {
    "frameon": False,
    "fontsize": 7,
    "title_fontsize": 6.5,
    "alignment": "left",
    "handlelength": 1.6,
    "handleheight": 1.1,
    "borderaxespad": 0.2,
}


def _caption(
    fallback: Any,
    left_out: float,
    outlines: list[list[np.ndarray]],
    frame: tuple[float, ...] | None,
) -> str | None:
    """The map's caption line: what even fills mean, and what the crop left out."""
    notes = [_FALLBACK_NOTE] if fallback is not None and len(fallback) else []
    if frame is not None:
        notes.append(_frame_note(left_out, outlines, frame) or "")
    return "\n".join(n for n in notes if n) or None


def _percent(value: float) -> str:
    percent = 100 * value
    if percent >= 10:
        return f"{percent:.0f}%"
    return f"{percent:.2g}%"


# label positions around a hub, in points: (dx, dy, ha, va); far ones get a leader line
_NEAR = [
    (4, 3, "left", "bottom"),
    (4, -3, "left", "top"),
    (-4, 3, "right", "bottom"),
    (-4, -3, "right", "top"),
    (6, 0, "left", "center"),
    (-6, 0, "right", "center"),
]
_FAR = [
    (dx * k, dy * k, ha, va)
    for k in (4, 7)
    for dx, dy, ha, va in [
        (4, 4, "left", "bottom"),
        (4, -4, "left", "top"),
        (-4, 4, "right", "bottom"),
        (-4, -4, "right", "top"),
        (6, 0, "left", "center"),
        (-6, 0, "right", "center"),
        (0, 5, "center", "bottom"),
        (0, -5, "center", "top"),
    ]
]


def _hub_texts(
    hubs: pd.DataFrame, limit: int, replacements: Mapping[str, str] | None
) -> list[tuple[float, float, str, str | None]]:
    """(x, y, label, font) for the top hubs: the rank, and the region's name at its first hub
    only (``2 Jiangbei`` then ``5``), so no name is repeated."""
    named: set[str] = set()
    texts = []
    for _, hub in hubs.sort_values("rank").head(limit).iterrows():
        names = hub.get("regions")
        text = str(int(hub["rank"]))
        if isinstance(names, str) and names.strip():
            main = names.split(";")[0].strip()  # the region holding most of the hub
            if main not in named:
                named.add(main)
                text += f" {main}"
        text, font = fit_text(text, replacements)
        texts.append((float(hub["x"]), float(hub["y"]), text, font))
    return texts


def _label_hubs(
    ax: Axes,
    hubs: pd.DataFrame,
    limit: int,
    replacements: Mapping[str, str] | None = None,
) -> int:
    """Mark the top hubs and label each once where its label collides with nothing.

    Call after the figure's layout is fixed: labels are tried near the hub first, then
    farther out with a leader line; a label that fits nowhere is left out (its marker stays).
    Returns the number of labels left out.
    """
    from matplotlib.text import Text

    texts = _hub_texts(hubs, limit, replacements)
    if not texts:
        return 0
    xs, ys = [t[0] for t in texts], [t[1] for t in texts]
    ax.plot(
        xs,
        ys,
        marker="o",
        markersize=3,
        markerfacecolor="none",
        markeredgecolor="k",
        linewidth=0,
        zorder=5,
    )
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    to_display = ax.transData.transform
    radius = 2.5 * fig.dpi / 72  # a marker's half width, in pixels
    taken = []
    for x, y in zip(xs, ys, strict=True):
        px, py = to_display((x, y))
        taken.append((px - radius, py - radius, px + radius, py + radius))
    # a white box behind each label, not a stroked halo: path effects turn text into
    # outlines in PDF and SVG, and labels should stay text an editor can change
    backing = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"}
    skipped = 0
    for x, y, text, font in texts:
        placed = False
        for near, candidates in ((True, _NEAR), (False, _FAR)):
            for dx, dy, ha, va in candidates:
                label = ax.annotate(
                    text,
                    (x, y),
                    xytext=(dx, dy),
                    textcoords="offset points",
                    ha=ha,
                    va=va,
                    fontsize=7,
                    bbox={**backing, "alpha": 0.75},
                    zorder=6,
                    annotation_clip=False,
                    arrowprops=None
                    if near
                    else {"arrowstyle": "-", "linewidth": 0.5, "color": "0.2", "shrinkB": 3},
                )
                label.set_fontfeatures(NO_LIGATURES)
                if font is not None:
                    label.set_fontfamily([font])
                label.set_in_layout(False)
                label.update_positions(renderer)
                box = Text.get_window_extent(label, renderer)  # the text, not its leader
                corners = (box.x0 - 2, box.y0 - 2, box.x1 + 2, box.y1 + 2)
                inside = (
                    corners[0] >= frame.x0
                    and corners[2] <= frame.x1
                    and corners[1] >= frame.y0
                    and corners[3] <= frame.y1
                )
                clash = any(
                    corners[0] < b[2]
                    and b[0] < corners[2]
                    and corners[1] < b[3]
                    and b[1] < corners[3]
                    for b in taken
                )
                if inside and not clash:
                    taken.append(corners)
                    placed = True
                    break
                label.remove()
            if placed:
                break
        skipped += not placed
    return skipped


_LAND_COLOUR = "0.86"
# the grey scale of cells placed by a rule (land, proxy), on the colour bar's scale
_RULE_LIGHT, _RULE_DARK = 0.45, 0.95
_HATCH = "///"
_HATCH_COLOUR = "0.3"
_HATCH_WIDTH = 0.5
_FALLBACK_NOTE = (
    "Hatched: regions whose emissions were mostly spread over land or by a proxy, not "
    "placed on points."
)


def _draw_layer(
    ax: Axes,
    layer: xr.DataArray,
    norm: Normalize,
    cmap: str,
    frame: tuple[float, float, float, float] | None = None,
    by_rule: np.ndarray | None = None,
) -> Any:
    """Draw the layer as one RGBA image (values, and grey land without emissions) and
    return a mappable of its colour scale for the colour bar. Cells of ``by_rule`` (a mask:
    their tonnes were mostly spread by a rule, not placed on points) take the same scale in
    greys.

    One image instead of two halves the resampling at every save. Its colours are bytes:
    matplotlib resamples them as they are (floats cost a conversion of the whole resampled
    image at every save, with the same pixels). PDF and SVG embed an image as a bitmap at
    the save resolution: no ``rasterized=True``, which would draw it on a figure-sized
    raster first.
    """
    import matplotlib as mpl
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import to_rgba

    values = np.asarray(layer.values, dtype=float)
    extent = _extent(layer)
    has_value = np.isfinite(values) & (values > 0)
    colours = mpl.colormaps[cmap]
    rgba = colours(norm(np.ma.masked_where(~has_value, values)), bytes=True)
    if by_rule is not None:
        ruled = by_rule & has_value
        # light to dark grey, never white (white is the sea)
        shade = _RULE_LIGHT + (_RULE_DARK - _RULE_LIGHT) * np.clip(norm(values[ruled]), 0, 1)
        rgba[ruled] = mpl.colormaps["Greys"](shade, bytes=True)
    rgba[~has_value] = 0
    if "land_fraction" in layer.coords:
        land = np.asarray(layer["land_fraction"].values) > 0
        rgba[land & ~has_value] = (np.asarray(to_rgba(_LAND_COLOUR)) * 255).astype(np.uint8)
    image = ax.imshow(rgba, extent=extent, interpolation="nearest")
    image.norm = norm  # what the colours mean, for whoever inspects the image
    frame = frame or extent
    ax.set_xlim(frame[0], frame[1])
    ax.set_ylim(frame[2], frame[3])
    ax.set_aspect("equal")
    _no_axes(ax)
    return ScalarMappable(norm=norm, cmap=colours)


def _no_axes(ax: Axes) -> None:
    """No frame, ticks or labels; the x and y axes are hidden too, so that laying the figure
    out and placing titles does not compute ticks nobody sees (matplotlib does so for axes
    that are merely switched off, at every layout pass and every save)."""
    ax.set_axis_off()
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)


def _legend_handles(
    layer: xr.DataArray, hatched: bool, ruled_share: float | None = None
) -> list[Any]:
    import matplotlib as mpl
    from matplotlib.patches import Patch

    handles = []
    if "land_fraction" in layer.coords:
        handles.append(Patch(facecolor=_LAND_COLOUR, edgecolor="none", label="no emissions (land)"))
    if ruled_share is not None:
        grey = mpl.colormaps["Greys"]((_RULE_LIGHT + _RULE_DARK) / 2)
        handles.append(
            Patch(
                facecolor=grey,
                edgecolor="none",
                label=f"mostly spread over land or by a proxy, not on points "
                f"({_percent(ruled_share)} of the total)",
            )
        )
    if hatched:
        handles.append(
            Patch(
                facecolor="none",
                edgecolor=_HATCH_COLOUR,
                hatch=_HATCH * 2,  # denser in the small legend key, or it shows one stroke
                hatch_linewidth=_HATCH_WIDTH,
                linewidth=0,
                label="mostly spread over land or by a proxy (no point sources)",
            )
        )
    return handles


def _plain_ticks(colorbar: Any) -> None:
    """Log colour bars labelled 10, 100, 1,000 rather than 10^1, 10^2, 10^3 (mathtext, a
    second embedded font in every PDF)."""
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FuncFormatter, NullFormatter

    if isinstance(colorbar.norm, LogNorm):
        from matplotlib.ticker import LogLocator

        decades = np.log10(colorbar.norm.vmax / colorbar.norm.vmin)
        if decades < 3:  # few powers of ten in range: label 1, 2, 5 of each
            colorbar.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        colorbar.ax.yaxis.set_major_formatter(FuncFormatter(_plain_number))
        colorbar.ax.yaxis.set_minor_formatter(NullFormatter())


def _plain_number(value: float, _position: object = None) -> str:
    """``1,000``, ``10``, ``0.1``: tick labels without exponents."""
    if value >= 1:
        return f"{value:,.0f}"
    return f"{value:.6g}"


def _cell_size(layer: xr.DataArray) -> float:
    if layer.sizes.get("x", 0) > 1:
        return abs(float(layer.x[1] - layer.x[0]))
    return 0.0


def _finish_layout(fig: Figure) -> None:
    """Lay the figure out once and keep it: labels are then placed against final positions,
    and saving in several formats does not lay it out again.

    Only the layout engine runs, not a draw: nothing is resampled or rendered for it. While
    it runs, a colour bar's tight box is computed once per position: constrained layout asks
    for it once for every axes the bar serves (seven times per pass for six panels), and
    matplotlib lays out all of its ticks each time.
    """
    bars = [ax for ax in fig.axes if hasattr(ax, "_colorbar")]
    for ax in bars:
        ax.get_tightbbox = _tight_box_per_position(ax)
    try:
        fig.get_layout_engine().execute(fig)
    finally:
        for ax in bars:
            del ax.get_tightbbox  # the method again
    fig.set_layout_engine(None)  # no engine: nothing is laid out or drawn again when saved


def _tight_box_per_position(ax: Axes) -> Any:
    """``ax.get_tightbbox`` for the layout, remembered per renderer and position of ``ax``
    (the layout engine sets the position, anchor and box aspect of a colour bar together)."""
    method = ax.get_tightbbox
    boxes: dict[tuple, Any] = {}

    def tight_box(renderer: Any = None, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs != {"for_layout_only": True}:
            return method(renderer, *args, **kwargs)
        key = (
            id(renderer),
            ax.get_position(original=True).bounds,
            ax.get_anchor(),
            ax.get_box_aspect(),
        )
        if key not in boxes:
            boxes[key] = method(renderer, for_layout_only=True)
        return boxes[key]

    return tight_box


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
    fallback: Any = None,
    names: Mapping[str, str] | None = None,
    crop: bool = True,
    by_rule: xr.DataArray | None = None,
) -> Figure:
    """Map one grid layer in its own (equal-area) projection.

    Parameters
    ----------
    layer : DataArray
        A 2-D layer ``(y, x)`` following the grid conventions (CRS, units, land_fraction).
        Land without emissions is light grey (and says so in the legend); sea is white.
    boundaries : GeoDataFrame or list of them, optional
        Polygons to outline (provinces, then cities), reprojected to the layer's CRS and
        simplified to half a cell.
    hubs : DataFrame, optional
        The table of :func:`gridfoot.hotspots.hubs`: the top ``hub_labels`` are marked with
        their rank; each region's name is written once, at its best-ranked hub. Labels that
        would overlap are moved out (with a leader line) or left out.
    title : str, optional
    log : bool, optional
        Force a logarithmic (True) or linear (False) colour scale; by default log when the
        positive values span more than two decades.
    cmap : str
    scale_bar : bool
        Draw a scale bar (the layer's x/y must be metres, as in an equal-area grid).
    fallback : GeoDataFrame, optional
        Polygons whose emissions were mostly spread over land or by a proxy because their
        producers had no point sources: hatched, with a legend entry, so the fill does not
        read as data.
    names : mapping, optional
        Replacements (e.g. latin names or codes) for names the installed fonts cannot draw.
    crop : bool
        Frame the map on the cells with values plus a margin (see :func:`crop_extent`).
    by_rule : DataArray, optional
        The part of ``layer`` spread over land or by a proxy (producers without points, a
        study's ``fallback``): cells where it is at least half the value are drawn in greys
        on the same scale, with a legend entry giving its share of the total, so a rule's
        pattern does not read as data.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    check_cmap(cmap)
    check_number(hub_labels, "hub_labels", low=0, integer=True)
    layer = _two_d(layer)
    crs = layer.rio.crs if "spatial_ref" in layer.coords else None
    tolerance = _cell_size(layer) / 2 if crs is not None else 0.0
    outlines = _prepare_outlines(boundaries, crs, tolerance)
    values = np.asarray(layer.values, dtype=float)
    frame, left_out = crop_extent(values, _extent(layer)) if crop else (_extent(layer), 0.0)
    with paper_style():
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        norm = colour_scale(values, log)
        ruled, ruled_share = _ruled_cells(values, by_rule)
        image = _draw_layer(ax, layer, norm, cmap, frame, ruled)
        hatched = _hatch_fallback(ax, fallback, crs, tolerance)
        _draw_outlines(ax, outlines)
        if scale_bar and crs is not None and crs.is_projected:
            _scale_bar(ax, frame)
        colorbar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
        colorbar.set_label(value_label(layer))
        _plain_ticks(colorbar)
        note = _caption(fallback, left_out, outlines, frame if crop else None)
        handles = _legend_handles(layer, hatched, ruled_share)
        if handles or note:
            ax.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(0.0, 0.0),
                ncols=max(len(handles), 1) if ruled_share is None else 1,
                title=note,
                **_LEGEND,
            )
        if title:
            ax.set_title(title)
        fit_figure_text(fig, names)
        _finish_layout(fig)
        if hubs is not None and len(hubs):
            _label_hubs(ax, hubs, hub_labels, names)
    return fig


def _ruled_cells(
    values: np.ndarray, by_rule: xr.DataArray | None
) -> tuple[np.ndarray | None, float | None]:
    """Cells whose value is mostly ``by_rule``'s, and its share of the total (None: none)."""
    if by_rule is None:
        return None, None
    ruled_values = np.nan_to_num(np.asarray(_two_d(by_rule).values, dtype=float))
    if ruled_values.shape != values.shape:
        raise GridError(f"by_rule has shape {ruled_values.shape}, the layer {values.shape}")
    total = np.nansum(values)
    if not (ruled_values > 0).any() or total <= 0:
        return None, None
    return ruled_values >= 0.5 * np.nan_to_num(values), float(ruled_values.sum() / total)


def small_multiples(
    layers: xr.DataArray,
    dim: str = "destination",
    boundaries: Any = None,
    titles: Sequence[str] | None = None,
    columns: int = 3,
    log: bool | None = None,
    cmap: str = "magma_r",
    panel_size: float = 2.6,
    shares: Sequence[float] | None = None,
    letters: bool = True,
    fallback: Any = None,
    names: Mapping[str, str] | None = None,
    crop: bool = True,
    block: int | None = None,
    by_rule: xr.DataArray | None = None,
) -> Figure:
    """One map per entry of ``dim`` (e.g. the top destinations), on one shared colour scale.

    Panels are titled ``(a) USA: 27% of the total`` -- a letter (``letters``), the title
    (``titles``, else the coordinate value) and, given ``shares``, each entry's share of the
    total. All panels share one frame, cropped to the cells with values in any panel.
    ``fallback``, ``names`` and ``by_rule`` (with the same ``dim`` as ``layers``) are as in
    :func:`map_grid`.

    Cells smaller than about a point at ``panel_size`` would not print: by default they are
    summed into ``block`` x ``block`` blocks (``block=1`` keeps the grid's cells), and the
    colour bar names the block size.
    """
    import matplotlib.pyplot as plt

    check_cmap(cmap)
    check_number(columns, "columns", low=1, integer=True)
    check_number(panel_size, "panel_size", low=0, low_open=True, meaning="inches")
    if dim not in layers.dims:
        raise GridError(f"small multiples need the dim {dim!r}; the grid has {list(layers.dims)}")
    count = layers.sizes[dim]
    if titles is not None and len(titles) != count:
        raise GridError(f"small multiples: {len(titles)} titles for {count} panels")
    if shares is not None and len(shares) != count:
        raise GridError(f"small multiples: {len(shares)} shares for {count} panels")
    columns = min(columns, max(count, 1))
    rows = int(np.ceil(count / columns))
    crs = layers.rio.crs if "spatial_ref" in layers.coords else None
    panels = [_two_d(layers.isel({dim: index})) for index in range(count)]
    ruled_panels = None
    if by_rule is not None:
        ruled_panels = [_two_d(by_rule.isel({dim: index})) for index in range(count)]
    tolerance = _cell_size(panels[0]) / 2 if crs is not None and panels else 0.0
    outlines = _prepare_outlines(boundaries, crs, tolerance)
    stack = np.stack([np.asarray(p.values, dtype=float) for p in panels]) if panels else None
    frame, left_out = crop_extent(stack, _extent(panels[0])) if crop and panels else (None, 0.0)
    if block is None and frame is not None:
        block = _display_block(panels[0], frame, panel_size)
    check_number(block or 1, "block", low=1, integer=True)
    if block and block > 1:
        # single cells vanish at panel size: sum them into blocks that print (the colour
        # bar says "per 40 km cell"); totals are unchanged
        panels = [_coarsen(panel, block) for panel in panels]
        stack = np.stack([np.asarray(p.values, dtype=float) for p in panels])
        if ruled_panels is not None:
            ruled_panels = [_coarsen(panel, block) for panel in ruled_panels]
    aspect = 1.0
    if frame is not None:
        aspect = (frame[3] - frame[2]) / max(frame[1] - frame[0], 1e-9)
    height = panel_size * min(max(aspect, 0.4), 1.6)
    with paper_style():
        fig, axes = plt.subplots(
            rows,
            columns,
            figsize=(panel_size * columns, height * rows + 0.5),
            layout="constrained",
            squeeze=False,
        )
        norm = colour_scale(stack if stack is not None else np.zeros(1), log)
        image = None
        hatched = False
        ruled_share = None
        if ruled_panels is not None and stack is not None:
            ruled_total = sum(float(np.nansum(p.values)) for p in ruled_panels)
            total = float(np.nansum(stack))
            ruled_share = ruled_total / total if ruled_total > 0 and total > 0 else None
        for index, ax in enumerate(axes.flat):
            if index >= count:
                _no_axes(ax)
                continue
            panel = panels[index]
            ruled = None
            if ruled_panels is not None:
                ruled, _ = _ruled_cells(np.asarray(panel.values, dtype=float), ruled_panels[index])
            image = _draw_layer(ax, panel, norm, cmap, frame, ruled)
            hatched = _hatch_fallback(ax, fallback, crs, tolerance) or hatched
            _draw_outlines(ax, outlines)
            label = titles[index] if titles else str(layers[dim].values[index])
            if shares is not None:
                label += f": {_percent(float(shares[index]))} of the total"
            if letters:
                label = f"({_letter(index)}) {label}"
            ax.set_title(label, loc="left", fontsize=9)
        if image is not None:
            colorbar = fig.colorbar(image, ax=axes, shrink=0.7, pad=0.02)
            colorbar.set_label(value_label(panels[0]))
            _plain_ticks(colorbar)
            note = _caption(fallback, left_out, outlines, frame if crop else None)
            handles = _legend_handles(panels[0], hatched, ruled_share)
            if handles or note:
                fig.legend(
                    handles=handles,
                    loc="outside lower left",
                    ncols=max(len(handles), 1) if ruled_share is None else 1,
                    title=note,
                    **_LEGEND,
                )
        fit_figure_text(fig, names)
        _finish_layout(fig)
    return fig


_MIN_CELL_POINTS = 1.5  # smallest cell that shows at print size, in points


def _display_block(
    layer: xr.DataArray, frame: tuple[float, float, float, float], panel_size: float
) -> int:
    """How many cells to sum per side so a block is at least :data:`_MIN_CELL_POINTS` wide."""
    cell = _cell_size(layer)
    if cell <= 0:
        return 1
    across = max(frame[1] - frame[0], frame[3] - frame[2]) / cell
    return max(1, int(np.ceil(across * _MIN_CELL_POINTS / (panel_size * 72))))


def _block_sum(values: np.ndarray, block: int, mean: bool = False) -> np.ndarray:
    rows, cols = values.shape
    padded = np.full((-(-rows // block) * block, -(-cols // block) * block), np.nan)
    padded[:rows, :cols] = values
    blocks = padded.reshape(padded.shape[0] // block, block, padded.shape[1] // block, block)
    return np.nanmean(blocks, axis=(1, 3)) if mean else np.nansum(blocks, axis=(1, 3))


def _coarsen(layer: xr.DataArray, block: int) -> xr.DataArray:
    """Sum ``block`` x ``block`` cells of a north-up ``(y, x)`` layer (land fraction: the
    blocks' mean), keeping attributes and the CRS; blocks at the edges may be partial."""
    x, y = layer.x.values, layer.y.values
    dx = float(x[1] - x[0]) if x.size > 1 else 1.0
    dy = float(y[1] - y[0]) if y.size > 1 else -1.0
    values = np.asarray(layer.values, dtype=float)
    summed = _block_sum(values, block)
    nx, ny = summed.shape[1], summed.shape[0]
    coords = {
        "y": y[0] + dy * (np.arange(ny) * block + (block - 1) / 2),
        "x": x[0] + dx * (np.arange(nx) * block + (block - 1) / 2),
    }
    if "spatial_ref" in layer.coords:
        coords["spatial_ref"] = layer["spatial_ref"]
    coarse = xr.DataArray(summed, dims=("y", "x"), coords=coords, attrs=dict(layer.attrs))
    if "land_fraction" in layer.coords:
        land = np.asarray(layer["land_fraction"].values, dtype=float)
        coarse = coarse.assign_coords(land_fraction=(("y", "x"), _block_sum(land, block, True)))
    return coarse


def _letter(index: int) -> str:
    """Panel letters a, b, ..., z, aa, ab, ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters
