"""Point sources onto an equal-area grid: the grid, the sources, the allocation weights."""

from gridfoot.spatial.grid import Grid, albers_for, cell_coverage

__all__ = ["Grid", "albers_for", "cell_coverage"]
