"""Memory: the budget a run may use, what its arrays will need, and a refusal before allocating.

A grid of 1 m cells over a country has billions of cells; building it would allocate until the
machine runs out. Every array a run holds is sized by the grid's shape, which is known from the
bounds and the resolution before anything is allocated, so the need can be estimated first and
the run refused with the numbers (:class:`~gridfoot.errors.MemoryBudgetError`).

The budget is, by default, :data:`DEFAULT_FRACTION` of the memory available now (``MemAvailable``
of ``/proc/meminfo``, else what ``os.sysconf`` reports). Set it in a run's configuration::

    [dask]
    memory_budget = "8 GiB"     # a size with its unit: KiB, MiB, GiB, TiB (or kB, MB, GB, TB)

or as the keyword ``memory_budget=`` of the API (the same strings, or a number of bytes).
Estimates are deliberately simple (bytes per cell of each array held at the peak), within a
factor of two of what is measured, which is what a refusal needs.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridfoot.errors import ConfigError, MemoryBudgetError

__all__ = [
    "DEFAULT_FRACTION",
    "GRID_BYTES_PER_CELL",
    "MemoryEstimate",
    "available_memory",
    "check_memory",
    "estimate_grid_memory",
    "estimate_run_memory",
    "memory_budget",
    "parse_size",
]

#: Share of the available memory a run may use when no budget is set.
DEFAULT_FRACTION = 0.75

#: Bytes per cell at the peak of building a grid over polygons and its cell areas: the sparse
#: coverage of the polygons' union (COO triplets and CSR arrays, ~40 B), its dense copy and
#: the land fraction (16 B); PROJ's factors are computed a block of rows at a time. Measured
#: with tracemalloc: 48-62 B on grids of 0.1-0.7 million cells (tests/badinput/test_memory.py).
GRID_BYTES_PER_CELL = 64

#: Bytes per cell a grid holds once built: its land fraction and cell areas.
GRID_HELD_BYTES_PER_CELL = 16

#: Bytes per non-zero of a sparse CSR matrix being built from COO triplets: the triplets
#: (8 + 8 + 8) and the CSR arrays (8 + 4) exist together.
SPARSE_BUILD_BYTES = 36

_UNITS = {
    "b": 1,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
}
#: Where Linux tells how much memory is available.
MEMINFO = Path("/proc/meminfo")
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]+)\s*$")
GiB = 2**30


def _gib(size: float) -> str:
    return f"{size / GiB:,.1f} GiB" if size >= GiB / 10 else f"{size / GiB:,.3g} GiB"


def parse_size(value: Any, name: str = "memory_budget", *, bytes_allowed: bool = True) -> int:
    """A memory size in bytes from ``"8 GiB"``, ``"512 MiB"``, ``"2GB"`` (or, with
    ``bytes_allowed``, a number of bytes).

    Binary units (KiB, MiB, GiB, TiB) are powers of 1024, decimal ones (kB, MB, GB, TB) of
    1000; case does not matter.

    Raises
    ------
    ConfigError
        Naming ``name``, the value and the spelling expected.

    Examples
    --------
    >>> parse_size("8 GiB"), parse_size("1.5 mib"), parse_size(4096)
    (8589934592, 1572864, 4096)
    >>> parse_size(8, "dask.memory_budget", bytes_allowed=False)
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: dask.memory_budget: expected a size with its unit such as \
"8 GiB" or "512 MiB" (units: B, KiB, MiB, GiB, TiB, kB, MB, GB, TB), got 8
    """
    expected = (
        'a size with its unit such as "8 GiB" or "512 MiB" (units: B, KiB, MiB, GiB, TiB, '
        "kB, MB, GB, TB)" + (" or a number of bytes" if bytes_allowed else "")
    )
    size: float | None = None
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match and match.group(2).lower() in _UNITS:
            size = float(match.group(1)) * _UNITS[match.group(2).lower()]
    elif bytes_allowed and isinstance(value, int | float) and not isinstance(value, bool):
        size = float(value)
    if size is None or not math.isfinite(size) or size <= 0:
        raise ConfigError(f"{name}: expected {expected}, got {value!r}")
    return int(size)


def available_memory() -> int:
    """Bytes of memory available to a new allocation now, without swapping.

    ``MemAvailable`` of ``/proc/meminfo`` (Linux; counts reclaimable caches), else free pages
    times the page size from ``os.sysconf``, else physical pages.
    """
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            return int(os.sysconf(pages)) * int(os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, ValueError, OSError):
            continue
    raise MemoryBudgetError(
        "cannot tell how much memory this machine has; set a budget ([dask] memory_budget = "
        '"8 GiB", or memory_budget= in the API)'
    )


@dataclass(frozen=True)
class Budget:
    """A memory budget in bytes and where it came from (for messages)."""

    bytes: int
    origin: str


def memory_budget(budget: Any = None, name: str = "memory_budget") -> Budget:
    """The budget in bytes: ``budget`` (a size, see :func:`parse_size`), or by default
    :data:`DEFAULT_FRACTION` of :func:`available_memory`.

    Examples
    --------
    >>> memory_budget("2 GiB")
    Budget(bytes=2147483648, origin='set by memory_budget')
    """
    if isinstance(budget, Budget):
        return budget
    if budget is not None:
        return Budget(parse_size(budget, name), f"set by {name}")
    available = available_memory()
    return Budget(
        int(DEFAULT_FRACTION * available),
        f"{DEFAULT_FRACTION:g} of the {_gib(available)} available",
    )


def check_memory(
    needed: int, what: str, budget: Any = None, *, change: str = "", name: str = "memory_budget"
) -> None:
    """Refuse, before allocating, what would need more than the budget.

    Parameters
    ----------
    needed : int
        Estimated bytes.
    what : str
        What needs them, with its size (``"a grid of 1,000 x 2,000 cells"``).
    budget : optional
        A size (``"8 GiB"``, bytes) or :class:`Budget`; default: see :func:`memory_budget`.
    change : str
        The settings that reduce the need (``"coarsen grid.resolution"``).
    name : str
        The setting that changes the budget, named in the message.

    Raises
    ------
    MemoryBudgetError
        One line: what, the GiB needed, the GiB budget and the options that change either.

    Examples
    --------
    >>> check_memory(3 * 2**30, "a grid of 10 cells", "1 GiB")
    Traceback (most recent call last):
    ...
    gridfoot.errors.MemoryBudgetError: a grid of 10 cells needs about 3.0 GiB, more than the \
memory budget of 1.0 GiB (set by memory_budget); raise the budget with memory_budget
    """
    budget = memory_budget(budget, name)
    if needed <= budget.bytes:
        return
    remedy = f"{change}, or raise" if change else "raise"
    raise MemoryBudgetError(
        f"{what} needs about {_gib(needed)}, more than the memory budget of "
        f"{_gib(budget.bytes)} ({budget.origin}); {remedy} the budget with {name}"
    )


def estimate_grid_memory(shape: tuple[int, int]) -> int:
    """Peak bytes of building a grid of ``shape`` over polygons (land fraction, cell areas).

    Examples
    --------
    >>> estimate_grid_memory((1000, 1000)) / 2**20  # MiB
    61.03515625
    """
    return int(shape[0]) * int(shape[1]) * GRID_BYTES_PER_CELL


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run's arrays need, by part; the peak is the parts held together.

    Attributes
    ----------
    cells : int
        Cells of the grid.
    parts : dict
        Bytes of each part: ``grid`` (land fraction and cell areas, held throughout),
        ``allocation`` (the sparse weights, while built), ``destination layers`` (one map per
        destination and the total, and the dense product they come from), ``cube chunks``
        (one chunk per worker thread, and its sparse product) and ``hotspots`` (Gi* and the
        concentration statistics of one layer).
    """

    cells: int
    parts: dict[str, int] = field(default_factory=dict)

    @property
    def peak(self) -> int:
        """Bytes held at once: everything is held until the run writes its report."""
        return sum(self.parts.values())

    def describe(self) -> str:
        """The parts, largest first, in GiB (one line)."""
        ranked = sorted(self.parts.items(), key=lambda item: -item[1])
        return ", ".join(f"{name} {_gib(size)}" for name, size in ranked)

    def check(self, budget: Any = None, name: str = "dask.memory_budget") -> None:
        """Raise :class:`~gridfoot.errors.MemoryBudgetError` when the peak exceeds ``budget``."""
        check_memory(
            self.peak,
            f"the run on {self.cells:,} cells ({self.describe()})",
            budget,
            change="coarsen grid.resolution, map fewer destinations or lower dask.chunk_mb",
            name=name,
        )


def estimate_run_memory(
    shape: tuple[int, int],
    n_destinations: int,
    *,
    n_points: int = 0,
    fallback_cells: int = 0,
    chunk_bytes: int = 128 * 2**20,
    cube: bool = True,
    threads: int | None = None,
) -> MemoryEstimate:
    """Estimate the memory ``gridfoot run`` will hold, from sizes known after reading inputs.

    Parameters
    ----------
    shape : (ny, nx)
        The grid's shape (``inputs.grid.shape``).
    n_destinations : int
        Destinations mapped (``len(scope.destinations)``): each gets a layer of the grid.
    n_points : int
        Point sources placed (one non-zero of the allocation weights each).
    fallback_cells : int
        Cells of the producers spread over land or a proxy, summed over those producers (at
        most producers x land cells); one non-zero each.
    chunk_bytes : int
        The cube's chunk size (``dask.chunk_mb * 2**20``).
    cube : bool
        Whether the cube is computed (``output.cube``).
    threads : int, optional
        Worker threads computing cube chunks at once (default: CPUs).

    Returns
    -------
    MemoryEstimate
        Call ``.check(budget)`` to refuse a run that does not fit.

    Examples
    --------
    >>> estimate = estimate_run_memory((100, 100), 5, chunk_bytes=2**20, threads=2)
    >>> estimate.cells, sorted(estimate.parts)
    (10000, ['allocation', 'cube chunks', 'destination layers', 'grid', 'hotspots'])
    """
    cells = int(shape[0]) * int(shape[1])
    threads = threads or os.cpu_count() or 1
    layer = cells * 8
    # Allocation.map: the total, and the destination layers one at a time per thread (the
    # sparse product and its C-ordered copy); the run never holds them all
    in_flight = min(max(n_destinations, 1), threads)
    layers = 2 * (in_flight + 1) * layer
    chunk = min(chunk_bytes, max(n_destinations, 1) * layer)
    parts = {
        "grid": cells * GRID_HELD_BYTES_PER_CELL,
        "allocation": (int(n_points) + int(fallback_cells)) * SPARSE_BUILD_BYTES,
        "destination layers": layers,
        # a chunk and the sparse product it is built from, per thread
        "cube chunks": 2 * chunk * threads if cube else 0,
        # Gi*: values, observed mask, cardinality, spread, z, p-value, classes (~10 layers);
        # the concentration curve sorts one layer (values, order, cumulative sums: ~5)
        "hotspots": 15 * layer,
    }
    return MemoryEstimate(cells=cells, parts=parts)
