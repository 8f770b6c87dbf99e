"""One labelled progress display for a whole command: a bar on a terminal, log lines elsewhere.

Every stage of a study (reading, computing, writing) is one step of the same display, named
as it runs; dask's work inside a stage (the cube) shows as a percentage of the same bar, so
there is never a second, unlabelled bar. When the output is not a terminal (a batch job's log,
a notebook's stderr) each stage is one line when it starts and one when it ends, with its
time, so a long run never sits silent.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

__all__ = ["Progress"]


class Progress:
    """The stages of one command, timed, with one display.

    Parameters
    ----------
    command : str
        Shown first, e.g. ``"gridfoot run"``.
    stages : sequence of str
        Every stage, in order (the bar's length).
    enabled : bool, optional
        ``True``: a bar; ``False``: nothing; ``None`` (default): a bar on a terminal, log
        lines otherwise.
    stream : file, optional
        Where to show it (default ``sys.stderr``).

    Examples
    --------
    >>> import io
    >>> log = io.StringIO()
    >>> progress = Progress("gridfoot demo", ["read", "write"], stream=log)
    >>> with progress.stage("read"):
    ...     pass
    >>> progress.close()
    >>> log.getvalue().splitlines()[0]
    'gridfoot demo: [1/2] read ...'
    >>> sorted(progress.timings)
    ['read']
    """

    def __init__(
        self,
        command: str,
        stages: Sequence[str],
        enabled: bool | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.command = command
        self.stages = list(stages)
        self.stream = stream if stream is not None else sys.stderr
        self.timings: dict[str, float] = {}
        terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.mode = "bar" if enabled or (enabled is None and terminal) else "off"
        if self.mode == "off" and enabled is None:
            self.mode = "log"
        self._bar: Any = None
        if self.mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(
                total=len(self.stages), desc=command, unit="stage", file=self.stream, leave=True
            )

    def _number(self, name: str) -> str:
        index = self.stages.index(name) + 1 if name in self.stages else len(self.timings) + 1
        return f"[{index}/{len(self.stages)}]"

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` and show it while it runs."""
        if self._bar is not None:
            self._bar.set_postfix_str(name)
        elif self.mode == "log":
            print(f"{self.command}: {self._number(name)} {name} ...", file=self.stream, flush=True)
        start = time.perf_counter()
        yield
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start
        if self._bar is not None:
            self._bar.update()
        elif self.mode == "log":
            print(
                f"{self.command}: {self._number(name)} {name} done in "
                f"{time.perf_counter() - start:.1f} s",
                file=self.stream,
                flush=True,
            )

    def dask(self, name: str) -> contextlib.AbstractContextManager:
        """Show the share of dask tasks done inside stage ``name`` (local schedulers only;
        a distributed cluster has its own dashboard)."""
        if self._bar is None:
            return contextlib.nullcontext()
        from dask.callbacks import Callback

        bar = self._bar

        class _Tasks(Callback):
            def _start_state(self, dsk: Any, state: Any) -> None:
                self.total = max(1, sum(len(state[k]) for k in ("ready", "waiting", "running")))
                self.done = 0
                self.shown = -1

            def _posttask(self, *args: Any) -> None:
                self.done += 1
                percent = min(100, 100 * self.done // self.total)
                if percent != self.shown:  # at most 100 redraws
                    self.shown = percent
                    bar.set_postfix_str(f"{name} {percent}%")

        return _Tasks()

    def close(self) -> None:
        """End the display (the bar stays on screen)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
