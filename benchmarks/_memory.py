"""What the benchmark scripts share: the peak memory of a block, sampled."""

from __future__ import annotations

import os
import threading

import psutil


class PeakMemory:
    """Peak resident set size above the starting size while the block runs (sampled)."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.process = psutil.Process(os.getpid())

    def __enter__(self) -> PeakMemory:
        self.start = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(self.interval)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def megabytes(self) -> float:
        return (self.peak - self.start) / 1e6

    @property
    def gigabytes(self) -> float:
        return (self.peak - self.start) / 1e9
