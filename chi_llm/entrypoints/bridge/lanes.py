"""Where a request runs. Quick methods (configuration, the catalog, local files) share a pool;
each slow method (network probes, downloads, generation, disk scans) has a lane of its own with
a few places, so no number of slow calls can hold up a quick one. A full lane, or more requests
in flight than the bridge keeps, is refused at once with Busy — never queued without bound."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

SLOW_LANES: Mapping[str, int] = {  # method: how many may run at once
    "providers/test": 4,
    "providers/discover": 4,
    "providers/find_url": 2,
    "models/download": 4,
    "models/installed": 2,
    "diagnostics/run": 2,
    "generate/start": 4,
}
QUICK_WORKERS = 8
MAX_IN_FLIGHT = 64  # running or waiting for a quick worker


class Busy(Exception):
    """No place for the request now; the message says what to wait for."""


class Lanes:
    def __init__(
        self,
        slow: Mapping[str, int] = SLOW_LANES,
        quick_workers: int = QUICK_WORKERS,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._slow = dict(slow)
        self._max = max_in_flight
        self._lock = threading.Lock()
        self._active: Counter[str] = Counter()
        self._in_flight = 0
        self._threads: set[threading.Thread] = set()
        self._quick = ThreadPoolExecutor(max_workers=quick_workers, thread_name_prefix="chi-llm-bridge")

    def run(self, method: str, work: Callable[[Callable[[], None]], None]) -> None:
        """Start `work(leave)` on the method's lane; `work` calls `leave()` once its request no
        longer counts (before it writes the answer, so an answered request frees its place).
        Raises Busy when the lane or the bridge is full."""
        limit = self._slow.get(method)
        with self._lock:
            if self._in_flight >= self._max:
                raise Busy(f"the bridge has {self._max} requests in flight; wait for answers before sending more")
            if limit is not None and self._active[method] >= limit:
                raise Busy(f"{limit} {method} requests are running already; wait for one to answer or cancel one")
            self._in_flight += 1
            self._active[method] += 1
        left = threading.Event()

        def leave() -> None:
            with self._lock:
                if not left.is_set():
                    left.set()
                    self._in_flight -= 1
                    self._active[method] -= 1

        def lane() -> None:
            try:
                work(leave)
            finally:
                leave()
                self._threads.discard(threading.current_thread())

        if limit is None:
            try:
                self._quick.submit(lane)
            except RuntimeError:  # after wait(): the bridge is closing
                leave()
                raise Busy("the bridge is shutting down") from None
            return
        thread = threading.Thread(target=lane, name=f"chi-llm-bridge {method}")
        self._threads.add(thread)
        thread.start()

    def wait(self) -> None:
        """Until every started request has finished; nothing new is accepted after."""
        self._quick.shutdown(wait=True)
        for thread in list(self._threads):
            thread.join()
