"""Tool calling on the OpenAI-compatible and Ollama wires: the exact shapes sent and read
(OpenAI's Chat Completions reference and the `openai` SDK's types; Ollama's tool-calling docs and
api/types.go), without sockets."""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.providers import ollama, openai_compatible
from chi_llm.adapters.providers.http.base import fit_messages
from chi_llm.adapters.providers.http.errors import map_status, stream_error
from chi_llm.adapters.providers.http.stream_state import Event, StreamState
from chi_llm.domain.errors import GenerationFailed, InvalidRequest
from chi_llm.domain.generation import Chunk, GenerationOptions, GenerationRequest, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema
from chi_llm.domain.tools import Tool, ToolCall, ToolSet

WEATHER = Tool(
    name="get_weather",
    description="The weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
NOW = Tool(name="now")
CALL = ToolCall(id="call_1", name="get_weather", arguments={"city": "Zürich"}, raw='{"city": "Zürich"}')
ROUND = (
    Message(role="user", content="Weather in Zürich?"),
    Message(role="assistant", content="", tool_calls=(CALL,)),
    Message(role="tool", content="4 °C", tool_call_id="call_1"),
)


def chat(*messages: Message, tools: ToolSet | None = None) -> GenerationRequest:
    return GenerationRequest(messages=messages, model="m", options=GenerationOptions(tools=tools))


def test_requests_without_tools_are_byte_identical_to_before_tools_existed() -> None:
    chat_request = GenerationRequest(
        messages=(
            Message(role="system", content="Be brief."),
            Message(role="user", content="Hi"),
            Message(role="assistant", content="Hello"),
            Message(role="user", content="Zürich?"),
        ),
        model="m",
        options=GenerationOptions(temperature=0.2, top_p=0.9, max_tokens=7, stop=("\n",), seed=3, json=True),
    )
    raw = GenerationRequest(prompt="Once", model="m")
    schema = OutputSchema.of({"type": "object", "properties": {"a": {"type": "integer"}}}, name="p")
    structured = GenerationRequest(
        messages=(Message(role="user", content="Alice"),), model="m", options=GenerationOptions(schema=schema)
    )
    digest = hashlib.sha256()
    for request in (chat_request, raw, structured):
        for stream in (False, True):
            digest.update(json.dumps(openai_compatible.to_payload(request, stream=stream)).encode())
            digest.update(json.dumps(ollama.to_payload(request, stream=stream, num_ctx=4096)).encode())
    # the bodies' digest computed from the code before tool calling was added
    assert digest.hexdigest() == "0f59e63787b93f09c2e494ffe759607552b58753b66384ab411983f329241d92"


# -- OpenAI-compatible: request --------------------------------------------------------------


def test_openai_offers_tools_as_functions_and_says_tool_choice_auto() -> None:
    payload = openai_compatible.to_payload(chat(ROUND[0], tools=ToolSet(tools=(WEATHER, NOW))), stream=False)
    assert payload["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city.",
                "parameters": WEATHER.parameters,
            },
        },
        {"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}},
    ]
    # auto is said, not left to the default: llama-cpp-python's server drops tools without it
    assert payload["tool_choice"] == "auto" and "parallel_tool_calls" not in payload


@pytest.mark.parametrize(
    ("choice", "parallel", "fields"),
    [
        ("none", None, {"tool_choice": "none"}),
        ("required", False, {"tool_choice": "required", "parallel_tool_calls": False}),
        ("now", True, {"tool_choice": {"type": "function", "function": {"name": "now"}}, "parallel_tool_calls": True}),
    ],
)
def test_openai_tool_choice_and_parallel_calls(choice: str, parallel: bool | None, fields: dict[str, Any]) -> None:
    payload = openai_compatible.to_payload(
        chat(ROUND[0], tools=ToolSet(tools=(WEATHER, NOW), choice=choice, parallel=parallel)), stream=True
    )
    assert {k: payload[k] for k in fields} == fields


def test_openai_sends_the_calls_asked_for_and_their_results() -> None:
    payload = openai_compatible.to_payload(chat(*ROUND, tools=ToolSet(tools=(WEATHER,))), stream=False)
    assert payload["messages"] == [
        {"role": "user", "content": "Weather in Zürich?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": CALL.raw}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "4 °C"},
    ]
    made = ToolCall(id="c2", name="now", arguments={"tz": "UTC"})  # built by the application: no raw text
    said = openai_compatible.to_payload(
        chat(Message(role="assistant", content="Let me see.", tool_calls=(made,))), stream=False
    )
    assert said["messages"][0]["content"] == "Let me see."
    assert json.loads(said["messages"][0]["tool_calls"][0]["function"]["arguments"]) == {"tz": "UTC"}


def test_openai_request_with_tools_is_what_the_official_sdk_types_accept() -> None:
    from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming
    from pydantic import TypeAdapter

    payload = openai_compatible.to_payload(
        chat(*ROUND, tools=ToolSet(tools=(WEATHER, NOW), choice="get_weather", parallel=False)), stream=True
    )
    checked = TypeAdapter(CompletionCreateParamsStreaming).validate_python(payload)
    assert checked["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


def test_tools_need_a_chat_request() -> None:
    raw = GenerationRequest(prompt="Once", model="m", options=GenerationOptions(tools=ToolSet(tools=(NOW,))))
    with pytest.raises(InvalidRequest, match="chat request"):
        openai_compatible.to_payload(raw, stream=False)
    with pytest.raises(InvalidRequest, match="chat request"):
        ollama.to_payload(raw, stream=False, num_ctx=2048)


# -- OpenAI-compatible: response ------------------------------------------------------------


def openai_answer(calls: list[dict[str, Any]], content: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "tool_calls": calls}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls", "logprobs": None}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
    }


def openai_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def whole(event: Event | None) -> Any:
    """The Completion a whole answer's event makes, as the HTTP base makes it."""
    assert event is not None
    state = StreamState(backend="t", context=None, prompt_estimate=1)
    chunk = state.absorb(event)
    return collect([c for c in (chunk, state.final(whole_text=event.text)) if c is not None])


def test_openai_whole_answer_carries_the_calls() -> None:
    from openai.types.chat import ChatCompletion

    body = openai_answer([openai_call("call_a", "get_weather", '{"city": "Oslo"}'), openai_call("call_b", "now", "{}")])
    ChatCompletion.model_validate(body)  # the shape the official SDK reads
    completion = whole(openai_compatible.parse_response(body))
    assert completion.finish_reason == "tool_calls" and completion.text == ""
    assert completion.tool_calls == (
        ToolCall(id="call_a", name="get_weather", arguments={"city": "Oslo"}, raw='{"city": "Oslo"}'),
        ToolCall(id="call_b", name="now", arguments={}, raw="{}"),
    )


def test_openai_finish_tool_calls_without_calls_is_a_plain_stop() -> None:
    body = openai_answer([], content="Hi")
    assert whole(openai_compatible.parse_response(body)).finish_reason == "stop"


@pytest.mark.parametrize(
    "tool_calls",
    ["nope", [1], [{"index": "0", "function": {}}], [{"function": "f"}], [{"function": {"arguments": {"a": 1}}}]],
)
def test_openai_tool_calls_of_a_wrong_shape_are_value_errors(tool_calls: Any) -> None:
    data = {"choices": [{"index": 0, "delta": {"tool_calls": tool_calls}, "finish_reason": None}]}
    with pytest.raises(ValueError, match="tool"):
        openai_compatible.parse_chunk(data)


def sse_events(calls: list[tuple[str, str, str]], cuts: list[list[int]], order: list[int]) -> list[dict[str, Any]]:
    """`chat.completion.chunk` objects as OpenAI streams calls: per call, its id and name with
    no arguments, then the arguments in fragments cut at `cuts`; the calls' pieces interleaved
    as `order` says (each call's own pieces in order: `order` names the call of each next piece);
    then a finish and a usage event."""
    queues: list[list[dict[str, Any]]] = []
    for index, ((call_id, name, arguments), at) in enumerate(zip(calls, cuts, strict=True)):
        head = {"index": index, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
        bounds = [0, *sorted(set(at)), len(arguments)]
        pieces = [{"index": index, "function": {"arguments": arguments[a:b]}} for a, b in itertools.pairwise(bounds)]
        queues.append([head, *pieces])
    events: list[dict[str, Any]] = [{"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}]
    for index in order:
        piece = queues[index].pop(0)
        events.append({"choices": [{"index": 0, "delta": {"tool_calls": [piece]}, "finish_reason": None}]})
    assert not any(queues)
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    events.append({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}})
    return events


def streamed(events: list[Any], parse: Any) -> Any:
    """The Completion a stream of events makes, as the HTTP base makes it."""
    state = StreamState(backend="t", context=None, prompt_estimate=1)
    chunks: list[Chunk] = [c for c in (state.absorb(parse(e)) for e in events) if c is not None]
    return collect([*chunks, state.final()])


ARGUMENTS = st.dictionaries(
    st.text(max_size=6),
    st.one_of(st.integers(), st.text(max_size=10), st.booleans(), st.none(), st.lists(st.integers(), max_size=3)),
    max_size=4,
)
CALLS = st.lists(st.tuples(st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True), ARGUMENTS), min_size=1, max_size=4)


@given(calls=CALLS, data=st.data())
def test_any_split_and_interleaving_of_openai_argument_fragments_assembles_the_whole_answer(
    calls: list[tuple[str, dict[str, Any]]], data: st.DataObject
) -> None:
    wire = [
        (f"call_{i}", name, json.dumps(arguments, ensure_ascii=bool(i % 2)))
        for i, (name, arguments) in enumerate(calls)
    ]
    cuts = [data.draw(st.lists(st.integers(0, len(text)), max_size=len(text) + 1)) for _, _, text in wire]
    counts = [len(set(at)) + 2 for at in cuts]  # the head, then one fragment between each two bounds
    order = data.draw(st.permutations([i for i, n in enumerate(counts) for _ in range(n)]))
    answer = whole(openai_compatible.parse_response(openai_answer([openai_call(*call) for call in wire])))
    stream = streamed(sse_events(wire, cuts, order), openai_compatible.parse_chunk)
    assert stream.tool_calls == answer.tool_calls and stream.finish_reason == answer.finish_reason == "tool_calls"
    assert [dict(call.arguments) for call in stream.tool_calls] == [arguments for _, arguments in calls]


# -- Ollama --------------------------------------------------------------------------------


def test_ollama_offers_tools_and_sends_calls_with_object_arguments_and_results_by_tool_name() -> None:
    payload = ollama.to_payload(chat(*ROUND, tools=ToolSet(tools=(WEATHER,))), stream=True, num_ctx=2048)
    assert payload["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city.",
                "parameters": WEATHER.parameters,
            },
        }
    ]
    assert payload["messages"] == [
        {"role": "user", "content": "Weather in Zürich?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "call_1", "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Zürich"}}}
            ],
        },
        {"role": "tool", "content": "4 °C", "tool_name": "get_weather", "tool_call_id": "call_1"},
    ]
    assert "tool_choice" not in payload


def test_ollama_has_no_tool_choice_none_sends_no_tools_and_forcing_is_refused_before_sending() -> None:
    quiet = ollama.to_payload(chat(ROUND[0], tools=ToolSet(tools=(WEATHER,), choice="none")), stream=True, num_ctx=2048)
    assert "tools" not in quiet
    for tools, words in (
        (ToolSet(tools=(WEATHER,), choice="required"), "cannot force a call"),
        (ToolSet(tools=(WEATHER,), choice="get_weather"), "cannot force a call of 'get_weather'"),
        (ToolSet(tools=(WEATHER,), parallel=False), "one tool call"),
    ):
        with pytest.raises(GenerationFailed, match=words):
            ollama.to_payload(chat(ROUND[0], tools=tools), stream=True, num_ctx=2048)


def ollama_line(calls: list[dict[str, Any]] | None, *, done: bool, content: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls is not None:
        message["tool_calls"] = calls
    line: dict[str, Any] = {"model": "m", "created_at": "2026-01-01T00:00:00Z", "message": message, "done": done}
    if done:
        line.update(done_reason="stop", prompt_eval_count=9, eval_count=5)
    return line


def test_ollama_whole_answer_and_a_stream_of_whole_calls_give_the_same_calls() -> None:
    first = {"function": {"index": 0, "name": "get_weather", "arguments": {"city": "Zürich"}}}
    second = {"id": "call_x", "function": {"index": 0, "name": "now", "arguments": {}}}
    answer = whole(ollama.parse_line(ollama_line([first, second], done=True)))
    # streamed: each call in its own line (older servers number every call 0), then the final line
    lines = [ollama_line([first], done=False), ollama_line([second], done=False), ollama_line(None, done=True)]
    stream = streamed(lines, ollama.parse_line)
    assert answer.finish_reason == stream.finish_reason == "tool_calls"  # Ollama itself says "stop"
    assert (
        answer.tool_calls
        == stream.tool_calls
        == (
            ToolCall(id="call_0", name="get_weather", arguments={"city": "Zürich"}, raw='{"city": "Zürich"}'),
            ToolCall(id="call_x", name="now", arguments={}, raw="{}"),
        )
    )


@pytest.mark.parametrize(
    "tool_calls", ["x", [{"function": {"arguments": {}}}], [{"function": {"name": "f", "arguments": 3}}]]
)
def test_ollama_tool_calls_of_a_wrong_shape_are_value_errors(tool_calls: Any) -> None:
    with pytest.raises(ValueError, match="tool"):
        ollama.parse_line(ollama_line(tool_calls, done=True))


# -- shared HTTP base ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "registry.ollama.ai/library/gemma:2b does not support tools",
        '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
        "tools param requires --jinja flag",
    ],
)
def test_a_server_refusing_tools_says_so(message: str) -> None:
    error = map_status(400, {"error": message}, backend="ollama", url="http://x")
    assert isinstance(error, GenerationFailed) and "cannot call tools" in error.message and message in error.message
    mid_stream = stream_error(message, backend="lmstudio")
    assert isinstance(mid_stream, GenerationFailed) and "lmstudio cannot call tools" in mid_stream.message


def test_truncation_keeps_tool_turns_whole_and_drops_results_with_their_call() -> None:
    old = Message(role="user", content="old " * 200)
    turns = (old, *ROUND[1:], Message(role="user", content="and now?"))
    kept = fit_messages(turns, context=200, room=50)
    assert kept == turns[1:]  # the old turn went; the call and its result are intact
    dropped = fit_messages(turns, context=40, room=30)
    assert [m.role for m in dropped] == ["user"]  # the call went, and its result with it
    result = Message(role="tool", content="x" * 400, tool_call_id="call_1", name="get_weather")
    cut = fit_messages((result,), context=50, room=10)[0]
    assert (cut.tool_call_id, cut.name) == ("call_1", "get_weather") and 0 < len(cut.content) < 400


def test_the_tools_count_in_the_prompt_ollama_checks_before_sending() -> None:
    from typing import cast

    from chi_llm.adapters.providers.http.transport import HttpTransport
    from chi_llm.domain.errors import ContextLengthExceeded

    generator = ollama.OllamaGenerator(cast(HttpTransport, None), model="m", context=64)
    generator.prepare(chat(ROUND[0]))  # fits alone
    big = Tool(name="big", description="word " * 200)
    with pytest.raises(ContextLengthExceeded):
        generator.prepare(chat(ROUND[0], tools=ToolSet(tools=(big,))))


def test_a_call_whose_arguments_are_not_json_is_refused_before_sending() -> None:
    odd = ToolCall(id="c9", name="now", arguments={"when": object()})
    asked = chat(Message(role="assistant", content="", tool_calls=(odd,)))
    with pytest.raises(InvalidRequest, match=r"'c9'.*not JSON"):
        openai_compatible.to_payload(asked, stream=False)
    with pytest.raises(InvalidRequest, match=r"'c9'.*not JSON"):
        ollama.to_payload(asked, stream=False, num_ctx=2048)
