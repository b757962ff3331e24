"""Pure wire mapping: error bodies, framing, payloads and chunk parsing, without sockets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.providers import anthropic, gemini, ollama, openai_compatible
from chi_llm.adapters.providers.http.errors import map_status
from chi_llm.adapters.providers.http.framing import ndjson_frames, sse_frames
from chi_llm.domain.errors import (
    BackendUnavailable,
    ContextLengthExceeded,
    GenerationFailed,
    MissingCredentials,
    ModelNotFound,
    RateLimited,
)
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message

CHAT = GenerationRequest(
    messages=(Message(role="system", content="Be brief."), Message(role="user", content="Hi")),
    model="m",
    options=GenerationOptions(temperature=0.2, max_tokens=7, stop=("\n",), seed=3, json=True),
)


@pytest.mark.parametrize(
    ("status", "body", "kind", "numbers"),
    [
        (
            400,
            {
                "error": {
                    "message": "This model's maximum context length is 512 tokens. However, you requested 836 "
                    "tokens (831 in the messages, 5 in the completion).",
                    "code": "context_length_exceeded",
                }
            },
            ContextLengthExceeded,
            (836, 512),
        ),
        (
            400,
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "message": "prompt is too long: 210000 tokens > 200000 maximum",
                },
            },
            ContextLengthExceeded,
            (210000, 200000),
        ),
        (
            400,
            {
                "error": {
                    "code": 400,
                    "message": "The input token count (40000) exceeds the maximum number of tokens allowed (32768).",
                    "status": "INVALID_ARGUMENT",
                }
            },
            ContextLengthExceeded,
            (40000, 32768),
        ),
        (401, {"error": {"message": "Incorrect API key provided"}}, MissingCredentials, None),
        (400, {"error": {"message": "API key not valid. Please pass a valid API key."}}, MissingCredentials, None),
        (404, {"error": 'model "x" not found, try pulling it first'}, ModelNotFound, None),
        (429, {"error": {"message": "Rate limit"}}, RateLimited, None),
        (
            529,
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            BackendUnavailable,
            None,
        ),
        (422, "unprocessable", GenerationFailed, None),
    ],
)
def test_error_bodies_map_to_domain_errors(status: int, body: object, kind: type, numbers: tuple | None) -> None:  # type: ignore[type-arg]
    error = map_status(status, body, backend="b", url="http://x")
    assert isinstance(error, kind)
    if numbers:
        assert (error.prompt_tokens, error.context) == numbers  # type: ignore[attr-defined]


def test_sse_framing() -> None:
    lines = [
        ": keep-alive",
        "event: message_delta",
        'data: {"a": 1}',
        "",
        'data: {"b":',
        "data: 2}",
        "",
        "data: [DONE]",
        "",
        'data: {"never": 1}',
        "",
    ]
    frames = list(sse_frames(lines, backend="t"))
    assert [(f.event, f.data) for f in frames] == [("message_delta", {"a": 1}), (None, {"b": 2})]
    with pytest.raises(GenerationFailed, match="malformed"):
        list(sse_frames(["data: {oops", ""], backend="t"))


@given(objects=st.lists(st.dictionaries(st.text(max_size=5), st.integers()), max_size=5))
def test_ndjson_round_trip(objects: list[dict[str, int]]) -> None:
    import json

    lines = [json.dumps(o) for o in objects] + [""]
    assert [f.data for f in ndjson_frames(lines, backend="t")] == objects


def test_openai_payload_and_chunks() -> None:
    payload = openai_compatible.to_payload(CHAT, stream=True)
    assert payload["messages"][0] == {"role": "system", "content": "Be brief."}
    assert (payload["max_tokens"], payload["stop"], payload["seed"]) == (7, ["\n"], 3)
    assert payload["response_format"] == {"type": "json_object"} and payload["stream_options"]["include_usage"]
    delta = openai_compatible.parse_chunk({"choices": [{"delta": {"content": "Hi"}, "finish_reason": None}]})
    assert delta is not None and delta.text == "Hi" and delta.finish is None
    usage = openai_compatible.parse_chunk({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}})
    assert usage is not None and (usage.prompt_tokens, usage.completion_tokens) == (5, 2)


def test_ollama_payload_carries_num_ctx() -> None:
    payload = ollama.to_payload(CHAT, stream=True, num_ctx=8192)
    assert payload["options"] == {"num_ctx": 8192, "temperature": 0.2, "num_predict": 7, "seed": 3, "stop": ["\n"]}
    assert payload["format"] == "json"
    done = ollama.parse_line({"done": True, "done_reason": "length", "prompt_eval_count": 9, "eval_count": 7})
    assert done is not None and (done.finish, done.prompt_tokens, done.completion_tokens) == ("length", 9, 7)


def test_anthropic_payload_and_events() -> None:
    payload = anthropic.to_payload(CHAT, stream=True)
    assert payload["system"] == "Be brief." and payload["messages"] == [{"role": "user", "content": "Hi"}]
    assert payload["max_tokens"] == 7 and payload["stop_sequences"] == ["\n"]
    raw = anthropic.to_payload(GenerationRequest(prompt="Once upon a time ", model="m"), stream=False)
    assert raw["messages"][-1] == {"role": "assistant", "content": "Once upon a time"}
    event = anthropic.parse_event(
        "message_delta",
        {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 4}},
    )
    assert event is not None and (event.finish, event.completion_tokens) == ("length", 4)


def test_gemini_payload_and_responses() -> None:
    payload = gemini.to_payload(CHAT)
    assert payload["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert payload["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    assert payload["generationConfig"]["responseMimeType"] == "application/json"
    event = gemini.parse_response(
        {
            "candidates": [{"content": {"parts": [{"text": "ok"}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1},
        }
    )
    assert (event.text, event.finish, event.prompt_tokens) == ("ok", "stop", 3)
