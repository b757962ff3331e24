"""Progress of model fetches on a terminal: one updating line on stderr, silent when piped."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from chi_llm.domain.models.spec import FetchProgress

_PHASES = {"download": "downloading", "extract": "extracting", "verify": "verifying"}


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    return f"{n:.1f} GB"


class TerminalProgress:
    """Callable progress reporter. Writes only when `stream` is a terminal (or `force`)."""

    def __init__(self, stream: TextIO | None = None, *, force: bool = False, min_interval: float = 0.1) -> None:
        self.stream = stream or sys.stderr
        self.enabled = force or self.stream.isatty()
        self.min_interval = min_interval
        self._phase: str | None = None
        self._phase_started = 0.0
        self._last = 0.0

    def __call__(self, event: FetchProgress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if event.phase == "done":
            self.close()
            return
        if event.phase != self._phase:
            if self._phase is not None:
                self.stream.write("\n")
            self._phase, self._phase_started = event.phase, now
        finished = event.total is not None and event.done >= event.total
        if not finished and now - self._last < self.min_interval:
            return
        self._last = now
        elapsed = max(now - self._phase_started, 1e-6)
        speed = event.done / elapsed
        line = f"chi-llm: {_PHASES.get(event.phase, event.phase)} {event.model_id}: {_size(event.done)}"
        if event.total:
            percent = 100 * event.done / event.total
            eta = (event.total - event.done) / speed if speed > 0 else 0
            line += f" / {_size(event.total)} ({percent:3.0f}%, ETA {eta:.0f}s)"
        line += f" at {_size(speed)}/s"
        self.stream.write("\r" + line.ljust(78))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._phase is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._phase = None
