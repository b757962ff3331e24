"""One answer through the model's scheduler: its sampler settings, its text (incremental UTF-8,
stop sequences, the opening check of tool calls), its final chunk with usage and timings."""

from __future__ import annotations

import codecs
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chi_llm.adapters.llama_cpp.engine.requests import Outcome, Request
from chi_llm.adapters.llama_cpp.engine.sampling import SamplingPlan
from chi_llm.adapters.llama_cpp.loader import LoadedModel
from chi_llm.adapters.llama_cpp.tool_syntax import WAIT, CallSyntax
from chi_llm.domain.errors import ChiLlmError, GenerationFailed
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
    lookup: bool = False  # grounded in its prompt: prompt-lookup drafts are tried (engine/lookup.py)


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


class _Text:
    """Turns one answer's tokens into text deltas on the scheduler's thread: incremental UTF-8,
    stop sequences (held back while they may still be forming) and the answer's opening check."""

    def __init__(
        self,
        llm: Any,
        stops: Sequence[str],
        opening: Callable[[str], int | None] | None,
        emit: Callable[[Chunk], None],
        counter: TokenCounter,
    ) -> None:
        self._llm, self._stops, self._opening, self._emit, self._counter = llm, stops, opening, emit, counter
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending = ""
        self.matched: str | None = None
        self.stopped = False

    def token(self, token: int) -> bool:
        """Take a sampled token; False when the answer ends with it (a stop or an opening)."""
        self._counter.value += 1
        self.pending += self._utf8.decode(self._llm.detokenize([token]))
        cut, self.matched, self._opening = _ends(self.pending, self._stops, self._opening)
        if cut >= 0:
            self.pending, self.stopped = self.pending[:cut], True
            return False
        keep = len(self.pending) if self._opening is not None else held_back(self.pending, self._stops)
        if len(self.pending) > keep:
            self._emit(Chunk(text=self.pending[: len(self.pending) - keep]))
            self.pending = self.pending[len(self.pending) - keep :]
        return True

    def tail(self, finish: FinishReason) -> str:
        """What is left to emit once the answer ended."""
        if finish == "stop" and self._stops:
            return self.pending
        return self.pending + self._utf8.decode(b"", final=True)


def plan_of(work: DecodeJob) -> SamplingPlan:
    """The sampler settings of a job: the request's own, else the model's recommended ones."""
    options, sampling = work.options, work.sampling
    return SamplingPlan(
        temperature=options.temperature if options.temperature is not None else sampling.temperature,
        top_k=sampling.top_k,
        top_p=options.top_p or sampling.top_p,
        min_p=sampling.min_p,
        repeat_penalty=sampling.repeat_penalty,
        seed=options.seed if options.seed is not None else random.randrange(2**31),  # noqa: S311 (sampling)
        grammar=work.grammar,
    )


def decode(
    model: LoadedModel,
    work: DecodeJob,
    counter: TokenCounter,
    emit: Callable[[Chunk], None],
    cancelled: threading.Event,
) -> str | None:
    """Decode `work` in the model's scheduler (beside whatever else it decodes), emitting text
    deltas and one final chunk; returns the stop sequence that ended the answer, if one did.
    Blocks the calling thread until the answer ends; setting `cancelled` (the consumer went away)
    ends it after the current step."""
    prompt = work.prompt
    text = _Text(model.llm, work.stops, work.opening, emit, counter)
    ended: list[Outcome] = []
    done = threading.Event()

    def finished(outcome: Outcome) -> None:
        ended.append(outcome)
        done.set()

    request = Request(
        prompt=list(prompt),
        plan=plan_of(work),
        limit=max(min(work.options.token_limit, model.context - len(prompt)), 0),
        on_token=text.token,
        on_done=finished,
        session=work.session,
        lookup=work.lookup,
        cancelled=cancelled,
    )
    model.scheduler.submit(request)
    while not done.wait(0.25):
        if cancelled.is_set():
            model.scheduler.wake()
    outcome = ended[0]
    if outcome.ending == "error":
        if isinstance(outcome.error, ChiLlmError):  # already says what happened and what to do
            raise outcome.error
        raise GenerationFailed(
            f"llama.cpp failed while decoding: {outcome.error}; send the request again, and if it keeps "
            "failing lower `parallel` or `context` (`chi-llm diagnostics` checks memory)",
            backend="llama.cpp",
        ) from outcome.error
    finish: FinishReason = "stop" if outcome.ending == "stop" else "length"
    matched = text.matched if text.stopped else None
    if tail := text.tail(finish):
        emit(Chunk(text=tail))
    emit(
        Chunk(
            finish_reason=finish,
            usage=Usage(prompt_tokens=len(prompt), completion_tokens=outcome.produced, cached_tokens=outcome.cached),
            timings=Timings(time_to_first_token=outcome.first, total=outcome.total, threads=outcome.threads),
            stop_sequence=matched if matched in work.options.stop else None,  # the request's own, not the template's
        )
    )
    return matched
