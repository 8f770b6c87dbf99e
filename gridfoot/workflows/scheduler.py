"""Where dask's work runs (``[dask] scheduler``, ``--scheduler``), and a record of it.

:func:`dask_scheduler` runs the enclosed work on:

- no setting (None): what the session has. An active ``distributed.Client`` (a notebook's
  ``Client(cluster)``) gets the work; without one, dask's default for arrays, threads.
- ``"threads"``, ``"synchronous"``, ``"processes"``: dask's local schedulers, even when a
  Client is active.
- ``"local"``: a ``distributed.LocalCluster`` of worker processes sized to the machine
  (dask's rule: on 2 cores, 2 workers of 1 thread), started for the run and closed after.
- an address (``"tcp://host:8786"``): a Client connected to a running scheduler for the run.
  Its workers read the inputs and write the cube's chunks themselves, so the input and
  output folders must be on a file system they see.

dask.distributed is imported only for the last two (or already is, when a Client is active):
``import gridfoot`` never needs it. The record (:meth:`Scheduler.describe`) is read from the
scheduler dask resolves inside the block, not from what was asked, and goes into
``summary.json`` as ``scheduler``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gridfoot.checks import check_scheduler
from gridfoot.errors import ConfigError

__all__ = ["Scheduler", "dask_scheduler"]

#: dask's own schedulers, by the module of their ``get`` function.
_LOCAL = {
    "dask.threaded": "threads",
    "dask.local": "synchronous",
    "dask.multiprocessing": "processes",
}


@dataclass(frozen=True)
class Scheduler:
    """The scheduler of a :func:`dask_scheduler` block: what was asked, what runs the work."""

    asked: str | None
    started: bool = False  # a LocalCluster started for this block

    def describe(self) -> dict[str, Any]:
        """Where dask's work runs now: ``ran_on`` (``distributed``, ``threads``,
        ``synchronous`` or ``processes``), the scheduler's ``address``, ``workers`` and
        ``threads``, and what was ``asked`` (None: no setting).

        Call it inside the block: a cluster's workers are counted when it is called (a
        cluster may still be scaling up when the block starts).
        """
        import dask
        import dask.base
        import dask.system

        get = dask.base.get_scheduler()
        client = getattr(get, "__self__", None)
        record: dict[str, Any] = {"asked": self.asked}
        if client is not None and type(client).__module__.startswith("distributed"):
            threads = client.nthreads()
            return {
                **record,
                "ran_on": "distributed",
                "address": client.scheduler.address,
                "cluster": "LocalCluster started for the run"
                if self.started
                else ("the session's Client" if self.asked is None else "connected"),
                "workers": len(threads),
                "threads": sum(threads.values()),
            }
        kind = "threads" if get is None else _LOCAL.get(getattr(get, "__module__", ""), str(get))
        count = 1 if kind == "synchronous" else dask.config.get("num_workers", None)
        count = count or dask.system.CPU_COUNT
        return {
            **record,
            "ran_on": kind,
            "address": None,
            "cluster": None,
            "workers": count if kind == "processes" else 1,
            "threads": 1 if kind == "processes" else count,
        }


def _distributed(scheduler: str, name: str) -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            f"{name} = {scheduler!r} needs dask.distributed, which is not installed: "
            "pip install 'gridfoot[cluster]'"
        ) from None
    return distributed


@contextlib.contextmanager
def dask_scheduler(scheduler: str | None, name: str = "dask.scheduler") -> Iterator[Scheduler]:
    """Run the dask work of the block on ``scheduler`` (see the module); yield its
    :class:`Scheduler`. ``name``: the option as the user spelled it, for errors.

    A LocalCluster started here is closed when the block ends, however it ends; a Client
    connected here is closed, the scheduler it connected to is left running.
    """
    check_scheduler(scheduler, name)
    if scheduler is None:
        yield Scheduler(None)
        return
    if "://" not in scheduler and scheduler != "local":
        import dask

        with dask.config.set(scheduler=scheduler):
            yield Scheduler(scheduler)
        return
    distributed = _distributed(scheduler, name)
    if scheduler == "local":
        with (
            distributed.LocalCluster(processes=True, dashboard_address=":0") as cluster,
            distributed.Client(cluster),
        ):
            yield Scheduler(scheduler, started=True)
        return
    try:
        client = distributed.Client(scheduler)
    except OSError as error:  # refused, unreachable, timed out
        raise ConfigError(
            f"{name}: cannot connect to the dask scheduler at {scheduler} ({error}); is it "
            "running, and reachable from this machine?"
        ) from None
    with client:
        yield Scheduler(scheduler)
