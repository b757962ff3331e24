"""Times each token of a generation and applies the thread count that ThreadControl chooses."""

from __future__ import annotations

import time
from typing import Any

from chi_llm.adapters.llama_cpp.thread_control import ThreadControl
from chi_llm.domain.generation import ThreadUse


def set_threads(llm: Any, threads: int) -> None:
    """Decode (single tokens and prompt batches alike) on `threads` CPU threads from now on."""
    llm._ctx.set_n_threads(threads, threads)


class Pace:
    """One generation's token clock. Starts llama.cpp on the controller's current count (what it
    learned from earlier generations)."""

    def __init__(self, llm: Any, control: ThreadControl) -> None:
        self._llm, self._control = llm, control
        self._running = control.threads
        self._changes = 0
        self._last: float | None = None
        set_threads(llm, self._running)

    def token(self) -> float:
        """A token arrived: returns the time. The first one's wait includes the prompt, so only
        the gaps after it (one decoded token each) go to the controller."""
        now = time.perf_counter()
        if self._last is not None and (threads := self._control.observe(now - self._last)) != self._running:
            set_threads(self._llm, threads)
            self._running, self._changes = threads, self._changes + 1
        self._last = now
        return now

    def used(self) -> ThreadUse:
        return ThreadUse(used=self._running, most=self._control.most, changes=self._changes)
