"""The one output-folder policy of every gridfoot command: nothing of the user's is ever lost.

gridfoot writes a command's results into a folder only when that folder is

* absent (it is created),
* empty, or
* a folder gridfoot wrote before: it holds gridfoot's marker file (:data:`MARKER`), which lists
  every file gridfoot put there with its size and time, and nothing else, unchanged (a GIS
  tool's statistics sidecar ``X.tif.aux.xml`` beside one of them excepted).

Anything else is refused with one line before any computation starts, and so is a folder that
holds one of the run's own inputs (``--out .`` beside the configuration, an input folder as
output). The results are written into a staging folder beside the target and moved into place
only when everything succeeded (all or nothing); a previous gridfoot folder is replaced then,
and only then. A lock file beside the target keeps two runs out of one folder. Staging folders
left by a killed run (their marker names a process that is gone) are removed by the next run
into the same folder, which says so. Disk full, permissions and paths that cannot be folders
end in an :class:`~gridfoot.errors.OutputError` naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import time
import uuid
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from gridfoot.errors import GridfootError, GridfootWarning, OutputError, format_labels

__all__ = ["MARKER", "check_output_folder", "output_folder"]

#: Marker file of a finished output folder: the command, time, gridfoot version and files.
MARKER = ".gridfoot-output.json"
#: Marker file of a staging folder while a command writes it: whose process it is.
_STAGING_MARKER = ".gridfoot-staging.json"
_STAGING = ".gridfoot-staging-"
_OLD = ".gridfoot-replaced-"


def _version() -> str:
    from gridfoot._version import __version__

    return __version__


def _owner() -> dict[str, object]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}


def _alive(owner: dict[str, object]) -> bool:
    """Whether the process that wrote ``owner`` may still run (unknown hosts count as alive)."""
    if owner.get("host") != socket.gethostname():
        return True
    try:
        pid = int(owner["pid"])  # type: ignore[arg-type]
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, KeyError, TypeError, ValueError):
        return True
    try:  # a killed process stays a zombie until its parent reaps it: it is gone all the same
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _read_json(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _listing(folder: Path) -> list[str]:
    """Files under ``folder`` relative to it; a Zarr store counts as one entry."""
    found = []
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        stores = [d for d in dirs if d.endswith(".zarr")]
        found += [(base / d).as_posix() + "/" for d in stores]
        dirs[:] = sorted(d for d in dirs if not d.endswith(".zarr"))
        found += [(base / f).as_posix() for f in files]
    return sorted(f for f in found if f != MARKER)


def _stamps(folder: Path, names: list[str]) -> dict[str, list[int] | None]:
    """Size and modification time of each file (None for a Zarr store): edits show."""
    stamps: dict[str, list[int] | None] = {}
    for name in names:
        if name.endswith("/"):
            stamps[name] = None
        else:
            stat = (folder / name).stat()
            stamps[name] = [stat.st_size, stat.st_mtime_ns]
    return stamps


def _describe(names: list[str]) -> str:
    return format_labels(names, 5)


def check_output_folder(target: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """Refuse, with one line, an output folder gridfoot may not write; return it resolved.

    Parameters
    ----------
    target : path
        The output folder asked for.
    inputs : paths
        Files and folders the command reads: the output folder may not hold any of them.

    Raises
    ------
    OutputError
        ``target`` is a file, holds an input, or is a non-empty folder gridfoot did not write
        (or one holding files gridfoot did not write).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("mine")
    >>> check_output_folder(folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridfoot.errors.OutputError: ...: not empty and not written by gridfoot (it holds notes.txt)...
    """
    target = Path(target).expanduser().resolve()
    for given in inputs:
        path = Path(given).expanduser().resolve()
        if path == target or target in path.parents:
            raise OutputError(
                f"{target}: holds the input {path}; gridfoot never writes over a folder that "
                "holds its inputs: choose an output folder outside it"
            )
    if target.exists() and not target.is_dir():
        raise OutputError(
            f"{target}: is a file, not a folder; gridfoot writes its results into a folder: "
            "choose another output folder"
        )
    if not target.is_dir() or not any(target.iterdir()):
        return target
    marker = _read_json(target / MARKER)
    present = _listing(target)
    if marker is None:
        raise OutputError(
            f"{target}: not empty and not written by gridfoot (it holds {_describe(present)}); "
            "gridfoot writes only into an absent or empty folder or one it wrote before: "
            "choose another output folder"
        )
    files = marker.get("files", [])
    ours = files if isinstance(files, dict) else dict.fromkeys(files)  # type: ignore[arg-type]
    # GIS tools cache statistics in a sidecar beside a raster (QGIS writes X.tif.aux.xml):
    # the sidecar of one of gridfoot's files is gridfoot's to replace, however it changed.
    present = [f for f in present if not (f.endswith(".aux.xml") and f[: -len(".aux.xml")] in ours)]
    foreign = [f for f in present if f not in ours]
    if foreign:
        raise OutputError(
            f"{target}: holds files gridfoot did not write ({_describe(foreign)}); replacing "
            "the folder would delete them: move them or choose another output folder"
        )
    now = _stamps(target, [f for f in present if ours[f] is not None])
    changed = [f for f, stamp in now.items() if stamp != ours[f]]
    if changed:
        raise OutputError(
            f"{target}: holds files changed since gridfoot wrote them ({_describe(changed)}); "
            "replacing the folder would lose the changes: move them or choose another output "
            "folder"
        )
    return target


def _remove_stale(parent: Path, name: str) -> None:
    """Remove staging (or half-replaced) folders of ``name`` whose process is gone."""
    for prefix in (f".{name}{_STAGING}", f".{name}{_OLD}"):
        for folder in parent.glob(prefix + "*"):
            owner = _read_json(folder / _STAGING_MARKER)
            if owner is None or _alive(owner):
                continue  # not provably ours, or still being written
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder, ignore_errors=True)
            warnings.warn(
                f"removed {folder} ({size / 2**20:,.1f} MiB), left by an interrupted gridfoot "
                f"run (process {owner.get('pid')})",
                GridfootWarning,
                stacklevel=4,
            )


@contextlib.contextmanager
def _lock(parent: Path, name: str, target: Path) -> Iterator[None]:
    lock = parent / f".{name}.gridfoot-lock"
    for _ in range(2):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _read_json(lock)
            if owner is not None and not _alive(owner):
                lock.unlink(missing_ok=True)  # a killed run's lock: ours to take over
                continue
            who = f"process {owner.get('pid')}" if owner else "another process"
            raise OutputError(
                f"{target}: another gridfoot run ({who}) is writing this folder; wait for it to "
                f"finish or choose another output folder (a stale lock is {lock})"
            ) from None
        with os.fdopen(handle, "w") as stream:
            json.dump(_owner(), stream)
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _move_into(source: Path, target: Path) -> None:
    """Move ``source``'s entries into the existing empty ``target`` (the marker first)."""
    entries = sorted(source.iterdir(), key=lambda p: p.name != MARKER)
    for entry in entries:
        os.replace(entry, target / entry.name)
    source.rmdir()


def _commit(staging: Path, target: Path, parent: Path) -> None:
    cwd_inside = Path.cwd() == target or target in Path.cwd().parents
    if not target.exists():
        os.replace(staging, target)
        return
    if not any(target.iterdir()) or cwd_inside:
        # An empty folder, or the shell's working folder: keep the folder itself, swap entries.
        if any(target.iterdir()):
            old = parent / f".{target.name}{_OLD}{uuid.uuid4().hex[:8]}"
            old.mkdir()
            (old / _STAGING_MARKER).write_text(json.dumps(_owner()))
            for entry in list(target.iterdir()):
                os.replace(entry, old / entry.name)
            _move_into(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            _move_into(staging, target)
        return
    old = parent / f".{target.name}{_OLD}{uuid.uuid4().hex[:8]}"
    os.replace(target, old)
    (old / _STAGING_MARKER).write_text(json.dumps(_owner()))
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def _output_error(error: OSError, staging: Path, target: Path) -> OutputError | None:
    """An OutputError for a failure writing the results, None for any other OSError."""
    where = Path(error.filename) if error.filename else None
    full = error.errno in (errno.ENOSPC, errno.EDQUOT)
    if not full and (where is None or staging not in where.parents):
        return None
    what = "no space left on the device" if full else (error.strerror or str(error))
    previous = "; the previous results are untouched" if target.exists() else ""
    return OutputError(f"{where or staging}: {what} while writing {target}{previous}")


@contextlib.contextmanager
def output_folder(
    target: str | Path, *, command: str, inputs: Iterable[str | Path] = ()
) -> Iterator[Path]:
    """Write a command's results into ``target``, all or nothing, never over foreign files.

    Checks ``target`` (:func:`check_output_folder`), takes its lock, removes staging folders
    of interrupted runs into it, and yields an empty staging folder beside it. When the block
    ends without an exception, the marker is written and the staging folder takes the
    target's place (a previous gridfoot folder there is replaced); otherwise the staging
    folder is removed and the target is untouched.

    Parameters
    ----------
    target : path
        The output folder.
    command : str
        What writes it (``"run"``, ``"hotspots"``, ...), recorded in the marker.
    inputs : paths
        Files and folders the command reads; the target may not hold any of them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "results"
    >>> with output_folder(out, command="example") as staging:
    ...     _ = (staging / "table.csv").write_text("a,b\\n1,2\\n")
    >>> sorted(p.name for p in out.iterdir())
    ['.gridfoot-output.json', 'table.csv']
    """
    inputs = list(inputs)
    resolved = check_output_folder(target, inputs)
    parent, name = resolved.parent, resolved.name
    with contextlib.ExitStack() as stack:
        try:
            parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(_lock(parent, name, resolved))
        except GridfootError:
            raise
        except OSError as error:
            raise OutputError(
                f"{resolved}: cannot write in {parent} ({error.strerror or error})"
            ) from None
        # Checked again under the lock: another run may have written it meanwhile.
        check_output_folder(resolved, inputs)
        _remove_stale(parent, name)
        staging = parent / f".{name}{_STAGING}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        stack.callback(shutil.rmtree, staging, ignore_errors=True)  # gone after a commit
        staging.mkdir()
        (staging / _STAGING_MARKER).write_text(json.dumps(_owner()))
        try:
            yield staging
            (staging / _STAGING_MARKER).unlink()
            marker = {
                "gridfoot": _version(),
                "command": command,
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "files": _stamps(staging, _listing(staging)),
            }
            (staging / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
            _commit(staging, resolved, parent)
        except GridfootError:
            raise
        except OSError as error:
            converted = _output_error(error, staging, resolved)
            if converted is None:
                raise
            raise converted from None
