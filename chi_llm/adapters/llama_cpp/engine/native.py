"""The llama.cpp context the scheduler decodes in: `slots` sequences, each with a KV stream of its
own (`kv_unified` off), filled through one reusable llama_batch.

Why one stream per sequence: a sequence's cells then sit at the same places whether it decodes
alone or beside others, so its logits are bit-identical either way while it holds fewer than 256
cells with several threads (scheduler.py says why not past that; with one unified cache the
cells interleave, attention sums them in another order, and greedy answers drift after a few
dozen tokens); attention also covers only the sequence's own cells, which measured faster here
(4 sequences: 154 tok/s against 142 unified). Cells shared between sequences are copied (`copy`),
which is still far cheaper than evaluating a long prefix again.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chi_llm.domain.errors import GenerationFailed, InsufficientResources

if TYPE_CHECKING:  # numpy comes with llama.cpp, at the first decode (not when the adapter is built)
    import numpy as np


def logits_row(ctx: Any, row: int, size: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The `size` logits of batch row `row` of `ctx`'s last decode, as a writable numpy view of
    llama.cpp's buffer (valid until the next decode: copy to keep)."""
    import llama_cpp
    import numpy as np

    pointer = llama_cpp.llama_get_logits_ith(ctx, row)
    values = (ctypes.c_float * size).from_address(ctypes.addressof(pointer.contents))
    return np.frombuffer(memoryview(values), dtype=np.float32)


@dataclass(frozen=True, slots=True)
class Entry:
    """One token of a step: which sequence, at which position, and whether its logits are read."""

    seq: int
    token: int
    pos: int
    logits: bool


class NativeContext:
    """A llama_context of `slots` sequences of `context` cells each. Every call happens on the
    scheduler's thread."""

    def __init__(self, model: Any, *, context: int, slots: int, batch: int, threads: int, gpu: bool) -> None:
        import llama_cpp
        from llama_cpp._internals import LlamaContext

        self._llama = llama_cpp
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = context * slots
        params.n_batch = batch
        params.n_ubatch = batch
        params.n_seq_max = slots
        params.kv_unified = False
        params.n_threads = threads
        params.n_threads_batch = threads
        params.offload_kqv = gpu
        params.no_perf = True
        try:
            self._ctx = LlamaContext(model=model, params=params, verbose=False)
        except ValueError as exc:  # llama_init_from_model returned NULL: the KV cache did not fit
            raise InsufficientResources(
                f"llama.cpp could not allocate {slots} sequence(s) of {context} tokens ({exc}); "
                "lower the `parallel` setting or `context`",
                backend="llama.cpp",
            ) from exc
        self.llama_context = self._ctx
        self.ctx = self._ctx.ctx
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.slots = slots
        self.capacity = batch
        self.vocab_size = int(llama_cpp.llama_vocab_n_tokens(model.vocab))
        self._batch = llama_cpp.llama_batch_init(batch, 0, 1)
        self.threads = threads

    def set_threads(self, threads: int) -> None:
        if threads != self.threads:
            self._llama.llama_set_n_threads(self.ctx, threads, threads)
            self.threads = threads

    def decode(self, entries: Sequence[Entry]) -> None:
        """Evaluate `entries` in one llama_decode; their logits rows are their indexes."""
        if len(entries) > self.capacity:  # writing past the batch's arrays corrupts memory
            raise GenerationFailed(
                f"a batch of {len(entries)} tokens exceeds the engine's {self.capacity}", backend="llama.cpp"
            )
        batch = self._batch
        for index, entry in enumerate(entries):
            batch.token[index] = entry.token
            batch.pos[index] = entry.pos
            batch.n_seq_id[index] = 1
            batch.seq_id[index][0] = entry.seq
            batch.logits[index] = entry.logits
        batch.n_tokens = len(entries)
        code = int(self._llama.llama_decode(self.ctx, batch))
        if code != 0:
            raise GenerationFailed(
                f"llama.cpp failed to decode a batch of {len(entries)} tokens (code {code})", backend="llama.cpp"
            )

    def logits(self, row: int) -> np.ndarray[Any, np.dtype[np.float32]]:
        """The logits of batch row `row` of the last decode, as a numpy view (copy to keep)."""
        return logits_row(self.ctx, row, self.vocab_size)

    def drop(self, seq: int, start: int = 0) -> None:
        """Free `seq`'s cells from position `start` on."""
        self._llama.llama_memory_seq_rm(self.memory, seq, start, -1)

    def copy(self, source: int, target: int, keep: int) -> bool:
        """Make `target` hold `source`'s first `keep` cells, now. Through the per-sequence state API,
        not `llama_memory_seq_cp`: across streams that copies the whole stream and only at the next
        decode, so a save or restore in between would read or be overwritten by stale cells.
        False (target left empty) when llama.cpp refuses the cells."""
        if not self.restore(target, self.save(source)):
            return False
        self.drop(target, keep)
        return True

    def save(self, seq: int) -> bytes:
        """`seq`'s cells, as llama.cpp serialises them."""
        size = int(self._llama.llama_state_seq_get_size(self.ctx, seq))
        buffer = (ctypes.c_uint8 * size)()
        written = int(self._llama.llama_state_seq_get_data(self.ctx, buffer, size, seq))
        return bytes(memoryview(buffer)[:written])

    def restore(self, seq: int, data: bytes) -> bool:
        """Put saved cells into `seq` (emptied first). False (left empty) when llama.cpp refuses them."""
        self.drop(seq)
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if int(self._llama.llama_state_seq_set_data(self.ctx, buffer, len(data), seq)) == 0:
            self.drop(seq)
            return False
        return True

    def close(self) -> None:
        if self._batch is not None:
            self._llama.llama_batch_free(self._batch)
            self._batch = None
        self._ctx.close()  # type: ignore[no-untyped-call]
