"""What a stream has said so far — text, finish reason, usage, timings — for sync and async loops alike."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from chi_llm.adapters.providers.http.errors import stream_error
from chi_llm.domain.errors import redact
from chi_llm.domain.generation import Chunk, FinishReason, Timings, Usage
from chi_llm.domain.tools import ToolCallDelta

CHARS_PER_TOKEN = 4  # a deliberately generous estimate, used only where the server cannot count for us


def estimate_tokens(text: str) -> int:
    return max(1, -(-len(text) // CHARS_PER_TOKEN))


@dataclass(frozen=True, slots=True)
class Event:
    """What one stream frame (or a whole response) says: a text delta, tool-call pieces, a finish
    reason, usage, or an error. `whole_calls`: the pieces are whole calls (a provider that sends
    each call complete), numbered here in stream order whatever index the server gave."""

    text: str = ""
    tool_calls: tuple[ToolCallDelta, ...] = ()
    finish: FinishReason | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    error: str | None = None
    whole_calls: bool = False


def _count(value: object, previous: int | None) -> int | None:
    """A token count from a server: a whole number >= 0, else ignored (the estimate stands)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return previous


class StreamState:
    """Absorbs events into chunks and builds the final chunk. Counts deltas where the server
    reports no usage, and times the first token."""

    def __init__(
        self, *, backend: str, context: int | None, prompt_estimate: int, secrets: tuple[str, ...] = ()
    ) -> None:
        self.backend = backend
        self.secrets = secrets
        self.context = context
        self.prompt_estimate = prompt_estimate
        self.started = time.perf_counter()
        self.finish: FinishReason | None = None
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.deltas = 0
        self.events = 0  # events understood: a stream that says nothing is not a generation
        self.first: float | None = None
        self.calls = 0  # whole calls numbered so far (`Event.whole_calls`)
        self.called = False  # the answer asked for tool calls

    def absorb(self, event: Event | None) -> Chunk | None:
        """The chunk to hand on for `event`, if any. A reported error is raised, mapped by the
        same pattern table as HTTP error bodies (a context overflow stays a context error)."""
        if event is None:
            return None
        if event.error:
            raise stream_error(redact(str(event.error), self.secrets), backend=self.backend, context=self.context)
        self.events += 1
        if event.finish:
            self.finish = event.finish
        self.prompt_tokens = _count(event.prompt_tokens, self.prompt_tokens)
        self.completion_tokens = _count(event.completion_tokens, self.completion_tokens)
        calls = event.tool_calls
        if event.whole_calls:
            calls = tuple(replace(call, index=self.calls + i) for i, call in enumerate(calls))
            self.calls += len(calls)
        if not event.text and not calls:
            return None
        self.called = self.called or bool(calls)
        self.deltas += 1
        if self.first is None:
            self.first = time.perf_counter() - self.started
        return Chunk(text=event.text, tool_calls=calls)

    def _finish(self) -> FinishReason:
        """The server's finish reason, told by what came: an answer with tool calls finishes
        "tool_calls" (some servers say "stop"), unless it was cut off ("length"); "tool_calls"
        without any call is a plain stop."""
        if self.finish == "length":
            return "length"
        return "tool_calls" if self.called else "stop"

    def final(self, *, whole_text: str | None = None) -> Chunk:
        """The last chunk: finish reason, usage (the server's, else estimated), timings.
        `whole_text`: a non-streamed answer's text, to estimate its tokens when uncounted."""
        completion = self.completion_tokens
        if completion is None:
            completion = (estimate_tokens(whole_text) if whole_text else 0) if whole_text is not None else self.deltas
        return Chunk(
            finish_reason=self._finish(),
            usage=Usage(
                prompt_tokens=self.prompt_tokens if self.prompt_tokens is not None else self.prompt_estimate,
                completion_tokens=completion,
            ),
            # A whole (non-streamed) answer has no first-token time: no decode rate is made up.
            timings=Timings(
                time_to_first_token=self.first if whole_text is None else None,
                total=time.perf_counter() - self.started,
            ),
        )
