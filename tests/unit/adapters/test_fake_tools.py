"""The fake answers with tool calls when a reply is scripted as a mapping: streamed as deltas in
several chunks that assemble to the whole answer's calls, finish reason tool_calls."""

from __future__ import annotations

from typing import Any

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.adapters.providers.provider_type import BuildContext
from chi_llm.adapters.providers.registry import PROVIDER_TYPES, schemas
from chi_llm.domain.errors import ConfigError, InvalidRequest
from chi_llm.domain.generation import GenerationOptions, GenerationRequest, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.providers import check_profile
from chi_llm.domain.tools import Tool, ToolSet, assemble

ASK = GenerationRequest(
    messages=(Message(role="user", content="weather?"),),
    options=GenerationOptions(tools=ToolSet(tools=(Tool(name="weather"), Tool(name="clock")))),
)
TWO_CALLS: dict[str, Any] = {
    "content": "Let me look.",
    "tool_calls": [
        {"name": "weather", "arguments": {"city": "Paris", "days": 3}},
        {"name": "clock", "arguments": {}, "id": "given"},
    ],
}


def test_a_scripted_reply_streams_its_calls_as_deltas_in_several_chunks() -> None:
    fake = FakeTextGenerator([TWO_CALLS])
    chunks = list(fake.stream(ASK))
    assert "".join(c.text for c in chunks) == "Let me look."
    call_chunks = [c for c in chunks if c.tool_calls]
    weather = [d for c in call_chunks for d in c.tool_calls if d.index == 0]
    assert len(weather) > 2 and weather[0].name == "weather" and all(d.name is None for d in weather[1:])
    assert chunks[-1].finish_reason == "tool_calls" and chunks[-1].usage is not None
    calls = assemble(d for c in chunks for d in c.tool_calls)
    assert [(c.name, dict(c.arguments)) for c in calls] == [("weather", {"city": "Paris", "days": 3}), ("clock", {})]
    assert calls[1].id == "given" and calls[0].id and calls[0].id != calls[1].id


def test_the_whole_answer_has_the_streams_calls() -> None:
    fake = FakeTextGenerator([TWO_CALLS, TWO_CALLS])
    whole = fake.generate(ASK)
    streamed = collect(fake.stream(ASK))
    assert whole.finish_reason == streamed.finish_reason == "tool_calls"
    assert [(c.name, c.arguments, c.raw) for c in whole.tool_calls] == [
        (c.name, c.arguments, c.raw) for c in streamed.tool_calls
    ]
    assert whole.text == "Let me look."


def test_arguments_given_as_text_are_sent_as_is() -> None:
    fake = FakeTextGenerator([{"tool_calls": [{"name": "weather", "arguments": '{"city": "Rome"}'}]}])
    (call,) = fake.generate(ASK).tool_calls
    assert call.raw == '{"city": "Rome"}' and call.arguments == {"city": "Rome"}


def test_a_text_cut_by_max_tokens_makes_no_calls() -> None:
    fake = FakeTextGenerator([TWO_CALLS])
    cut = GenerationRequest(messages=ASK.messages, options=GenerationOptions(tools=ASK.options.tools, max_tokens=1))
    done = fake.generate(cut)
    assert (done.finish_reason, done.tool_calls, done.text) == ("length", (), "Let")


def test_text_replies_and_the_echo_are_unchanged() -> None:
    fake = FakeTextGenerator(["plain words"])
    fake.queue({"content": "mapped text"})
    assert fake.generate(ASK).text == "plain words"
    assert (fake.generate(ASK).text, fake.generate(ASK).text) == ("mapped text", "Echo: weather?")
    assert fake.calls_tools() is True


@pytest.mark.parametrize(
    "reply",
    [
        {"tool_call": []},
        {"tool_calls": {"name": "x"}},
        {"tool_calls": [{"arguments": {}}]},
        {"tool_calls": [{"name": "x", "arguments": 5}]},
        {"content": 3},
    ],
)
def test_a_malformed_scripted_reply_is_refused_when_given(reply: Any) -> None:
    with pytest.raises(InvalidRequest, match="fake"):
        FakeTextGenerator([reply])
    with pytest.raises(InvalidRequest, match="fake"):
        FakeTextGenerator().queue(reply)


def build(replies: Any) -> Any:
    profile = check_profile({"id": "f", "type": "fake", "replies": replies}, schemas(), source="test")
    return PROVIDER_TYPES["fake"].build(profile, BuildContext(env={}))


def test_a_fake_profile_scripts_tool_calls_in_its_settings() -> None:
    fake = build(["hello", TWO_CALLS])
    assert fake.generate(ASK).text == "hello"
    assert [c.name for c in fake.generate(ASK).tool_calls] == ["weather", "clock"]


def test_a_fake_profile_with_a_malformed_reply_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match="key 'replies'"):
        build([{"tool_calls": [{"name": 1}]}])
