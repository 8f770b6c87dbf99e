"""Atomic writes: a failed run leaves no half-written file or folder behind."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gridfoot.errors import OutputError

__all__ = ["atomic_dir", "atomic_file"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    The temporary file keeps the target's suffix, so writers that choose a format from the
    suffix (GDAL, xarray) behave as for the target. On any exception it is removed and the
    target is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_file(folder / "note.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (folder / "note.txt").read_text()
    'done'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=".tmp" + "".join(target.suffixes), dir=target.parent
    )
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        if temporary.is_file():  # mkstemp makes files private; give them the usual mode
            temporary.chmod(0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise OutputError(f"{target}: no space left on the device") from None
        raise
    except RuntimeError as error:
        # netCDF4 reports a full disk as "NetCDF: HDF error": say what it means when it is so
        if shutil.disk_usage(target.parent).free < (1 << 20):
            raise OutputError(f"{target}: no space left on the device ({error})") from None
        raise
    finally:
        temporary.unlink(missing_ok=True)


def _replaceable(path: Path) -> bool:
    if not path.is_dir():
        return False
    names = {p.name for p in path.iterdir()}
    return not names or bool(names & {".zgroup", ".zarray", ".zmetadata", "zarr.json"})


@contextlib.contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; move it onto ``target`` on success.

    For Zarr stores: an existing ``target`` is replaced only after the new store is complete,
    and only when it is empty or itself a Zarr store; any other folder is refused
    (:class:`~gridfoot.errors.OutputError`), never deleted. Whole output folders go through
    :func:`gridfoot.io.output.output_folder`.
    """
    target = Path(target)
    if target.exists() and not _replaceable(target):
        raise OutputError(
            f"{target}: exists and is not a Zarr store; gridfoot replaces only a store it can "
            "recognise: choose another path"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield temporary
        temporary.chmod(0o777 & ~_umask())
        if target.exists():
            old = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
            )
            os.replace(target, old / "previous")
            os.replace(temporary, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
