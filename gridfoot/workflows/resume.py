"""Resumable runs: each costly stage's result kept under a hash of everything it depends on.

``gridfoot run`` keeps the footprint and the allocation weights in a cache folder beside its
output folder (``.gridfoot-cache-<name>``, gridfoot's own: a marker file lists what it put
there). A run started again with the same inputs and options (after an interruption, or to
change only the hotspot options or the figures) reads them back instead of recomputing; a
changed input file (by its SHA-256) or option gives another key, so what depends on it is
computed afresh. ``summary.json`` says per stage whether it was computed or reused
(``results.stages``); ``--fresh`` (or ``[output] cache = false``) recomputes everything.
Only what a stage returns is kept, bit for bit (NetCDF of float64), so the outputs of a
resumed run are those of a fresh one. The cube is built in the cache chunk by chunk
(:func:`gridfoot.io.write_zarr` with ``partial``) and moved into the output once whole: a run
interrupted while writing it computes only the chunks it had not finished.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from gridfoot.errors import OutputError

__all__ = ["StageCache", "stage_key"]

T = TypeVar("T")

#: The cache folder of an output folder ``out`` is ``.gridfoot-cache-out`` beside it.
PREFIX = ".gridfoot-cache-"
#: Its marker: the files gridfoot put there (nothing else is ever removed from it).
MARKER = ".gridfoot-cache.json"
#: Results of older keys kept per stage (the newest beside the current one).
KEEP = 2


def stage_key(*parts: Any) -> str:
    """A SHA-256 of the stage's inputs (plain values: options, file records, other keys).

    Examples
    --------
    >>> key = stage_key({"x": "balanced"}, [{"file": "Z.csv", "sha256": "ab"}])
    >>> len(key), key == stage_key({"x": "balanced"}, [{"file": "Z.csv", "sha256": "ab"}])
    (64, True)
    >>> key == stage_key({"x": "file"}, [{"file": "Z.csv", "sha256": "ab"}])
    False
    """
    from gridfoot._version import __version__

    text = json.dumps([__version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_records(paths: Iterable[Path | None]) -> list[dict[str, Any]]:
    """The inputs' files with their sizes and SHA-256 (as summary.json lists them)."""
    from gridfoot.workflows.writer import input_records

    return input_records(p for p in paths if p is not None)


@dataclass(eq=False)
class StageCache:
    """Where a run keeps its stages' results; ``record`` says what each stage did.

    Build it with :meth:`beside` (a run's cache) or ``StageCache(None)`` (nothing kept).
    """

    folder: Path | None
    record: dict[str, str] = field(default_factory=dict)

    @classmethod
    def beside(cls, target: Path, fresh: bool = False) -> StageCache:
        """The cache of the output folder ``target``; ``fresh`` removes what it holds."""
        folder = target.parent / f"{PREFIX}{target.name}"
        if folder.exists():
            listed = _listed(folder)
            if fresh:
                for name in listed:
                    _remove(folder / name)
                _write_marker(folder, [])
        return cls(folder)

    def reuse(
        self,
        stage: str,
        key: str,
        compute: Callable[[], T],
        save: Callable[[T, Path], Any],
        load: Callable[[Path], T],
        suffix: str = ".nc",
    ) -> T:
        """The stage's result under ``key``: read back when kept, else computed and kept."""
        if self.folder is None:
            self.record[stage] = "computed"
            return compute()
        name = f"{stage}-{key[:20]}{suffix}"
        path = self.folder / name
        listed = _listed(self.folder) if self.folder.exists() else []
        if name in listed and path.exists():
            self.record[stage] = "reused"
            return load(path)
        value = compute()
        self.folder.mkdir(exist_ok=True)
        if not (self.folder / MARKER).exists():
            _write_marker(self.folder, [])
        save(value, path)  # atomic: a killed run leaves no half-written result
        older = [n for n in listed if n.startswith(f"{stage}-") and n != name]
        stale = older[: len(older) - (KEEP - 1)] if len(older) >= KEEP else []
        for old in stale:
            _remove(self.folder / old)
        _write_marker(self.folder, [*(n for n in listed if n not in stale), name])
        self.record[stage] = "computed"
        # what was kept, as a later run will read it: the same values in the same memory
        # layout, so sums (and so every output) agree to the last bit with a resumed run
        return load(path)

    def within(self, name: str) -> StageCache:
        """A cache of its own in the folder ``name`` of this one (a series' year), listed
        here so that ``--fresh`` removes it; it keeps its own marker."""
        if self.folder is None:
            return StageCache(None)
        listed = _listed(self.folder) if self.folder.exists() else []
        inner = self.folder / name
        if name not in listed and inner.exists():
            raise OutputError(f"{inner}: not written by gridfoot; move it away")
        self.folder.mkdir(exist_ok=True)
        if name not in listed:
            _write_marker(self.folder, [*listed, name])
        inner.mkdir(exist_ok=True)
        if not (inner / MARKER).exists():
            _write_marker(inner, [])
        return StageCache(inner)

    def partial(self, stage: str, key: str, names: Iterable[str]) -> Path | None:
        """A place in the cache for a result written piece by piece under ``key`` (the cube's
        chunks), or None without a cache. Its ``names`` (the place's name and its
        companions', with ``{}`` standing for it) are listed before anything is written, so
        ``--fresh`` and newer keys can remove them; the stage's places of other keys are
        removed (a partial result of other inputs is never finished)."""
        if self.folder is None:
            return None
        place = f"{stage}-{key[:20]}"
        listed = _listed(self.folder) if self.folder.exists() else []
        mine = [n.format(place) for n in names]
        older = sorted({n for n in listed if n.startswith(f"{stage}-") and n not in mine})
        self.folder.mkdir(exist_ok=True)
        for old in older:
            _remove(self.folder / old)
        _write_marker(
            self.folder, [*(n for n in listed if n not in older and n not in mine), *mine]
        )
        return self.folder / mine[0]


def _listed(folder: Path) -> list[str]:
    """The files gridfoot put in its cache folder; a folder without its marker is refused."""
    marker = folder / MARKER
    try:
        names = json.loads(marker.read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise OutputError(
            f"{folder}: not gridfoot's cache folder (no readable {MARKER}); move it away, or "
            "run with [output] cache = false"
        ) from None
    return [str(n) for n in names if "/" not in str(n) and str(n) != MARKER]


def _remove(path: Path) -> None:
    """Remove one of the cache's own entries (a file, or a store written piece by piece)."""
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _write_marker(folder: Path, names: list[str]) -> None:
    from gridfoot.io.atomic import atomic_file

    with atomic_file(folder / MARKER) as temporary:
        temporary.write_text(json.dumps({"files": names}, indent=1))
