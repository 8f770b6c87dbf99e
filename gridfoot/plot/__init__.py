"""Figures for papers (matplotlib, offline): every function returns its Figure for restyling."""

from gridfoot.plot.style import save_figure

__all__ = ["save_figure"]
