"""Shared look and atomic saving of figures.

matplotlib is imported inside the functions that need it, so importing gridfoot stays fast.
"""

from __future__ import annotations

import contextlib
import functools
import typing
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gridfoot.checks import check_choice, check_number
from gridfoot.errors import ConfigError
from gridfoot.io.atomic import atomic_file

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CJK_FONTS",
    "FORMATS",
    "NO_LIGATURES",
    "FigureFormat",
    "check_cmap",
    "check_formats",
    "fit_figure_text",
    "fit_text",
    "paper_style",
    "save_figure",
    "save_figure_with_preview",
]

#: Fonts with Chinese glyphs, tried in this order when a label needs them; only those with
#: TrueType outlines are used, so that PDFs keep Type 42 fonts only.
CJK_FONTS: tuple[str, ...] = (
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "Noto Sans SC",
    "Arial Unicode MS",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Sans",
    "PingFang SC",
    "Heiti SC",
)

#: Figure formats, as configuration schemas spell them (checked when a config is read).
FigureFormat = Literal["png", "pdf", "svg"]
FORMATS: tuple[str, ...] = typing.get_args(FigureFormat)

#: Matplotlib settings for figures that go into papers: readable at column width.
PAPER_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


def check_formats(formats: Iterable[str], name: str = "formats") -> list[str]:
    """Figure formats, lower case without a dot, each one of :data:`FORMATS`; all are checked
    before any figure is saved.

    Examples
    --------
    >>> check_formats(["PNG", ".svg"])
    ['png', 'svg']
    >>> check_formats(["png", "bogus"], "figure_formats")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: figure_formats[1]: expected one of 'png', 'pdf', 'svg', \
got 'bogus'
    """
    if isinstance(formats, str):  # "png" is one format, not three letters
        formats = [formats]
    checked = []
    for index, fmt in enumerate(formats):
        if not isinstance(fmt, str):
            raise ConfigError(f"{name}[{index}]: expected a figure format name, got {fmt!r}")
        normalised = fmt.lower().lstrip(".")
        check_choice(normalised, f"{name}[{index}]", FORMATS)
        checked.append(normalised)
    return checked


def check_cmap(cmap: object, name: str = "cmap") -> str:
    """A matplotlib colour map name (``"magma_r"``), checked before drawing."""
    import matplotlib as mpl

    if not isinstance(cmap, str) or cmap not in mpl.colormaps:
        raise ConfigError(
            f"{name}: {cmap!r} is not a matplotlib colour map; e.g. 'magma_r', 'viridis' "
            "(see matplotlib.colormaps)"
        )
    return cmap


@contextlib.contextmanager
def paper_style() -> Iterator[None]:
    """Context manager applying :data:`PAPER_RC` (``with paper_style(): ...``).

    Only the keys of :data:`PAPER_RC` are set and restored. ``matplotlib.rc_context`` would
    restore every setting, ``interactive`` and the backend included, and then a notebook
    stops displaying every figure drawn after the first.
    """
    import matplotlib as mpl

    saved = {key: mpl.rcParams[key] for key in PAPER_RC}
    mpl.rcParams.update(PAPER_RC)
    try:
        yield
    finally:
        mpl.rcParams.update(saved)


@functools.lru_cache(maxsize=32)
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError):
        return frozenset()


def _drawable(text: str, path: str) -> bool:
    glyphs = _charmap(path)
    return all(ord(c) in glyphs or c.isspace() or not c.isprintable() for c in text)


def _font_path(family: str | list[str] | None = None) -> str:
    from matplotlib.font_manager import FontProperties, findfont

    return findfont(FontProperties(family=family), fallback_to_default=True)


#: Font features for labels: no ligatures. A ligature (the "fi" of "final demand") is a
#: glyph without a character code: PDFs then embed a second subset of the font (a quarter
#: of a second per file) and text extraction loses the word.
NO_LIGATURES: tuple[str, ...] = ("-liga",)


def _truetype_outlines(path: str) -> bool:
    """Whether a font file has TrueType (glyf) outlines, which PDFs embed as Type 42.

    CFF-flavoured OpenType fonts (Noto Sans CJK, Source Han Sans) would be embedded as CID
    Type 0C, which journals' checks refuse.
    """
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, fontNumber=0, lazy=True) as font:
            return "glyf" in font
    except Exception:  # an unreadable font is one we do not use
        return False


@functools.lru_cache(maxsize=1)
def _cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS` with TrueType outlines, or None."""
    from matplotlib.font_manager import fontManager

    installed = {font.name for font in fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed and _truetype_outlines(_font_path(name)):
            return name
    return None


def _replace(text: str, replacements: Mapping[str, str] | None) -> str:
    for old in sorted(replacements or {}, key=len, reverse=True):
        if old and old in text:
            text = text.replace(old, str(replacements[old]))
    return text


def fit_text(
    text: str, replacements: Mapping[str, str] | None = None, family: str | None = None
) -> tuple[str, str | None]:
    """A label the installed fonts can draw, and the font family to draw it with.

    Text the default font draws is returned as is (family None). Otherwise the first
    installed TrueType font of :data:`CJK_FONTS` that has the glyphs is named; without one,
    names are replaced by ``replacements`` (e.g. a latin name or the region code), and glyphs
    still missing become ``?`` -- never a warning per glyph, never an empty box.

    Examples
    --------
    >>> fit_text("1 Jiangbei")
    ('1 Jiangbei', None)
    """
    if not text or _drawable(text, _font_path(family)):
        return text, None
    cjk = _cjk_font()
    if cjk is not None and _drawable(text, _font_path(cjk)):
        return text, cjk
    text = _replace(text, replacements)
    path = _font_path(family)
    glyphs = _charmap(path)
    fixed = "".join(
        c if ord(c) in glyphs or c.isspace() or not c.isprintable() else "?" for c in text
    )
    return fixed, None


def _texts(fig: Figure) -> list[Any]:
    """The texts a name can be in: titles, axis labels, texts, legends (tick labels are
    fitted where they are set, see ``share_bars``: asking for them makes every tick)."""
    texts = [t for t in (fig._suptitle, fig._supxlabel, fig._supylabel) if t is not None]
    texts += list(fig.texts)
    legends = list(fig.legends)
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.axison:
            texts += [ax.xaxis.label, ax.yaxis.label]
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
    for legend in legends:
        texts += [legend.get_title(), *legend.get_texts()]
    return texts


def fit_figure_text(fig: Figure, replacements: Mapping[str, str] | None = None) -> None:
    """Apply :func:`fit_text` to the texts of ``fig`` (titles, labels, texts, legends), and
    draw them without ligatures (see :data:`NO_LIGATURES`)."""
    for artist in _texts(fig):
        text = artist.get_text()
        if not text:
            continue
        artist.set_fontfeatures(NO_LIGATURES)
        if text.isascii():
            continue
        fixed, family = fit_text(text, replacements)
        if family is not None:
            artist.set_fontfamily([family])
        if fixed != text:
            artist.set_text(fixed)


#: Font tables a PDF never reads from an embedded font: matplotlib shapes and kerns the text
#: itself and writes each glyph's position, so the PDF needs outlines and metrics only.
#: Subsetting these (DejaVu Sans's GSUB, GPOS and MATH) took most of a PDF's saving time.
_SHAPING_TABLES: tuple[str, ...] = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern")


@contextlib.contextmanager
def _lean_font_subsets() -> Iterator[None]:
    """Drop :data:`_SHAPING_TABLES` from the font subsets that PDFs embed, while saving.

    The fonts stay TrueType (Type 42) with the same glyphs; only tables a PDF viewer ignores
    are left out. fontTools's subsetter takes its default list of tables to drop from
    ``Options._drop_tables_default``; without it (another fontTools) nothing changes.
    """
    from fontTools import subset

    default = getattr(subset.Options, "_drop_tables_default", None)
    if not isinstance(default, list):
        yield
        return
    subset.Options._drop_tables_default = default + [
        tag for tag in _SHAPING_TABLES if tag not in default
    ]
    try:
        yield
    finally:
        subset.Options._drop_tables_default = default


def save_figure(
    fig: Figure, path: str | Path, formats: Iterable[str] = ("png",), dpi: int = 300
) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats``, atomically; return the paths.

    PNG is written at ``dpi`` (300 by default, what journals ask for); PDF and SVG are vector,
    with images and ``rasterized=True`` artists embedded at ``dpi``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> paths = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "line", ["png", "svg"])
    >>> [p.suffix for p in paths]
    ['.png', '.svg']
    >>> plt.close(fig)
    """
    return _save(fig, path, formats, dpi, None)[0]


def save_figure_with_preview(
    fig: Figure,
    path: str | Path,
    formats: Iterable[str] = ("png",),
    dpi: int = 300,
    preview_dpi: int = 110,
) -> tuple[list[Path], bytes]:
    """:func:`save_figure`, and a small PNG of the same figure for a report.

    The preview is the PNG's drawing scaled down in memory by a whole factor (300 dpi to
    100 dpi for ``preview_dpi=110``: a box filter, fast), not read back from the file or
    drawn again; without PNG among ``formats`` it is drawn at ``preview_dpi``.

    Examples
    --------
    >>> import io, tempfile, pathlib
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from PIL import Image
    >>> fig, ax = plt.subplots(figsize=(3, 2))
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> paths, preview = save_figure_with_preview(fig, folder / "line", ["png", "pdf"])
    >>> Image.open(io.BytesIO(preview)).info["dpi"]
    (100.0, 100.0)
    >>> plt.close(fig)
    """
    check_number(preview_dpi, "preview_dpi", low=1, integer=True)
    paths, preview = _save(fig, path, formats, dpi, preview_dpi)
    return paths, preview or b""


#: zlib level of saved PNGs and previews: level 3 of three channels is as small as
#: matplotlib's level 6 of four (the figures are opaque) in half the time.
_PNG_COMPRESSION = 3


def _save(
    fig: Figure, path: str | Path, formats: Iterable[str], dpi: int, preview_dpi: int | None
) -> tuple[list[Path], bytes | None]:
    path = Path(path)
    formats = check_formats(formats)
    check_number(dpi, "dpi", low=1, integer=True)
    written = []
    preview = None
    import matplotlib as mpl
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    active = engine is not None and not isinstance(engine, PlaceHolderLayoutEngine)
    with paper_style():
        # lay the figure out and find its tight box once, not twice per format; a figure
        # whose layout is already fixed (the maps) is not laid out again. Only the engine
        # runs: a draw (draw_without_rendering) would lay out and then render for nothing
        if active:
            engine.execute(fig)
        box = fig.get_tightbbox(fig.canvas.get_renderer())
        box = box.padded(mpl.rcParams["savefig.pad_inches"])
    # no layout engine while saving: matplotlib would draw the figure once more per format
    # just to run it (a placeholder engine counts as one)
    fig.set_layout_engine(None)
    try:
        for fmt in formats:
            target = path.with_suffix(f".{fmt}")
            # the fonts are chosen when saving: TrueType (Type 42) in PDF, text kept in SVG
            lean = _lean_font_subsets() if fmt == "pdf" else contextlib.nullcontext()
            with atomic_file(target) as temporary, paper_style(), lean:
                image = _render(fig, dpi, box) if fmt == "png" else None
                if image is not None:
                    _write_png(image, temporary, dpi)
                    if preview_dpi is not None:
                        preview = _scaled_png(image, dpi, preview_dpi)
                else:
                    fig.savefig(temporary, format=fmt, dpi=dpi, bbox_inches=box)
            written.append(target)
        if preview_dpi is not None and preview is None:
            with paper_style():
                image = _render(fig, preview_dpi, box)
            preview = _scaled_png(image, preview_dpi, preview_dpi) if image is not None else b""
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
    return written, preview


def _render(fig: Figure, dpi: int, box: Any) -> Any:
    """The figure drawn by Agg at ``dpi`` within ``box`` (inches), as a PIL image: RGB when
    every pixel is opaque (same look, a quarter less to compress), else RGBA; None if the
    buffer is not the size matplotlib's own arithmetic gives.

    One draw serves the PNG file and the report's preview, and the PNG is written from it
    here: matplotlib writes four channels at zlib level 6, twice the time.
    """
    import io

    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="rgba", dpi=dpi, bbox_inches=box)
    # the Agg canvas is int(width) x int(height) pixels of the box scaled to dpi
    width, height = int(box.width * dpi), int(box.height * dpi)
    data = buffer.getbuffer()
    if width * height * 4 != data.nbytes:
        return None
    image = Image.frombuffer("RGBA", (width, height), data, "raw", "RGBA", 0, 1)
    alpha = np.frombuffer(data, dtype=np.uint8)[3::4]
    return image.convert("RGB") if bool((alpha == 255).all()) else image


def _write_png(image: Any, target: Path, dpi: float) -> None:
    """A PNG as matplotlib writes it (dpi, the Software tag), at :data:`_PNG_COMPRESSION`."""
    import matplotlib as mpl
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"Matplotlib version{mpl.__version__}, https://matplotlib.org/")
    image.save(target, format="png", dpi=(dpi, dpi), pnginfo=info, compress_level=_PNG_COMPRESSION)


def _scaled_png(image: Any, dpi: int, preview_dpi: int) -> bytes:
    """PNG bytes of ``image`` (drawn at ``dpi``) reduced by the whole factor nearest to
    ``dpi / preview_dpi``."""
    import io

    factor = max(1, round(dpi / preview_dpi))
    if factor > 1:
        image = image.reduce(factor)
    buffer = io.BytesIO()
    image.save(buffer, format="png", dpi=(dpi / factor,) * 2, compress_level=_PNG_COMPRESSION)
    return buffer.getvalue()
