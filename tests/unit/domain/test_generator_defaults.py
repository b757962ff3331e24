"""The TextGenerator port: an adapter implements streaming; whole answers are collected from it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

from chi_llm.domain.generation import Chunk, GenerationRequest, Timings, Usage
from chi_llm.domain.messages import Message
from chi_llm.domain.ports import TextGenerator


class StreamOnly(TextGenerator):
    """Implements only what the port requires: the two streams and closing."""

    name = "stream-only"

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        yield Chunk(text="sync ")
        yield Chunk(text="answer")
        yield Chunk(
            finish_reason="length",
            usage=Usage(prompt_tokens=3, completion_tokens=2),
            timings=Timings(time_to_first_token=None, total=0.0),
        )

    async def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        yield Chunk(text="async answer")
        yield Chunk(
            finish_reason="stop",
            usage=Usage(prompt_tokens=3, completion_tokens=1),
            timings=Timings(time_to_first_token=None, total=0.0),
        )

    def close(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


REQUEST = GenerationRequest(messages=(Message(role="user", content="hi"),), model="m1")


def test_generate_collects_the_stream() -> None:
    done = StreamOnly().generate(REQUEST)
    assert (done.text, done.finish_reason, done.usage.completion_tokens, done.model) == (
        "sync answer",
        "length",
        2,
        "m1",
    )


def test_agenerate_collects_the_async_stream() -> None:
    done = asyncio.run(StreamOnly().agenerate(REQUEST))
    assert (done.text, done.finish_reason, done.model) == ("async answer", "stop", "m1")
