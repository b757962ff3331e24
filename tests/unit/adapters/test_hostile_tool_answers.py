"""Tool calls of the wrong shape from Anthropic or Gemini are one clear error, never a traceback,
in streams (sync and async) and whole answers alike."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from chi_llm.adapters.providers.anthropic import AnthropicGenerator
from chi_llm.adapters.providers.gemini import GeminiGenerator
from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.generation import Chunk, GenerationOptions, GenerationRequest, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import Tool, ToolSet
from tests.support.scripted_stream import ScriptedTransport, WholeAnswer

REQUEST = GenerationRequest(
    messages=(Message(role="user", content="hi"),),
    model="m",
    options=GenerationOptions(tools=ToolSet(tools=(Tool(name="clock"),))),
)


def sse(*objects: Any) -> list[str]:
    return [line for o in objects for line in ("data: " + json.dumps(o), "")]


def stream_both(generator: Any) -> None:
    """Read the stream into its calls, sync and async (assembling is where some shapes fail)."""
    with pytest.raises(ChiLlmError):
        collect(generator.stream(REQUEST))

    async def drain() -> list[Chunk]:
        return [chunk async for chunk in generator.astream(REQUEST)]

    with pytest.raises(ChiLlmError):
        collect(asyncio.run(drain()))


START = {"type": "content_block_start", "index": 0}
ANTHROPIC_STREAMS = {
    "block-not-object": sse({**START, "content_block": "tool_use"}),
    "index-not-number": sse({**START, "index": "one", "content_block": {"type": "tool_use", "name": "clock"}}),
    "no-name": sse({**START, "content_block": {"type": "tool_use", "id": "t"}}, {"type": "message_stop"}),
    "input-not-json": sse(
        {**START, "content_block": {"type": "tool_use", "id": "t", "name": "clock"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{oops"}},
    ),
}
GEMINI_STREAMS = {
    "call-not-object": sse({"candidates": [{"content": {"parts": [{"functionCall": "clock"}]}}]}),
    "args-not-object": sse(
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": "clock", "args": [1]}}]}}]}
    ),
    "malformed": sse({"candidates": [{"finishReason": "MALFORMED_FUNCTION_CALL"}]}),
}


@pytest.mark.parametrize("name", sorted(ANTHROPIC_STREAMS))
def test_anthropic_streams_of_the_wrong_shape(name: str) -> None:
    stream_both(AnthropicGenerator(ScriptedTransport(ANTHROPIC_STREAMS[name]), model="m"))


@pytest.mark.parametrize("name", sorted(GEMINI_STREAMS))
def test_gemini_streams_of_the_wrong_shape(name: str) -> None:
    stream_both(GeminiGenerator(ScriptedTransport(GEMINI_STREAMS[name]), model="m"))


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        (AnthropicGenerator, {"content": [{"type": "tool_use", "id": "t", "name": "clock", "input": [1]}]}),
        (AnthropicGenerator, {"content": [{"type": "tool_use", "id": "t"}], "stop_reason": "tool_use"}),
        (AnthropicGenerator, {"content": ["tool_use"]}),
        (GeminiGenerator, {"candidates": [{"content": {"parts": [{"functionCall": None}]}}]}),
    ],
)
def test_whole_answers_of_the_wrong_shape(kind: Any, body: Any) -> None:
    with pytest.raises(ChiLlmError):
        kind(WholeAnswer(body), model="m").generate(REQUEST)
