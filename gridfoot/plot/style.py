"""Shared look and atomic saving of figures.

matplotlib is imported inside the functions that need it, so importing gridfoot stays fast.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gridfoot.config import check_choice, check_number
from gridfoot.errors import ConfigError
from gridfoot.io.atomic import atomic_file

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FORMATS", "FigureFormat", "check_cmap", "check_formats", "paper_style", "save_figure"]

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


def save_figure(
    fig: Figure, path: str | Path, formats: Iterable[str] = ("png",), dpi: int = 300
) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats``, atomically; return the paths.

    PNG is written at ``dpi`` (300 by default, what journals ask for); PDF and SVG are vector,
    with raster layers (``rasterized=True`` artists) embedded at ``dpi``.

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
    path = Path(path)
    formats = check_formats(formats)
    check_number(dpi, "dpi", low=1, integer=True)
    written = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        # the fonts are chosen when saving: TrueType (Type 42) in PDF, text kept in SVG
        with atomic_file(target) as temporary, paper_style():
            fig.savefig(temporary, format=fmt, dpi=dpi, bbox_inches="tight")
        written.append(target)
    return written
