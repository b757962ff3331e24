"""Conversations' KV cells outside the slots: saved when a conversation's slot is taken by
others (engine/slots.py), restored when it comes back, and written to files (`encode`).

A conversation lives in a slot of the model's scheduler while it can; only when more
conversations than slots take turns are cells saved and restored (llama.cpp's per-sequence state
API: the cells alone, kv_bytes_per_token per token, 23 KB for the default model). Saved states
are kept in RAM, least recently used dropped first beyond a byte budget.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

SESSION_CACHE_BYTES = 1 << 30  # saved conversation states per model, at most


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A conversation's KV cells, the tokens they hold, and how many of the first were read in
    the grid's chunks (engine/slots.py: reusing those leaves answers as on an empty cache)."""

    tokens: tuple[int, ...]
    data: bytes
    exact: int = 0


MAGIC = b"CHI_LLM-KV1\n"


def encode(saved: Snapshot, model: dict[str, Any]) -> bytes:
    """A snapshot as a file holds it: a header naming the model it belongs to, then the cells."""
    header: dict[str, Any] = {
        "model": model,
        "tokens": list(saved.tokens),
        "sha256": hashlib.sha256(saved.data).hexdigest(),
    }
    header["exact"] = saved.exact
    return MAGIC + json.dumps(header).encode() + b"\n" + saved.data


def decode_snapshot(blob: bytes, model: dict[str, Any]) -> Snapshot | None:
    """The snapshot in `blob` if it is intact and belongs to `model` (else None: the
    conversation's history is simply evaluated again)."""
    if not blob.startswith(MAGIC):
        return None
    head, _, data = blob[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(head)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser reads
        return None
    if not isinstance(header, dict) or header.get("model") != model:
        return None
    tokens = header.get("tokens")
    if header.get("sha256") != hashlib.sha256(data).hexdigest() or not isinstance(tokens, list):
        return None
    if not all(isinstance(t, int) and not isinstance(t, bool) for t in tokens):
        return None
    exact = header.get("exact", 0)  # absent in files written before it was kept
    if not isinstance(exact, int) or isinstance(exact, bool) or not 0 <= exact <= len(tokens):
        exact = 0
    return Snapshot(tokens=tuple(tokens), data=data, exact=exact)


class KvSessions:
    """The saved cells of conversations that hold no slot now, least recently used dropped first
    beyond a byte budget (thread-safe)."""

    def __init__(self, budget_bytes: int = SESSION_CACHE_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._saved: OrderedDict[str, Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def reset_lock(self) -> None:
        """A forked child: the parent's decode thread may have held the lock at the fork."""
        self._lock = threading.Lock()

    def holds(self, session: str) -> bool:
        """Whether a saved state of `session` is kept."""
        with self._lock:
            return session in self._saved

    def get(self, session: str) -> Snapshot | None:
        with self._lock:
            return self._saved.get(session)

    def take(self, session: str) -> Snapshot | None:
        """Remove and return `session`'s saved state (it is going back into a slot)."""
        with self._lock:
            return self._saved.pop(session, None)

    def adopt(self, session: str, saved: Snapshot) -> None:
        """Keep `saved` as `session`'s state (a conversation resumed from a file)."""
        self.keep(session, saved)

    def forget(self, session: str) -> None:
        with self._lock:
            self._saved.pop(session, None)

    def keep(self, session: str, state: Snapshot) -> None:
        with self._lock:
            self._saved[session] = state
            self._saved.move_to_end(session)
            total = sum(len(s.data) for s in self._saved.values())
            while total > self.budget_bytes and self._saved:
                _, dropped = self._saved.popitem(last=False)
                total -= len(dropped.data)
