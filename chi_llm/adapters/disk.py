"""Small file-system helpers shared by the model sources."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def bytes_under(folder: Path) -> int:
    """Total size of the files below `folder` (files vanishing meanwhile are skipped)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                continue
    return total


@contextmanager
def watch_growth(folder: Path, report: Callable[[int], None], interval: float = 0.25) -> Iterator[None]:
    """Call `report(bytes)` every `interval` seconds while the block runs."""
    done = threading.Event()

    def poll() -> None:
        while not done.wait(interval):
            report(bytes_under(folder))

    watcher = threading.Thread(target=poll, name="chi_llm-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
