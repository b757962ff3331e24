"""The official `anthropic` client against `chi-llm serve`'s Messages API on the fake backend:
whole answers, streams (the SDK's stream helper), a tool use round trip, token counting, and
every error class the client maps, in Anthropic's error shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest

from chi_llm.entrypoints.server.backends import Limits
from tests.support.serve import FAKE, Running, in_process
from tests.support.serve_clients import anthropic_client as client
from tests.support.serve_clients import fake_backend as fake

HELLO: Any = [{"role": "user", "content": "hello there"}]
WEATHER: Any = {
    "name": "weather",
    "description": "The weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
OSLO = {"tool_calls": [{"name": "weather", "arguments": {"city": "Oslo"}, "id": "call_w"}]}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(FAKE, tmp_path) as running:
        yield running


def test_a_whole_answer(served: Running) -> None:
    answer = client(served).messages.create(model="fake", max_tokens=50, system="be brief", messages=HELLO)
    assert answer.type == "message" and answer.id.startswith("msg_") and answer.role == "assistant"
    assert answer.model == "fake" and answer.stop_reason == "end_turn" and answer.stop_sequence is None
    assert [(b.type, getattr(b, "text", None)) for b in answer.content] == [("text", "Echo: hello there")]
    sent = fake(served).requests[-1]
    assert [(m.role, m.content) for m in sent.messages] == [("system", "be brief"), ("user", "hello there")]
    assert answer.usage.output_tokens == 3 and answer.usage.input_tokens == fake(served).prompt_tokens(sent)
    assert answer.usage.cache_read_input_tokens == 0


def test_options_reach_the_backend_and_max_tokens_stops(served: Running) -> None:
    system: Any = [
        {"type": "text", "text": "one"},
        {"type": "text", "text": "two", "cache_control": {"type": "ephemeral"}},
    ]
    answer = client(served).messages.create(
        model="fake",
        max_tokens=2,
        messages=HELLO,
        system=system,
        extra_body={"temperature": 0.3, "top_p": 0.9, "top_k": 5},  # this SDK sends them only as extra fields
        stop_sequences=["zz"],
        metadata={"user_id": "u"},
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    assert answer.stop_reason == "max_tokens" and answer.content[0].type == "text"
    assert answer.content[0].text == "Echo: hello"
    sent = fake(served).requests[-1]
    assert (sent.options.max_tokens, sent.options.temperature, sent.options.top_p, sent.options.stop) == (
        2,
        0.3,
        0.9,
        ("zz",),
    )
    assert sent.messages[0].content == "one\ntwo"


def test_a_stop_sequence_says_which_one_ended_the_answer(served: Running) -> None:
    api = client(served)
    answer = api.messages.create(model="fake", max_tokens=50, messages=HELLO, stop_sequences=["zz", "there"])
    assert answer.stop_reason == "stop_sequence" and answer.stop_sequence == "there"
    assert answer.content[0].type == "text" and answer.content[0].text == "Echo: hello "
    with api.messages.stream(model="fake", max_tokens=50, messages=HELLO, stop_sequences=["hello"]) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "stop_sequence" and final.stop_sequence == "hello"
    plain = api.messages.create(model="fake", max_tokens=50, messages=HELLO, stop_sequences=["zz"])
    assert plain.stop_reason == "end_turn" and plain.stop_sequence is None


def test_output_config_json_schema_binds_the_answer(served: Running) -> None:
    schema: Any = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    fake(served).queue('{"name": "Ada"}')
    answer = client(served).messages.create(
        model="fake", max_tokens=50, messages=HELLO, output_config={"format": {"type": "json_schema", "schema": schema}}
    )
    assert answer.content[0].type == "text" and answer.content[0].text == '{"name": "Ada"}'
    options = fake(served).requests[-1].options
    assert options.schema is not None and options.schema.value == schema and options.json


def test_a_stream_with_the_sdks_helper(served: Running) -> None:
    with client(served).messages.stream(model="fake", max_tokens=50, messages=HELLO) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Echo: hello there"
    assert final.content[0].type == "text" and final.content[0].text == text
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 3 and final.usage.input_tokens > 0


def test_the_raw_event_sequence(served: Running) -> None:
    body = {"model": "fake", "max_tokens": 50, "messages": HELLO, "stream": True}
    raw = httpx.post(served.api + "/messages", json=body, timeout=30).text
    names = [line.removeprefix("event: ") for line in raw.splitlines() if line.startswith("event: ")]
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    events = list(client(served).messages.create(model="fake", max_tokens=50, messages=HELLO, stream=True))
    assert events[0].type == "message_start" and events[0].message.content == []
    assert events[-2].type == "message_delta" and events[-2].delta.stop_reason == "end_turn"


def test_a_tool_use_round_trip(served: Running) -> None:
    fake(served).queue(OSLO, "It is 12 C in Oslo.", OSLO)
    api = client(served)
    first = api.messages.create(model="fake", max_tokens=100, messages=HELLO, tools=[WEATHER])
    assert first.stop_reason == "tool_use"
    (use,) = [b for b in first.content if b.type == "tool_use"]
    assert use.id == "toolu_call_w" and use.name == "weather" and use.input == {"city": "Oslo"}
    turns: Any = [
        *HELLO,
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "12 C"}]},
    ]
    final = api.messages.create(model="fake", max_tokens=100, messages=turns, tools=[WEATHER])
    assert final.stop_reason == "end_turn" and final.content[0].type == "text"
    assert final.content[0].text == "It is 12 C in Oslo."
    asked, answered = fake(served).requests[-1].messages[-2:]
    assert asked.tool_calls[0].id == "toolu_call_w" and asked.tool_calls[0].arguments == {"city": "Oslo"}
    assert (answered.role, answered.tool_call_id, answered.name, answered.content) == (
        "tool",
        "toolu_call_w",
        "weather",
        "12 C",
    )
    with api.messages.stream(
        model="fake", max_tokens=100, messages=HELLO, tools=[WEATHER], tool_choice={"type": "tool", "name": "weather"}
    ) as stream:
        streamed = stream.get_final_message()
    (use,) = [b for b in streamed.content if b.type == "tool_use"]
    assert streamed.stop_reason == "tool_use" and use.input == {"city": "Oslo"} and use.id == "toolu_call_w"
    assert fake(served).requests[-1].options.tools.choice == "weather"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("choice", "expected", "parallel"),
    [
        ({"type": "any"}, "required", None),
        ({"type": "none"}, "none", None),
        ({"type": "auto", "disable_parallel_tool_use": True}, "auto", False),
    ],
)
def test_tool_choice_reaches_the_backend(served: Running, choice: Any, expected: str, parallel: Any) -> None:
    client(served).messages.create(model="fake", max_tokens=10, messages=HELLO, tools=[WEATHER], tool_choice=choice)
    tools = fake(served).requests[-1].options.tools
    assert tools is not None and tools.choice == expected and tools.parallel is parallel


def test_count_tokens_is_what_the_answer_reports(served: Running) -> None:
    api = client(served)
    counted = api.messages.count_tokens(model="fake", system="be brief", messages=HELLO)
    answer = api.messages.create(model="fake", max_tokens=5, system="be brief", messages=HELLO)
    assert counted.input_tokens == answer.usage.input_tokens > 0
    raw = api.messages.with_raw_response.count_tokens(model="fake", messages=HELLO)
    assert raw.headers["x-chi-llm-token-count"] == "exact"


def test_errors_map_to_the_sdks_classes(served: Running) -> None:
    api = client(served)
    with pytest.raises(anthropic.NotFoundError) as missing:
        api.messages.create(model="no-such-model", max_tokens=5, messages=HELLO)
    assert missing.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    with pytest.raises(anthropic.BadRequestError, match="temperature"):
        api.messages.create(model="fake", max_tokens=5, messages=HELLO, extra_body={"temperature": 5})
    image: Any = [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}]
    with pytest.raises(anthropic.BadRequestError, match="image blocks are not supported"):
        api.messages.create(model="fake", max_tokens=5, messages=[{"role": "user", "content": image}])
    search: Any = [{"type": "web_search_20250305", "name": "web_search"}]
    with pytest.raises(anthropic.BadRequestError, match="server tools"):
        api.messages.create(model="fake", max_tokens=5, messages=HELLO, tools=search)
    answer = httpx.post(served.api + "/messages", json={"model": "fake", "messages": HELLO})
    assert answer.status_code == 400 and answer.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": answer.json()["error"]["message"]},
    }
    assert "max_tokens" in answer.json()["error"]["message"]
    gone = httpx.post(served.api + "/messages/nothing", json={})
    assert gone.status_code == 404 and gone.json()["error"]["type"] == "not_found_error"


def test_the_key_413_and_429_in_anthropics_shape(tmp_path: Path) -> None:
    slow = {**FAKE, "providers": [{"id": "fake", "type": "fake", "token_delay": 0.05}]}
    options: Any = {"api_keys": ("key-123456",), "max_body_bytes": 4096, "limits": Limits(parallel=1, queue=0)}
    with in_process(slow, tmp_path, **options) as running:
        with pytest.raises(anthropic.AuthenticationError) as refused:
            client(running, "wrong").messages.create(model="fake", max_tokens=5, messages=HELLO)
        assert refused.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
        api = client(running, "key-123456")  # sent as x-api-key
        assert api.messages.create(model="fake", max_tokens=5, messages=HELLO).content
        with pytest.raises(anthropic.APIStatusError) as too_big:
            api.messages.create(model="fake", max_tokens=5, messages=[{"role": "user", "content": "x" * 5000}])
        assert too_big.value.status_code == 413
        assert too_big.value.body["error"]["type"] == "request_too_large"  # type: ignore[index]
        with api.messages.stream(model="fake", max_tokens=50, messages=HELLO) as holding:
            next(iter(holding.text_stream))  # holds the one slot
            with pytest.raises(anthropic.RateLimitError) as busy:
                api.messages.create(model="fake", max_tokens=5, messages=HELLO)
        assert busy.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
        assert int(busy.value.response.headers["retry-after"]) >= 1
        counted = api.messages.count_tokens(model="fake", messages=HELLO)  # no slot needed
        assert counted.input_tokens > 0
