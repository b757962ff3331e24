"""Value types of a generation: request, options, streamed chunks and the result."""

from __future__ import annotations

import math
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from chi_llm.domain.errors import GenerationFailed, InvalidRequest
from chi_llm.domain.messages import Message, check_text
from chi_llm.domain.results import JsonResult
from chi_llm.domain.structured import OutputSchema
from chi_llm.domain.tools import ToolCall, ToolCallDelta, ToolSet, assemble

FinishReason = Literal["stop", "length", "tool_calls"]  # leaving a stream early just ends it
DEFAULT_MAX_TOKENS = 512  # when neither the call nor configuration sets max_tokens
DEFAULT_CONTEXT = 4096  # a context window when nothing better is known
# Requests a local model decodes together (slots). Measured on a 2-core CPU with the embedded
# model: aggregate decode 1 -> 120 tok/s, 2 -> 125-135, 4 -> 150-158, 8 -> 160-180 (twice the KV
# memory of 4 for 5-10 % more); llama.cpp's own server also defaults to 4.
DEFAULT_PARALLEL = 4


def answer_room(context: int, max_tokens: int | None) -> int:
    """Tokens a truncated prompt leaves to answer in: max_tokens, at most a quarter of the
    context, at least one. The one rule every backend truncates by."""
    return max(min(max_tokens or DEFAULT_MAX_TOKENS, context // 4), 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationOptions:
    """Sampling and limits. `None` means "use the configured default"."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    truncate: bool = False
    json: bool = False
    schema: OutputSchema | None = None  # the answer must follow this JSON Schema (implies JSON)
    tools: ToolSet | None = None  # tools the model may call (see domain.tools)
    # The answer draws on the prompt's own text (an extraction, a summary, an edit, an answer from
    # retrieved passages): the local engine then tries prompt-lookup drafts (speculation).
    grounded: bool = False

    def __post_init__(self) -> None:
        self._check_types()
        if self.temperature is not None and not 0.0 <= self.temperature <= 2.0:
            raise InvalidRequest(f"temperature must be between 0 and 2, got {self.temperature}")
        if self.top_p is not None and not 0.0 < self.top_p <= 1.0:
            raise InvalidRequest(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise InvalidRequest(f"max_tokens must be at least 1, got {self.max_tokens}")

    def _check_types(self) -> None:
        """Wrong types are the caller's error (InvalidRequest), never a bare TypeError later."""
        for name in ("temperature", "top_p"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise InvalidRequest(f"{name} must be a number, got {value!r}")
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidRequest(f"{name} must be a finite number, got {value!r}")
        for name in ("max_tokens", "seed"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidRequest(f"{name} must be a whole number, got {value!r}")
        stop = self.stop
        if isinstance(stop, str) or not isinstance(stop, (tuple, list)) or not all(isinstance(s, str) for s in stop):
            raise InvalidRequest(f"stop must be a text or a list of texts, got {stop!r}")
        if any(not s for s in stop):
            raise InvalidRequest("stop sequences must not be empty")
        object.__setattr__(self, "stop", tuple(stop))

    @property
    def token_limit(self) -> int:
        """The most tokens to produce: max_tokens, else the built-in default."""
        return self.max_tokens or DEFAULT_MAX_TOKENS

    def over(self, defaults: GenerationOptions) -> GenerationOptions:
        """These options, with every unset value taken from `defaults`."""
        return replace(
            self,
            temperature=self.temperature if self.temperature is not None else defaults.temperature,
            top_p=self.top_p if self.top_p is not None else defaults.top_p,
            max_tokens=self.max_tokens if self.max_tokens is not None else defaults.max_tokens,
            stop=self.stop or defaults.stop,
            seed=self.seed if self.seed is not None else defaults.seed,
            truncate=self.truncate or defaults.truncate,
            json=self.json or defaults.json,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationRequest:
    """What to generate from: chat `messages`, or a raw `prompt` continued with no template."""

    messages: tuple[Message, ...] = ()
    prompt: str | None = None
    model: str | None = None
    options: GenerationOptions = field(default_factory=GenerationOptions)
    session: str | None = None  # the conversation this turn continues (a backend may keep its cache)

    def __post_init__(self) -> None:
        if (self.prompt is None) == (not self.messages):
            raise InvalidRequest("a request needs either messages or a raw prompt, not both")
        if self.prompt is not None:
            check_text(self.prompt, "the prompt")


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Token accounting of one generation."""

    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0  # prompt tokens the backend reused from its cache instead of evaluating

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadUse(JsonResult):
    """The CPU threads a local model decoded with: `used` at the end of the generation, `most` on
    an idle machine (physical cores, or the user's fixed count), `changes` within the generation."""

    used: int
    most: int
    changes: int = 0

    @property
    def contended(self) -> bool:
        """Other processes keep the CPU busy: decoding runs on fewer threads than it would."""
        return self.used < self.most

    def json_fields(self) -> Mapping[str, Any]:
        return {"used": self.used, "most": self.most, "changes": self.changes, "contended": self.contended}


@dataclass(frozen=True, slots=True, kw_only=True)
class Timings:
    """Wall-clock timings of one generation, in seconds (and, for a local model, its threads)."""

    time_to_first_token: float | None
    total: float
    threads: ThreadUse | None = None

    def tokens_per_second(self, completion_tokens: int) -> float | None:
        """Decode rate after the first token, or None when it cannot be measured."""
        if self.time_to_first_token is None or completion_tokens < 2:
            return None
        decode = self.total - self.time_to_first_token
        return (completion_tokens - 1) / decode if decode > 0 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Chunk:
    """One piece of a stream: a text delta, or the final chunk carrying the finish reason."""

    text: str = ""
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    timings: Timings | None = None
    tool_calls: tuple[ToolCallDelta, ...] = ()  # pieces of the tool calls being made
    stop_sequence: str | None = None  # on the final chunk: the request's stop that ended it, where known


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    """The whole result of a generation."""

    text: str
    finish_reason: FinishReason
    usage: Usage
    timings: Timings
    model: str | None = None
    # With a schema: "enforced" when the backend's decoding was bound to it, "requested" when it
    # was only asked for (the answer was validated either way).
    structured: Literal["enforced", "requested"] | None = None
    tool_calls: tuple[ToolCall, ...] = ()  # the calls asked for (finish_reason "tool_calls")
    # The request's stop sequence that ended the answer, where the backend says (None: it did not
    # end on one, or the backend does not tell).
    stop_sequence: str | None = None


def close_stream(chunks: Iterable[object]) -> None:
    """Close a chunk stream early (a generator's `close`), which stops decoding; others are left be."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


async def aclose_stream(chunks: AsyncIterable[object]) -> None:
    """`close_stream` for async streams."""
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


def texts(chunks: Iterator[Chunk], model: str | None, done: Callable[[Completion], object]) -> Iterator[str]:
    """The text of each chunk as it comes; when the stream ends, `done` gets the whole Completion.
    Leaving early closes the stream (which stops decoding) and skips `done`."""
    seen: list[Chunk] = []
    try:
        for chunk in chunks:
            seen.append(chunk)
            if chunk.text:
                yield chunk.text
    finally:
        close_stream(chunks)
    done(collect(seen, model=model))


async def atexts(
    chunks: AsyncIterator[Chunk], model: str | None, done: Callable[[Completion], object]
) -> AsyncIterator[str]:
    """`texts` for async streams."""
    seen: list[Chunk] = []
    try:
        async for chunk in chunks:
            seen.append(chunk)
            if chunk.text:
                yield chunk.text
    finally:
        await aclose_stream(chunks)
    done(collect(seen, model=model))


def resumed(first: Chunk, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """A stream again from its first chunk (read ahead to see errors before committing to it);
    closing it closes the stream, which stops decoding."""
    try:
        yield first
        yield from chunks
    finally:
        close_stream(chunks)


async def aresumed(first: Chunk, chunks: AsyncIterator[Chunk]) -> AsyncIterator[Chunk]:
    """`resumed` for async streams: cancelling the consumer closes the stream."""
    try:
        yield first
        async for chunk in chunks:
            yield chunk
    finally:
        await aclose_stream(chunks)


def collect(chunks: Iterable[Chunk], *, model: str | None = None) -> Completion:
    """Join a stream into a Completion. The stream must end with one chunk carrying finish_reason."""
    parts: list[str] = []
    deltas: list[ToolCallDelta] = []
    final: Chunk | None = None
    for chunk in chunks:
        parts.append(chunk.text)
        deltas.extend(chunk.tool_calls)
        if chunk.finish_reason is not None:
            final = chunk
    if final is None or final.usage is None or final.timings is None:
        raise InvalidRequest("the stream ended without a final chunk carrying finish_reason and usage")
    return Completion(
        text="".join(parts),
        finish_reason=final.finish_reason or "stop",
        usage=final.usage,
        timings=final.timings,
        model=model,
        tool_calls=_calls(deltas, final.finish_reason),
        stop_sequence=final.stop_sequence,
    )


def _calls(deltas: list[ToolCallDelta], finish: FinishReason | None) -> tuple[ToolCall, ...]:
    """The stream's tool calls; one whose arguments the token limit cut off is the backend's
    failure to finish (it says what to do), not a malformed request."""
    try:
        return assemble(deltas)
    except InvalidRequest as error:
        if finish != "length":
            raise
        raise GenerationFailed(
            f"the answer was cut off by max_tokens in the middle of a tool call ({error.message}); "
            "raise max_tokens so the call can be written whole"
        ) from None
