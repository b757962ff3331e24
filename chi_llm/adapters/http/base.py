"""HttpTextGenerator: the TextGenerator behaviour every HTTP provider shares.

A provider supplies pure wire-mapping functions (payloads, response and stream-event parsing);
this class supplies streaming, async, usage, timings, client-side truncation and errors.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

from chi_llm.adapters.http.framing import Frame, ndjson_frames, sse_frames
from chi_llm.adapters.http.transport import HttpTransport
from chi_llm.domain.errors import ContextLengthExceeded, GenerationFailed
from chi_llm.domain.generation import (
    Chunk,
    Completion,
    FinishReason,
    GenerationRequest,
    Timings,
    Usage,
    answer_room,
    collect,
)
from chi_llm.domain.messages import Message
from chi_llm.domain.ports import ModelLister, TextGenerator

CHARS_PER_TOKEN = 4  # a deliberately generous estimate, used only where the server cannot count for us


@dataclass(frozen=True, slots=True)
class Event:
    """What one stream frame says: a text delta, a finish reason, usage, or an error."""

    text: str = ""
    finish: FinishReason | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    error: str | None = None


def estimate_tokens(text: str) -> int:
    return max(1, -(-len(text) // CHARS_PER_TOKEN))


def fit_messages(messages: tuple[Message, ...], context: int, room: int) -> tuple[Message, ...]:
    """Drop the oldest turns (never the system prompt or the last turn), then the start of the last
    turn, until the estimated prompt leaves `room` tokens to answer in."""
    turns = list(messages)
    budget = max(context - room, 1)

    def size() -> int:
        return sum(estimate_tokens(t.content) + 4 for t in turns)

    while size() > budget:
        droppable = [i for i, t in enumerate(turns[:-1]) if t.role != "system"]
        if droppable:
            del turns[droppable[0]]
            continue
        excess_chars = (size() - budget) * CHARS_PER_TOKEN
        last = turns[-1]
        if excess_chars >= len(last.content):
            break
        turns[-1] = Message(role=last.role, content=last.content[excess_chars:])
    return tuple(turns)


class HttpTextGenerator(TextGenerator, ModelLister):
    """Subclasses set `name`, `framing` ("sse" or "ndjson") and implement the four wire methods."""

    name = "http"
    framing = "sse"

    def __init__(self, transport: HttpTransport, *, model: str | None, context: int | None = None) -> None:
        self.transport = transport
        self.model = model
        self.context = context

    # -- wire mapping, provided by each provider --------------------------------------------
    def request_path(self, request: GenerationRequest, *, stream: bool) -> str:
        raise NotImplementedError

    def to_payload(self, request: GenerationRequest, *, stream: bool) -> dict[str, Any]:
        raise NotImplementedError

    def parse_response(self, body: Any) -> Event:
        raise NotImplementedError

    def parse_event(self, frame: Frame) -> Event | None:
        raise NotImplementedError

    def close(self) -> None:
        self.transport.close()

    async def aclose(self) -> None:
        await self.transport.aclose()

    # -- shared behaviour -------------------------------------------------------------------
    def prepare(self, request: GenerationRequest) -> GenerationRequest:
        """Fill in the model; apply explicit truncation when a context size is known."""
        request = replace(request, model=request.model or self.model)
        if not request.model:
            raise GenerationFailed(
                f"no model set for {self.name}: set `model` in the provider's settings or pass model=...",
                backend=self.name,
            )
        if self.context and request.options.truncate and request.messages:
            room = answer_room(self.context, request.options.max_tokens)
            request = replace(request, messages=fit_messages(request.messages, self.context, room))
        return request

    def _prompt_estimate(self, request: GenerationRequest) -> int:
        text = request.prompt if request.prompt is not None else " ".join(m.content for m in request.messages)
        return estimate_tokens(text)

    def _frames(self, lines: Iterator[str]) -> Iterator[Frame]:
        if self.framing == "sse":
            return sse_frames(lines, backend=self.name)
        return ndjson_frames(lines, backend=self.name)

    def _final(self, request: GenerationRequest, state: dict[str, Any], started: float) -> Chunk:
        usage = Usage(
            prompt_tokens=state["prompt"] if state["prompt"] is not None else self._prompt_estimate(request),
            completion_tokens=state["completion"] if state["completion"] is not None else state["deltas"],
        )
        return Chunk(
            finish_reason=state["finish"] or "stop",
            usage=usage,
            timings=Timings(time_to_first_token=state["first"], total=time.perf_counter() - started),
        )

    def _absorb(self, event: Event, state: dict[str, Any], started: float) -> Chunk | None:
        if event.error:
            if "context" in event.error.lower() and "length" in event.error.lower():
                raise ContextLengthExceeded(prompt_tokens=0, context=self.context or 0, backend=self.name)
            raise GenerationFailed(f"{self.name} reported an error mid-stream: {event.error}", backend=self.name)
        if event.finish:
            state["finish"] = event.finish
        if event.prompt_tokens is not None:
            state["prompt"] = event.prompt_tokens
        if event.completion_tokens is not None:
            state["completion"] = event.completion_tokens
        if event.text:
            state["deltas"] += 1
            if state["first"] is None:
                state["first"] = time.perf_counter() - started
            return Chunk(text=event.text)
        return None

    @staticmethod
    def _new_state() -> dict[str, Any]:
        return {"finish": None, "prompt": None, "completion": None, "deltas": 0, "first": None}

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        request = self.prepare(request)
        return self._stream(request)

    def _stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        started, state = time.perf_counter(), self._new_state()
        path, payload = self.request_path(request, stream=True), self.to_payload(request, stream=True)
        with self.transport.stream("POST", path, json=payload) as response:
            lines = response.iter_lines()
            for frame in self._frames(lines):
                event = self.parse_event(frame)
                if event is not None and (chunk := self._absorb(event, state, started)) is not None:
                    yield chunk
            for _ in lines:  # read to the end so the connection goes back to the pool
                pass
        yield self._final(request, state, started)

    def generate(self, request: GenerationRequest) -> Completion:
        request = self.prepare(request)
        started = time.perf_counter()
        body = self.transport.request_json(
            "POST", self.request_path(request, stream=False), json=self.to_payload(request, stream=False)
        )
        event = self.parse_response(body)
        state = self._new_state()
        chunk = self._absorb(event, state, started)
        if state["completion"] is None:  # the server did not count: estimate
            state["completion"] = estimate_tokens(event.text) if event.text else 0
        final = self._final(request, state, started)
        return collect([c for c in (chunk, final) if c is not None], model=request.model)

    async def agenerate(self, request: GenerationRequest) -> Completion:
        return collect([chunk async for chunk in self.astream(request)], model=request.model or self.model)

    def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        return self._astream(self.prepare(request))

    async def _astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        started, state = time.perf_counter(), self._new_state()
        path, payload = self.request_path(request, stream=True), self.to_payload(request, stream=True)
        async with self.transport.astream("POST", path, json=payload) as response:
            buffer: list[str] = []
            async for line in response.aiter_lines():
                buffer.append(line)
                if self.framing == "sse" and line.strip():
                    continue  # an SSE message ends at a blank line
                for chunk in self._chunks(buffer, state, started):
                    yield chunk
                buffer = []
            for chunk in self._chunks(buffer, state, started):
                yield chunk
        yield self._final(request, state, started)

    def _chunks(self, lines: list[str], state: dict[str, Any], started: float) -> Iterator[Chunk]:
        for frame in self._frames(iter([*lines, ""])):
            event = self.parse_event(frame)
            if event is not None and (chunk := self._absorb(event, state, started)) is not None:
                yield chunk
