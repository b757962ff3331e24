"""The tool-calling contract. Adapters that say calls_tools() (and are in conftest.TOOLS) answer a
scripted call the same whole, streamed and async, with finish reason tool_calls, and take tool
results in the history; adapters that say they cannot are refused before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from chi_llm.application.generation import GenerationService
from chi_llm.application.provider_router import ProviderRouter
from chi_llm.domain.errors import ToolsUnsupported
from chi_llm.domain.generation import Chunk, Completion, GenerationOptions, GenerationRequest, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.providers import ProviderProfile
from chi_llm.domain.tools import Tool, ToolCall, ToolSet
from tests.contract.conftest import TOOLS, Subject

WEATHER = Tool(
    name="weather",
    description="today's weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CLOCK = Tool(name="clock", description="the time now")
OFFERED = ToolSet(tools=(WEATHER, CLOCK))
USER = Message(role="user", content="What is the weather in Paris, and the time?")
CALLS: dict[str, Any] = {
    "tool_calls": [
        {"name": "weather", "arguments": {"city": "Paris"}},
        {"name": "clock", "arguments": {}},
    ]
}
ASK = GenerationRequest(messages=(USER,), options=GenerationOptions(tools=OFFERED, max_tokens=64))
CALL = ToolCall(id="call_w", name="weather", arguments={"city": "Paris"}, raw='{"city": "Paris"}')
ANSWERED = GenerationRequest(
    messages=(
        USER,
        Message(role="assistant", content="", tool_calls=(CALL,)),
        Message(role="tool", content="sunny, 21 C", tool_call_id="call_w", name="weather"),
    ),
    options=GenerationOptions(tools=OFFERED, max_tokens=64),
)


@pytest.fixture
def capable(subject: Subject, request: pytest.FixtureRequest) -> Subject:
    """The subject, when it is in conftest.TOOLS (it calls tools and its answers can be scripted)."""
    if request.node.callspec.params["subject"] not in TOOLS:
        pytest.skip("this adapter takes no tools, or its answers cannot be scripted")
    return subject


def called(completion: Completion) -> list[tuple[str, dict[str, Any]]]:
    return [(call.name, dict(call.arguments)) for call in completion.tool_calls]


def test_the_tools_table_lists_every_scriptable_adapter_that_takes_tools(subject: Subject, request: Any) -> None:
    name = request.node.callspec.params["subject"]
    if subject.engine is not None:
        assert subject.generator.calls_tools() == (name in TOOLS), f"{name}: conftest.TOOLS is out of date"


async def test_whole_streamed_and_async_answers_make_the_same_calls(capable: Subject) -> None:
    subject = capable
    engine = subject.engine
    assert engine is not None
    engine.queue(CALLS, CALLS, CALLS, CALLS)
    whole = subject.generator.generate(ASK)
    chunks = list(subject.generator.stream(ASK))
    later = await subject.generator.agenerate(ASK)
    achunks: list[Chunk] = [c async for c in subject.generator.astream(ASK)]
    expected = [("weather", {"city": "Paris"}), ("clock", {})]
    for completion in (whole, collect(chunks), later, collect(achunks)):
        assert completion.finish_reason == "tool_calls"
        assert called(completion) == expected
        assert all(call.id for call in completion.tool_calls)
        assert len({call.id for call in completion.tool_calls}) == 2
    assert sum(1 for c in chunks if c.tool_calls) >= 2  # the calls came as deltas (whole calls: Ollama)
    assert [c.finish_reason is not None for c in chunks].count(True) == 1 and chunks[-1].finish_reason


def test_the_declared_tools_reach_the_backend(capable: Subject) -> None:
    subject = capable
    engine = subject.engine
    assert engine is not None
    engine.queue(CALLS)
    subject.generator.generate(ASK)
    tools = engine.requests[-1].options.tools
    assert tools is not None and [t.name for t in tools.tools] == ["weather", "clock"]


def test_tool_results_in_the_history_are_taken(capable: Subject) -> None:
    subject = capable
    engine = subject.engine
    assert engine is not None
    engine.queue("It is sunny in Paris.")
    answer = subject.generator.generate(ANSWERED)
    assert answer.text == "It is sunny in Paris." and answer.finish_reason == "stop" and answer.tool_calls == ()
    seen = engine.requests[-1].messages
    assert any(m.role == "tool" and "sunny, 21 C" in m.content for m in seen)
    assert any(m.role == "assistant" and [c.name for c in m.tool_calls] == ["weather"] for m in seen)


async def test_an_adapter_without_tools_is_refused_before_anything_is_sent(subject: Subject) -> None:
    if subject.generator.calls_tools():
        pytest.skip("this adapter takes tools")
    sent = len(subject.engine.requests) if subject.engine is not None else None
    decoded = subject.decoded() if subject.decoded is not None else None
    service = GenerationService(subject.generator)
    router = ProviderRouter([ProviderProfile(id="only", type="fake")], lambda _: subject.generator)
    for request in (ASK, ANSWERED):
        for runs in (GenerationService(router), service):
            with pytest.raises(ToolsUnsupported, match="cannot call tools"):
                runs.generate(request)
            with pytest.raises(ToolsUnsupported):
                list(runs.stream(request))
            with pytest.raises(ToolsUnsupported):
                [c async for c in runs.astream(request)]
    assert (len(subject.engine.requests) if subject.engine is not None else None) == sent
    assert (subject.decoded() if subject.decoded is not None else None) == decoded
