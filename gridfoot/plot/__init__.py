"""Figures for papers (matplotlib, offline): every function returns its Figure for restyling."""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach

if TYPE_CHECKING:
    from gridfoot.plot.style import save_figure

__getattr__, __dir__ = attach(__name__, __file__)

__all__ = ["save_figure"]
