"""A server's stderr kept, bounded, for error messages: the child writes into a pipe that a
daemon thread drains, keeping the last few kilobytes (nothing reaches our own stderr, which may
be a terminal the chat is drawn on, or a bridge's log)."""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import TextIO, cast

KEPT = 4096  # bytes of the end of the server's stderr kept for messages
_READ = 4096


class StderrTail:
    """Give `writer` to the child as its stderr, then `release()` our copy of it once the child
    has started (the drain ends when every copy is closed)."""

    def __init__(self) -> None:
        read_fd, write_fd = os.pipe()
        self.writer = cast(TextIO, os.fdopen(write_fd, "w", encoding="utf-8", errors="replace"))
        self._reader = os.fdopen(read_fd, "rb", buffering=0)
        self._kept: deque[bytes] = deque()
        self._size = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, daemon=True, name="chi_llm-mcp-stderr")
        self._thread.start()

    def _drain(self) -> None:
        with self._reader:
            while data := self._reader.read(_READ):
                with self._lock:
                    self._kept.append(data)
                    self._size += len(data)
                    while self._size - len(self._kept[0]) >= KEPT:
                        self._size -= len(self._kept.popleft())

    def release(self) -> None:
        """Close our copy of the pipe's writing end (the child keeps its own)."""
        if not self.writer.closed:
            self.writer.close()

    def text(self, wait: float = 0.0) -> str:
        """The last lines the server wrote (waiting up to `wait` s for it to finish writing)."""
        if wait:
            self._thread.join(wait)
        with self._lock:
            data = b"".join(self._kept)[-KEPT:]
        return data.decode("utf-8", errors="replace").strip()
