"""Uncertainty draws and streamed statistics (DESIGN §4, "Uncertainty").

Draws of point weights (lognormal), of shares among a producer's points (Dirichlet, producer
totals fixed) and of MRIO coefficients (:mod:`gridfoot.uncertainty.draws`,
:mod:`gridfoot.uncertainty.mrio`); per-cell statistics accumulated while the draws stream past,
never all draws in memory (:mod:`gridfoot.uncertainty.stats`). numpy only, no I/O.
"""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach

if TYPE_CHECKING:
    from gridfoot.uncertainty.draws import (
        dirichlet_weights,
        lognormal_factors,
        perturb,
        perturb_rows,
    )
    from gridfoot.uncertainty.mrio import MrioDraw, draw_mrio, solve_near
    from gridfoot.uncertainty.stats import CellStatistics, interval

__getattr__, __dir__ = attach(__name__, __file__)

__all__ = [
    "CellStatistics",
    "MrioDraw",
    "dirichlet_weights",
    "draw_mrio",
    "interval",
    "lognormal_factors",
    "perturb",
    "perturb_rows",
    "solve_near",
]
