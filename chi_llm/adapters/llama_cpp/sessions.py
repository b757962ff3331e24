"""Conversations sharing one loaded model, each with its own KV cache.

A loaded model has one KV cache. When a turn of another conversation used it since, the cache is
swapped: the leaving conversation's KV cells are saved (llama.cpp's per-sequence state API) and
the arriving one's restored, so its turn evaluates only its new tokens, not its whole history.
Saved states are kept in RAM, least recently used dropped first beyond a byte budget.

Why not `Llama.save_state`: it also copies the logits rows (up to n_batch x n_vocab floats:
~100 MB for a 49k vocabulary, ~300 MB for Qwen's), which a restored conversation never needs
because llama-cpp-python re-evaluates at least one token after a restore anyway. The KV cells
alone cost kv_bytes_per_token per token (23 KB for the default model).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SESSION_CACHE_BYTES = 1 << 30  # saved conversation states per model, at most


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A conversation's KV cells and the tokens they hold."""

    tokens: tuple[int, ...]
    data: bytes


MAGIC = b"CHI_LLM-KV1\n"


def encode(saved: Snapshot, model: dict[str, Any]) -> bytes:
    """A snapshot as a file holds it: a header naming the model it belongs to, then the cells."""
    header = {"model": model, "tokens": list(saved.tokens), "sha256": hashlib.sha256(saved.data).hexdigest()}
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
    return Snapshot(tokens=tuple(tokens), data=data)


def snapshot(llm: Any) -> Snapshot:
    import llama_cpp

    ctx = llm._ctx.ctx
    size = int(llama_cpp.llama_state_seq_get_size(ctx, 0))
    buffer = (ctypes.c_uint8 * size)()
    written = int(llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0))
    tokens = tuple(llm.input_ids[: llm.n_tokens].tolist())
    return Snapshot(tokens=tokens, data=bytes(memoryview(buffer)[:written]))


def restore(llm: Any, saved: Snapshot) -> bool:
    """Put `saved` back in the model's KV cache. False (cache cleared) when llama.cpp refuses it."""
    import llama_cpp

    ctx = llm._ctx.ctx
    # Metadata only: the cells are marked free (zeroing the whole KV buffer took 8 ms here).
    llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), False)
    llm.n_tokens = 0
    buffer = (ctypes.c_uint8 * len(saved.data)).from_buffer_copy(saved.data)
    if int(llama_cpp.llama_state_seq_set_data(ctx, buffer, len(saved.data), 0)) == 0:
        return False
    count = len(saved.tokens)
    llm.input_ids[:count] = saved.tokens
    llm.n_tokens = count
    llm._requires_eval = True  # the logits are not restored: the next decode refreshes them
    return True


def shared_prefix(cached: Sequence[int], tokens: Sequence[int]) -> int:
    """How many leading prompt tokens the cache already holds (llama-cpp-python re-evaluates the
    last one when the whole prompt is cached, to refresh the logits)."""
    count = 0
    for a, b in zip(cached, tokens, strict=False):
        if a != b:
            break
        count += 1
    return min(count, max(len(tokens) - 1, 0))


class KvSessions:
    """Which conversation the live KV cache belongs to, and the saved states of the others."""

    def __init__(self, budget_bytes: int = SESSION_CACHE_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self.owner: str | None = None
        self._saved: OrderedDict[str, Snapshot] = OrderedDict()
        self._ended: set[str] = set()
        self._lock = threading.Lock()

    def holds(self, session: str) -> bool:
        """Whether a saved state of `session` is kept."""
        with self._lock:
            return session in self._saved

    def activate(self, llm: Any, session: str | None) -> None:
        """Make the live cache `session`'s (called on the model's decode thread only). A request
        outside any session leaves the cache as it is: llama-cpp-python reuses what prefix it can."""
        if session == self.owner:
            return
        leaving = self.owner
        with self._lock:
            ended = leaving in self._ended
            self._ended.discard(leaving or "")
        if leaving is not None and not ended and llm.n_tokens > 0:
            self._keep(leaving, snapshot(llm))
        self.owner = session
        if session is None:
            return
        with self._lock:
            saved = self._saved.pop(session, None)
        if saved is not None and not restore(llm, saved):
            llm.reset()

    def export(self, llm: Any, session: str) -> Snapshot | None:
        """`session`'s cells: live (on the decode thread only) or saved; None when none are kept."""
        if session == self.owner and llm.n_tokens > 0:
            return snapshot(llm)
        with self._lock:
            return self._saved.get(session)

    def adopt(self, session: str, saved: Snapshot) -> None:
        """Keep `saved` as `session`'s state (a conversation resumed from a file)."""
        self._keep(session, saved)

    def forget(self, session: str) -> None:
        """A conversation ended: drop its saved state; its live cells, if any, are not saved when
        the next conversation takes the cache (safe from any thread)."""
        with self._lock:
            self._saved.pop(session, None)
            if self.owner == session:
                self._ended.add(session)

    def _keep(self, session: str, state: Snapshot) -> None:
        with self._lock:
            self._saved[session] = state
            self._saved.move_to_end(session)
            total = sum(len(s.data) for s in self._saved.values())
            while total > self.budget_bytes and self._saved:
                _, dropped = self._saved.popitem(last=False)
                total -= len(dropped.data)
