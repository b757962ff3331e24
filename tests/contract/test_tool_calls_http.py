"""Anthropic and Gemini adapters call tools against their protocol servers: the calls, whole
and streamed (sync and async), assemble to the same thing, and results go back to the model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from chi_llm.domain.generation import GenerationOptions, GenerationRequest, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import Tool, ToolCall, ToolSet
from tests.contract.conftest import CONTEXT, registry_build
from tests.support.servers.anthropic import AnthropicHandler
from tests.support.servers.base import Server, serve
from tests.support.servers.gemini import GeminiHandler
from tests.support.servers.tool_script import ToolEngine

WEATHER = Tool(name="weather", parameters={"type": "object", "properties": {"echo": {"type": "string"}}})
CLOCK = Tool(name="clock", parameters={"type": "object", "properties": {"echo": {"type": "string"}}})
HANDLERS = {"anthropic": AnthropicHandler, "gemini": GeminiHandler}


@pytest.fixture(params=sorted(HANDLERS))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Server]]:
    engine = ToolEngine(context=CONTEXT, models=("fake-model",))
    with serve(HANDLERS[request.param], Server(engine=engine, api_key="sk-test")) as server:
        generator = registry_build(
            request.param, base_url=server.url, api_key="sk-test", model="fake-model", max_retries=0
        )
        yield generator, server
        generator.close()


def ask(tools: ToolSet, *turns: Message) -> GenerationRequest:
    messages = turns or (Message(role="user", content="weather please"),)
    return GenerationRequest(messages=messages, options=GenerationOptions(tools=tools, max_tokens=8))


def same(calls: tuple[ToolCall, ...], others: tuple[ToolCall, ...]) -> bool:
    """The same calls; with the same ids where the adapter makes them (Anthropic's server makes
    a fresh id per request)."""
    made = all(c.id.startswith("call_") for c in calls)
    key = (lambda c: c) if made else (lambda c: (c.name, c.arguments, c.raw))
    return [key(c) for c in calls] == [key(c) for c in others]


async def astream_all(generator: Any, request: GenerationRequest) -> list[Any]:
    return [chunk async for chunk in generator.astream(request)]


def test_calls_whole_streamed_and_async_are_the_same(served: tuple[Any, Server]) -> None:
    generator, _ = served
    assert generator.calls_tools()
    request = ask(ToolSet(tools=(WEATHER, CLOCK)))
    whole = generator.generate(request)
    streamed = collect(generator.stream(request))
    chunks = asyncio.run(astream_all(generator, request))
    assert whole.finish_reason == streamed.finish_reason == "tool_calls"
    assert [(c.name, dict(c.arguments)) for c in whole.tool_calls] == [
        ("weather", {"echo": "weather please"}),
        ("clock", {"echo": "weather please"}),
    ]
    assert same(whole.tool_calls, streamed.tool_calls) and same(whole.tool_calls, collect(chunks).tool_calls)
    assert len({c.id for c in whole.tool_calls}) == 2
    assert sum(len(c.tool_calls) for c in chunks) >= 2  # the calls came as deltas


def test_a_named_choice_and_one_call_at_a_time(served: tuple[Any, Server]) -> None:
    generator, _ = served
    named = generator.generate(ask(ToolSet(tools=(WEATHER, CLOCK), choice="clock")))
    assert [c.name for c in named.tool_calls] == ["clock"]
    assert generator.generate(ask(ToolSet(tools=(WEATHER, CLOCK), choice="none"))).tool_calls == ()
    if generator.name == "anthropic":  # Gemini has no switch for one call at a time
        single = collect(generator.stream(ask(ToolSet(tools=(WEATHER, CLOCK), parallel=False))))
        assert [c.name for c in single.tool_calls] == ["weather"]


def test_results_go_back_and_the_model_answers_in_text(served: tuple[Any, Server]) -> None:
    generator, server = served
    tools = ToolSet(tools=(WEATHER, CLOCK))
    first = generator.generate(ask(tools))
    results = [Message(role="tool", content=f"{c.name} ok", tool_call_id=c.id, name=c.name) for c in first.tool_calls]
    turns = (
        Message(role="user", content="weather please"),
        Message(role="assistant", content=first.text, tool_calls=first.tool_calls),
        *results,
    )
    for answer in (generator.generate(ask(tools, *turns)), collect(generator.stream(ask(tools, *turns)))):
        assert answer.finish_reason != "tool_calls" and answer.tool_calls == ()
    sent = server.requests[-1]["body"]
    assert "clock ok" in str(sent)  # the results reached the server in its own shape


def test_call_ids_stay_unique_across_rounds(served: tuple[Any, Server]) -> None:
    generator, _ = served
    tools = ToolSet(tools=(WEATHER, CLOCK))
    first = generator.generate(ask(tools))
    results = [Message(role="tool", content="ok", tool_call_id=c.id, name=c.name) for c in first.tool_calls]
    history = (
        Message(role="user", content="weather please"),
        Message(role="assistant", content="", tool_calls=first.tool_calls),
        *results,
        Message(role="user", content="weather please"),
    )
    again = generator.generate(ask(tools, *history))
    assert again.tool_calls and same(again.tool_calls, collect(generator.stream(ask(tools, *history))).tool_calls)
    assert not {c.id for c in again.tool_calls} & {c.id for c in first.tool_calls}
