"""Tool calling through the OpenAI-compatible, LM Studio and Ollama adapters against the protocol
stand-in servers (tests/support/servers), built from profiles as production builds them: whole
and streamed (a call's arguments spread over several SSE events), sync and async, a full round
(call, result, answer), and what each server cannot do refused clearly. The official `openai`
SDK checks our request and assembles the same stream to the same calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from chi_llm.domain.errors import GenerationFailed
from chi_llm.domain.generation import Completion, GenerationOptions, GenerationRequest, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import Tool, ToolCall, ToolSet
from tests.contract.conftest import CONTEXT, registry_build
from tests.support.servers.tool_script import ToolEngine

SAID = 'Zürich "old town" \\ ✓'  # the stand-in puts the user's text in string arguments: escapes on the wire
WEATHER = Tool(
    name="get_weather",
    description="The weather in a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"],
    },
)
NOW = Tool(name="now", description="The time.")
EXPECTED = (
    ToolCall(id="call_0", name="get_weather", arguments={"city": SAID, "days": 7}),
    ToolCall(id="call_1", name="now", arguments={}),
)


@dataclass
class Wire:
    kind: str
    generator: Any
    server: Any


@contextmanager
def _wire(kind: str) -> Iterator[Wire]:
    from tests.support.servers.base import Server, serve
    from tests.support.servers.ollama import OllamaHandler
    from tests.support.servers.openai import OpenAIHandler

    routes = {"openai": (OpenAIHandler, "/v1"), "lmstudio": (OpenAIHandler, ""), "ollama": (OllamaHandler, "")}
    handler, prefix = routes[kind]
    engine = ToolEngine(context=CONTEXT, models=("fake-model", "gemma:2b"))
    with serve(handler, Server(engine=engine)) as server:
        generator = registry_build(kind, base_url=server.url + prefix, model="fake-model", max_retries=0)
        yield Wire(kind, generator, server)
        generator.close()


@pytest.fixture(params=["openai", "lmstudio", "ollama"])
def wire(request: pytest.FixtureRequest) -> Iterator[Wire]:
    with _wire(request.param) as made:
        yield made


def ask(*messages: Message, tools: ToolSet | None = None) -> GenerationRequest:
    return GenerationRequest(messages=messages, options=GenerationOptions(tools=tools))


def calls_of(done: Completion) -> list[tuple[str, dict[str, Any]]]:
    return [(c.name, dict(c.arguments)) for c in done.tool_calls]


QUESTION = Message(role="user", content=SAID)
BOTH = ToolSet(tools=(WEATHER, NOW))


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_the_model_s_calls_come_back_whole_and_streamed(wire: Wire, streamed: bool) -> None:
    assert wire.generator.calls_tools()
    request = ask(QUESTION, tools=BOTH)
    done = collect(wire.generator.stream(request)) if streamed else wire.generator.generate(request)
    assert done.finish_reason == "tool_calls" and done.text == ""
    assert calls_of(done) == [(c.name, dict(c.arguments)) for c in EXPECTED]
    assert [c.id for c in done.tool_calls] == ["call_0", "call_1"]
    assert json.loads(done.tool_calls[0].raw) == {"city": SAID, "days": 7}
    sent = wire.server.requests[-1]["body"]
    assert [t["function"]["name"] for t in sent["tools"]] == ["get_weather", "now"]


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
async def test_async_paths_give_the_same_calls(wire: Wire, streamed: bool) -> None:
    request = ask(QUESTION, tools=BOTH)
    if streamed:
        done = collect([chunk async for chunk in wire.generator.astream(request)])
    else:
        done = await wire.generator.agenerate(request)
    await wire.generator.aclose()
    assert done.finish_reason == "tool_calls" and calls_of(done) == [(c.name, dict(c.arguments)) for c in EXPECTED]


def test_a_stream_carries_the_calls_in_pieces(wire: Wire) -> None:
    chunks = list(wire.generator.stream(ask(QUESTION, tools=BOTH)))
    pieces = [delta for chunk in chunks for delta in chunk.tool_calls]
    if wire.kind == "ollama":  # Ollama sends each call whole
        assert len(pieces) == 2 and json.loads(pieces[0].arguments) == {"city": SAID, "days": 7}
    else:  # OpenAI: the id and name, then the arguments in several fragments
        assert len([p for p in pieces if p.index == 0]) > 5 and pieces[0].name == "get_weather"
        assert all(p.name is None for p in pieces[1:] if p.index == 0)


def test_a_full_round_call_result_answer(wire: Wire) -> None:
    first = wire.generator.generate(ask(QUESTION, tools=ToolSet(tools=(WEATHER,))))
    call = first.tool_calls[0]
    result = Message(role="tool", content="4 °C", tool_call_id=call.id)  # no name: found from the call
    answer = collect(
        wire.generator.stream(
            ask(QUESTION, Message(role="assistant", content="", tool_calls=first.tool_calls), result, tools=BOTH)
        )
    )
    assert answer.finish_reason == "stop" and answer.text and not answer.tool_calls
    sent = wire.server.requests[-1]["body"]["messages"]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    if wire.kind == "ollama":
        assert sent[1]["tool_calls"][0]["function"]["arguments"] == {"city": SAID, "days": 7}
        assert sent[2] == {"role": "tool", "content": "4 °C", "tool_name": "get_weather", "tool_call_id": call.id}
    else:
        assert json.loads(sent[1]["tool_calls"][0]["function"]["arguments"]) == {"city": SAID, "days": 7}
        assert sent[2] == {"role": "tool", "tool_call_id": call.id, "content": "4 °C"}


def test_tool_choice_and_parallel_calls(wire: Wire) -> None:
    if wire.kind == "ollama":
        for tools in (ToolSet(tools=(WEATHER, NOW), choice="now"), ToolSet(tools=(WEATHER,), parallel=False)):
            before = len(wire.server.requests)
            with pytest.raises(GenerationFailed, match="ollama cannot"):
                wire.generator.generate(ask(QUESTION, tools=tools))
            assert len(wire.server.requests) == before  # refused before anything was sent
    else:
        named = wire.generator.generate(ask(QUESTION, tools=ToolSet(tools=(WEATHER, NOW), choice="now")))
        assert calls_of(named) == [("now", {})]
        single = collect(wire.generator.stream(ask(QUESTION, tools=ToolSet(tools=(WEATHER, NOW), parallel=False))))
        assert [c.name for c in single.tool_calls] == ["get_weather"]
    none = wire.generator.generate(ask(QUESTION, tools=ToolSet(tools=(WEATHER,), choice="none")))
    assert none.finish_reason == "stop" and none.text and not none.tool_calls


def test_a_result_without_its_call_is_the_server_s_clear_refusal() -> None:
    orphan = Message(role="tool", content="4 °C", tool_call_id="call_9")
    with _wire("openai") as wire, pytest.raises(GenerationFailed, match="must be a response to a preceeding message"):
        wire.generator.generate(ask(QUESTION, orphan, tools=BOTH))


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_a_model_without_tool_support_is_a_clear_error(streamed: bool) -> None:
    request = GenerationRequest(messages=(QUESTION,), model="gemma:2b", options=GenerationOptions(tools=BOTH))
    with _wire("ollama") as wire, pytest.raises(GenerationFailed, match="cannot call tools with this model"):
        collect(wire.generator.stream(request)) if streamed else wire.generator.generate(request)


def test_the_official_sdk_accepts_our_request_and_assembles_the_stream_to_the_same_calls() -> None:
    import openai
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming
    from pydantic import TypeAdapter

    with _wire("openai") as wire:
        ours = collect(wire.generator.stream(ask(QUESTION, tools=BOTH)))
        body = wire.server.requests[-1]["body"]
        TypeAdapter(CompletionCreateParamsStreaming).validate_python(body)  # our request, as the server got it
        with openai.OpenAI(base_url=wire.server.url + "/v1", api_key="sk-test", max_retries=0) as client:
            state = ChatCompletionStreamState()
            stream = client.chat.completions.create(
                model="fake-model", messages=body["messages"], tools=body["tools"], stream=True
            )
            for chunk in stream:
                state.handle_chunk(chunk)
        theirs = state.get_final_completion().choices[0]
    assert theirs.finish_reason == ours.finish_reason == "tool_calls"
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in theirs.message.tool_calls or ()] == [
        (c.id, c.name, dict(c.arguments)) for c in ours.tool_calls
    ]


CITY = Tool(
    name="get_weather",
    description="The weather in a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string", "maxLength": 12}, "unit": {"enum": ["C", "F"]}},
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
)


@pytest.mark.real_model
@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_llama_cpp_python_s_real_server_calls_a_named_tool_and_takes_its_result(
    llama_server: str, streamed: bool
) -> None:
    """llama-cpp-python's own server (nobody here wrote it) on the embedded model: a named
    tool_choice makes it decode the arguments under a grammar from the tool's schema (its stream
    repeats the id and name on every fragment); the call and its result sent back are accepted
    (it refuses an assistant turn whose content is null) and answered."""
    import jsonschema

    generator = registry_build("openai", base_url=llama_server + "/v1", model="default", max_retries=0)
    question = Message(role="user", content="Weather in Oslo?")
    options = GenerationOptions(tools=ToolSet(tools=(CITY,), choice="get_weather"), max_tokens=60, seed=3)
    request = GenerationRequest(messages=(question,), options=options)
    try:
        done = collect(generator.stream(request)) if streamed else generator.generate(request)
        assert done.finish_reason == "tool_calls" and [c.name for c in done.tool_calls] == ["get_weather"]
        jsonschema.validate(dict(done.tool_calls[0].arguments), CITY.parameters)
        result = Message(role="tool", content="4 °C", tool_call_id=done.tool_calls[0].id)
        turns = (question, Message(role="assistant", content="", tool_calls=done.tool_calls), result)
        follow = GenerationRequest(
            messages=turns, options=GenerationOptions(tools=ToolSet(tools=(CITY,)), max_tokens=20)
        )
        answer = collect(generator.stream(follow)) if streamed else generator.generate(follow)
    finally:
        generator.close()
    assert answer.finish_reason in ("stop", "length") and not answer.tool_calls
