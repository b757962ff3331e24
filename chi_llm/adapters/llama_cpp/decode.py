"""The token loop: sample, detokenize incrementally, honour stop sequences and limits."""

from __future__ import annotations

import codecs
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chi_llm.adapters.llama_cpp.loader import LoadedModel
from chi_llm.adapters.llama_cpp.pacing import Pace
from chi_llm.adapters.llama_cpp.sessions import shared_prefix
from chi_llm.adapters.llama_cpp.tool_syntax import WAIT, CallSyntax
from chi_llm.domain.errors import GenerationFailed
from chi_llm.domain.generation import Chunk, FinishReason, GenerationOptions, Timings, Usage
from chi_llm.domain.models.spec import Sampling


def held_back(text: str, stops: Sequence[str]) -> int:
    """Length of the longest tail of `text` that could still grow into a stop sequence."""
    best = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), best, -1):
            if stop.startswith(text[-size:]):
                best = size
                break
    return best


OPENING = "the answer's opening"  # what `decode` returns when `DecodeJob.opening` ended the answer


class TokenCounter:
    """Counts every token sampled, across all generations of one adapter."""

    def __init__(self) -> None:
        self.value = 0


@dataclass(frozen=True, slots=True)
class DecodeJob:
    """What one generation decodes: prompt tokens, options, stops, the model's recommended
    sampling and the conversation whose KV cache it continues (None: no conversation)."""

    prompt: list[int]
    options: GenerationOptions
    stops: Sequence[str]
    sampling: Sampling
    session: str | None = None
    grammar: str | None = None  # GBNF llama.cpp already accepted (grammar.grammar_for)
    after_opener: str | None = None  # the calls' grammar once free text writes the call opener (tool_decode)
    calls: CallSyntax | None = None  # the answer may call tools, written in this syntax (tool_reader)
    after_start: str | None = None  # the calls' grammar once the answer opens with one untagged (tool_decode)
    # Where the answer's text so far opens something that ends it (its start; WAIT: text held
    # back until it is known; None: it does not): decode then returns OPENING (tool_decode).
    opening: Callable[[str], int | None] | None = None


def _ends(
    pending: str, stops: Sequence[str], opening: Callable[[str], int | None] | None
) -> tuple[int, str | None, Callable[[str], int | None] | None]:
    """Where the answer's text ends (-1: not yet), the stop (or OPENING) that ends it, and the
    opening check still to make (None once the answer's start is known not to open anything)."""
    cut, matched = min(((i, s) for s in stops if (i := pending.find(s)) >= 0), default=(-1, None))
    if cut < 0 and opening is not None:
        at = opening(pending)
        if at is None:
            return cut, matched, None
        if at != WAIT:
            return at, OPENING, opening
    return cut, matched, opening


def decode(
    model: LoadedModel,
    work: DecodeJob,
    counter: TokenCounter,
    emit: Callable[[Chunk], None],
    cancelled: threading.Event,
) -> str | None:
    """Emit text deltas and one final chunk, on the model's decode thread. Stops after the
    current token once `cancelled` is set (the consumer went away). Returns the stop sequence
    that ended the answer, if one did."""
    from llama_cpp import llama_vocab_is_eog as is_eog

    llm, options, stops, sampling, prompt = model.llm, work.options, work.stops, work.sampling, work.prompt
    vocab = llm._model.vocab
    room = model.context - len(prompt)
    limit = min(options.token_limit, room)
    with model.lock:
        pace = Pace(llm, model.threads)
        model.sessions.activate(llm, work.session)
        cached = shared_prefix(llm.input_ids[: llm.n_tokens], prompt)
        started = time.perf_counter()
        first: float | None = None
        produced = 0
        finish: FinishReason = "length"
        matched: str | None = None
        utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        opening = work.opening
        llm.set_seed(options.seed if options.seed is not None else random.randrange(2**31))  # noqa: S311 (sampling)
        grammar = None
        if work.grammar is not None:
            from llama_cpp.llama_grammar import LlamaGrammar

            grammar = LlamaGrammar.from_string(work.grammar, verbose=False)
        tokens = llm.generate(
            prompt,
            grammar=grammar,
            top_k=sampling.top_k,
            top_p=options.top_p or sampling.top_p,
            min_p=sampling.min_p,
            temp=options.temperature if options.temperature is not None else sampling.temperature,
            repeat_penalty=sampling.repeat_penalty,
            reset=True,
        )
        try:
            for token in tokens:
                now = pace.token()
                if first is None:
                    first = now - started
                if is_eog(vocab, token):
                    finish = "stop"
                    break
                produced += 1
                counter.value += 1
                pending += utf8.decode(llm.detokenize([token]))
                cut, matched, opening = _ends(pending, stops, opening)
                if cut >= 0:
                    pending, finish = pending[:cut], "stop"
                    break
                keep = len(pending) if opening is not None else held_back(pending, stops) if stops else 0
                if len(pending) > keep:
                    emit(Chunk(text=pending[: len(pending) - keep]))
                    pending = pending[len(pending) - keep :]
                if produced >= limit or cancelled.is_set():
                    break
        except (RuntimeError, OSError) as exc:
            raise GenerationFailed(f"llama.cpp failed while decoding: {exc}", backend="llama.cpp") from exc
        finally:
            tokens.close()
        tail = pending + (utf8.decode(b"", final=True) if finish != "stop" or not stops else "")
        if tail:
            emit(Chunk(text=tail))
        emit(
            Chunk(
                finish_reason=finish,
                usage=Usage(prompt_tokens=len(prompt), completion_tokens=produced, cached_tokens=cached),
                timings=Timings(
                    time_to_first_token=first,
                    total=time.perf_counter() - started,
                    threads=pace.used(),
                ),
            )
        )
    return matched
