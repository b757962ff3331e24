"""HttpTextGenerator: the TextGenerator behaviour every HTTP provider shares.

A provider supplies pure wire-mapping functions (payloads, response and stream-event parsing);
this class supplies streaming, async, usage, timings, client-side truncation and errors. The
sync and async loops share one frame decoder and one stream state: only the I/O differs.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any

from chi_llm.adapters.providers.http.errors import error_text, stream_error
from chi_llm.adapters.providers.http.framing import Frame, FrameDecoder, Framing, LineSplitter
from chi_llm.adapters.providers.http.stream_state import CHARS_PER_TOKEN, Event, StreamState, estimate_tokens
from chi_llm.adapters.providers.http.transport import HttpTransport
from chi_llm.adapters.tool_text import tools_text, turn_text
from chi_llm.domain.errors import BackendUnavailable, ConfigError, GenerationFailed, redact
from chi_llm.domain.generation import Chunk, Completion, GenerationRequest, answer_room, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.ports import ModelLister, TextGenerator

__all__ = ["Event", "HttpTextGenerator", "estimate_tokens", "fit_messages", "has_tool_turns"]


def has_tool_turns(messages: tuple[Message, ...]) -> bool:
    """Whether a history has tool calls or results in it (which each provider words its own way)."""
    return any(m.tool_calls or m.role == "tool" for m in messages)


def fit_messages(messages: tuple[Message, ...], context: int, room: int) -> tuple[Message, ...]:
    """Drop the oldest turns (never the system prompt or the last round: the last turn, and when
    it is a tool result, the results and the call they answer), a turn's tool calls going with
    their results, then the start of the last turn, until the estimated prompt leaves `room`
    tokens to answer in."""
    turns = list(messages)
    budget = max(context - room, 1)

    def size() -> int:
        return sum(estimate_tokens(turn_text(t)) + 4 for t in turns)

    while size() > budget:
        kept = len(turns) - _last_round(turns)
        droppable = [i for i, t in enumerate(turns[:kept]) if t.role != "system"]
        if droppable:
            _drop(turns, droppable[0])
            continue
        excess_chars = (size() - budget) * CHARS_PER_TOKEN
        last = turns[-1]
        if excess_chars >= len(last.content):
            break
        turns[-1] = replace(last, content=last.content[excess_chars:])
    return tuple(turns)


def _last_round(turns: list[Message]) -> int:
    """How many turns at the end stay together: the last one, and when it is a tool result, the
    results before it and the assistant turn whose calls they answer."""
    count = 1
    while count < len(turns) and turns[-count].role == "tool" and turns[-count - 1].role == "tool":
        count += 1
    if turns[-count].role == "tool" and count < len(turns) and turns[-count - 1].tool_calls:
        count += 1
    return count


def _drop(turns: list[Message], index: int) -> None:
    """Drop a turn; an assistant's calls take the results that answer them along (never the last turn)."""
    ids = {call.id for call in turns[index].tool_calls}
    del turns[index]
    while ids and index < len(turns) - 1 and turns[index].role == "tool" and turns[index].tool_call_id in ids:
        del turns[index]


def _with_end(pieces: Iterator[str]) -> Iterator[str | None]:
    yield from pieces
    yield None


async def _awith_end(pieces: AsyncIterator[str]) -> AsyncIterator[str | None]:
    async for piece in pieces:
        yield piece
    yield None


class HttpTextGenerator(TextGenerator, ModelLister):
    """Subclasses set `name`, `framing` ("sse" or "ndjson") and implement the wire methods."""

    name = "http"
    framing: Framing = "sse"

    def __init__(self, transport: HttpTransport, *, model: str | None, context: int | None = None) -> None:
        self.transport = transport
        self.model = model
        self.context = context

    def context_window(self) -> int | None:
        """The profile's `context` setting (else the configured `context`); None when neither is
        set (servers do not say it in a form every provider shares)."""
        return self.context

    # -- wire mapping, provided by each provider --------------------------------------------
    def request_path(self, request: GenerationRequest, *, stream: bool) -> str:
        raise NotImplementedError

    def to_payload(self, request: GenerationRequest, *, stream: bool) -> dict[str, Any]:
        raise NotImplementedError

    def parse_response(self, body: Any) -> Event:
        raise NotImplementedError

    def parse_event(self, frame: Frame) -> Event | None:
        raise NotImplementedError

    def list_models(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def stream_reader(self, request: GenerationRequest) -> Callable[[Frame], Event | None]:
        """How this request's stream frames are read: `parse_event`, unless a provider's frames
        depend on the request or on earlier frames (then a fresh reader per stream)."""
        return self.parse_event

    def response_reader(self, request: GenerationRequest) -> Callable[[Any], Event]:
        """How this request's whole answer is read: `parse_response`, unless it depends on the request."""
        return self.parse_response

    def close(self) -> None:
        self.transport.close()

    async def aclose(self) -> None:
        await self.transport.aclose()

    # -- shared behaviour -------------------------------------------------------------------
    def prepare(self, request: GenerationRequest) -> GenerationRequest:
        """Fill in the model; apply explicit truncation when a context size is known."""
        request = replace(request, model=request.model or self.model)
        if not request.model:
            raise ConfigError(
                f"no model set for {self.name}: set `model` in the provider's settings "
                "(`chi-llm providers set ID --set model=NAME`) or pass --model / model=...",
                key="model",
            )
        if self.context and request.options.truncate and request.messages:
            room = answer_room(self.context, request.options.max_tokens)
            request = replace(request, messages=fit_messages(request.messages, self.context, room))
        return request

    def _prompt_estimate(self, request: GenerationRequest) -> int:
        if request.prompt is not None:
            return estimate_tokens(request.prompt)
        tools = request.options.tools
        return estimate_tokens(" ".join([*map(turn_text, request.messages), *([tools_text(tools)] if tools else [])]))

    def _state(self, request: GenerationRequest) -> StreamState:
        return StreamState(
            backend=self.name,
            context=self.context,
            prompt_estimate=self._prompt_estimate(request),
            secrets=self.transport.secrets,
        )

    def _understood(self, parse: Callable[[Any], Event | None], value: Any) -> Event | None:
        """Run a wire parser; an answer of the wrong shape is one clear error, never a traceback."""
        try:
            event = parse(value)
            if event is not None and not isinstance(event.text, str):
                raise TypeError("text is not text")
            return event
        except (AttributeError, TypeError, KeyError, IndexError, ValueError):
            shown = redact(repr(getattr(value, "data", value))[:160], self.transport.secrets)
            raise GenerationFailed(
                f"{self.name} at {self.transport.base_url} sent an answer this client does not understand "
                f"({shown}); is `base_url` right, and is it a {self.name} server?",
                backend=self.name,
            ) from None

    def _chunks(
        self, line: str | None, decoder: FrameDecoder, state: StreamState, read: Callable[[Frame], Event | None]
    ) -> Iterator[Chunk]:
        """The chunks one line completes (None: the stream ended, which must have said something)."""
        frames = decoder.end() if line is None else decoder.feed(line)
        for frame in frames:
            chunk = state.absorb(self._understood(read, frame))
            if chunk is not None:
                yield chunk
        if line is None and not state.events:
            raise GenerationFailed(
                f"{self.name} at {self.transport.base_url} answered without a generation (no stream events); "
                "is `base_url` right?",
                backend=self.name,
            )

    def _open(self, request: GenerationRequest) -> tuple[str, dict[str, Any], FrameDecoder, StreamState]:
        path, payload = self.request_path(request, stream=True), self.to_payload(request, stream=True)
        return path, payload, FrameDecoder(self.framing, backend=self.name), self._state(request)

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        return self._stream(self.prepare(request))

    def _lines(self, text: str | None, splitter: LineSplitter, deadline: float) -> list[str | None]:
        """The complete lines in a piece of received text (None ends the stream), within the
        request's overall deadline: a server trickling forever is cut off."""
        if time.monotonic() > deadline:
            raise BackendUnavailable(
                f"{self.name} at {self.transport.base_url} took longer than total_timeout "
                f"({self.transport.total_timeout:g} s); raise the provider's total_timeout for very long answers",
                backend=self.name,
            )
        if text is None:
            return [*splitter.end(), None]
        return list(splitter.feed(text))

    def _stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        path, payload, decoder, state = self._open(request)
        splitter, deadline = LineSplitter(backend=self.name), time.monotonic() + self.transport.total_timeout
        read = self.stream_reader(request)
        with self.transport.stream("POST", path, json=payload) as response:
            for text in _with_end(response.iter_text()):
                for line in self._lines(text, splitter, deadline):  # read to the end: the connection is reused
                    yield from self._chunks(line, decoder, state, read)
        yield state.final()

    def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        return self._astream(self.prepare(request))

    async def _astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        path, payload, decoder, state = self._open(request)
        splitter, deadline = LineSplitter(backend=self.name), time.monotonic() + self.transport.total_timeout
        read = self.stream_reader(request)
        async with self.transport.astream("POST", path, json=payload) as response:
            async for text in _awith_end(response.aiter_text()):
                for line in self._lines(text, splitter, deadline):
                    for chunk in self._chunks(line, decoder, state, read):
                        yield chunk
        yield state.final()

    def answering_model(self, request: GenerationRequest) -> str | None:
        return request.model or self.model

    def generate(self, request: GenerationRequest) -> Completion:
        # Overridden: a whole answer is one POST without streaming (the provider's own
        # non-streaming reply, usage included), not a stream collected frame by frame.
        request = self.prepare(request)
        state = self._state(request)
        body = self.transport.request_json(
            "POST", self.request_path(request, stream=False), json=self.to_payload(request, stream=False)
        )
        if isinstance(body, dict) and body.get("error"):
            raise stream_error(
                redact(error_text(body), self.transport.secrets), backend=self.name, context=self.context
            )
        event = self._understood(self.response_reader(request), body)
        chunk = state.absorb(event)
        if event is None or not (event.text or event.tool_calls or event.finish or event.completion_tokens is not None):
            raise GenerationFailed(
                f"{self.name} at {self.transport.base_url} answered without a generation; is `base_url` right?",
                backend=self.name,
            )
        final = state.final(whole_text=event.text + "".join(call.arguments for call in event.tool_calls))
        return collect([c for c in (chunk, final) if c is not None], model=request.model)
