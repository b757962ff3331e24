"""OpenAI request bodies to domain values, and model names to routes: pure functions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chi_llm.domain.errors import ModelNotFound
from chi_llm.domain.providers import ProviderProfile
from chi_llm.entrypoints.server import wire
from chi_llm.entrypoints.server.backends import Known, Route, resolve
from chi_llm.entrypoints.server.errors import HttpError

USER = [{"role": "user", "content": "hi"}]


def test_chat_request_fields() -> None:
    parsed = wire.chat_request(
        {
            "model": "m",
            "messages": [
                {"role": "developer", "content": "rules"},
                {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                {"role": "assistant", "content": None},
            ],
            "max_tokens": 9,
            "max_completion_tokens": 5,
            "stop": "END",
            "stream": True,
            "stream_options": {"include_usage": True},
            "frequency_penalty": 0.5,  # accepted, ignored
            "user": "someone",
        }
    )
    assert [(m.role, m.content) for m in parsed.messages] == [("system", "rules"), ("user", "ab"), ("assistant", "")]
    assert parsed.options.max_tokens == 5 and parsed.options.stop == ("END",)
    assert parsed.stream and parsed.include_usage and parsed.model == "m"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "tool_call_id must name the call"),
        ({"messages": USER, "n": 3}, "n must be 1"),
        ({"messages": USER, "tools": [{"type": "function"}]}, "tools[0].function must be an object"),
        ({"messages": USER, "functions": [{"name": "f"}]}, "retired form of tool calling"),
        ({"messages": USER, "logprobs": True}, "logprobs"),
        ({"messages": USER, "stop": ["a", "b", "c", "d", "e"]}, "at most 4"),
        ({"messages": USER, "temperature": "hot"}, "temperature must be a number"),
        ({"messages": USER, "max_tokens": 0}, "at least 1"),
        ({"messages": USER, "max_tokens": 2.5}, "whole number"),
        ({"messages": USER, "stream": "yes"}, "true or false"),
        ({"messages": USER, "response_format": {"type": "xml"}}, "response_format type"),
        ({"messages": USER, "model": 5}, "model must be a string"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_chat_requests_are_400_saying_why(body: Any, fragment: str) -> None:
    with pytest.raises(HttpError) as error:
        wire.chat_request(body)
    assert error.value.status == 400 and fragment in error.value.message


def test_completion_request_and_its_refusals() -> None:
    parsed = wire.completion_request({"model": "m", "prompt": ["only one"], "max_tokens": 3})
    assert parsed.prompt == "only one" and not parsed.messages
    for body, fragment in (
        ({"prompt": [1, 2, 3]}, "token arrays"),
        ({"prompt": "x", "suffix": "y"}, "suffix"),
        ({"prompt": "x", "echo": True}, "echo"),
        ({"prompt": "x", "best_of": 3}, "best_of"),
    ):
        with pytest.raises(HttpError, match=fragment):
            wire.completion_request(body)


def test_embedding_inputs() -> None:
    assert wire.embedding_inputs({"model": "e", "input": "x"}) == ("e", ["x"], "float")
    assert wire.embedding_inputs({"input": ["a", "b"], "encoding_format": "base64"})[1:] == (["a", "b"], "base64")
    bodies: list[dict[str, Any]] = [{"input": []}, {"input": [[1, 2]]}, {"input": [""]}]
    bodies.append({"input": "x", "encoding_format": "hex"})
    for body in bodies:
        with pytest.raises(HttpError):
            wire.embedding_inputs(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@settings(suppress_health_check=[HealthCheck.too_slow])  # generation slows on a loaded machine, not the test
@given(
    body=st.dictionaries(
        st.sampled_from(["model", "messages", "max_tokens", "stop", "temperature", "stream", "response_format", "n"]),
        json_values,
    )
)
def test_any_json_body_is_parsed_or_refused_with_a_400(body: dict[str, Any]) -> None:
    json.dumps(body)  # only what a client could send
    refused: HttpError | None = None
    try:
        wire.chat_request(body)
    except HttpError as error:
        refused = error
    assert refused is None or (refused.status == 400 and refused.message)


PROFILES = [
    ProviderProfile(id="local", type="local"),
    ProviderProfile(id="ollama", type="ollama"),
    ProviderProfile(id="groq", type="openai"),
]


def known(**overrides: Any) -> Known:
    values: dict[str, Any] = {
        "profiles": PROFILES,
        "ready": {"smollm2-135m"},
        "catalog": {"smollm2-135m", "qwen2.5-0.5b"},
        "inventory": lambda: {
            "ollama:llama3.2:1b": "ollama:llama3.2:1b",
            "gguf:/m/caf\\xe9.gguf": "gguf:/m/caf\udce9.gguf",
        },
        "profile_models": {"local": "smollm2-135m", "ollama": "llama3.2", "groq": "llama-3.1-8b-instant"},
        "catalog_profiles": {"local"},
    }
    return Known(**{**values, **overrides})


def test_model_names_route_to_profiles_models_or_the_default_order() -> None:
    assert resolve(None, known()) == Route() == resolve("default", known())
    assert resolve("ollama", known()) == Route(provider="ollama")
    assert resolve("ollama/qwen3:4b", known()) == Route(provider="ollama", model="qwen3:4b")
    assert resolve("groq/meta-llama/llama-4", known()) == Route(provider="groq", model="meta-llama/llama-4")
    assert resolve("smollm2-135m", known()) == Route(provider="local", model="smollm2-135m")
    assert resolve("llama3.2", known()) == Route(provider="ollama", model="llama3.2")  # a profile's own model
    assert resolve("ollama:llama3.2:1b", known()) == Route(provider="local", model="ollama:llama3.2:1b")
    shown = "gguf:/m/caf\\xe9.gguf"  # a file name that is not UTF-8, as listed: routes to the file as found
    assert resolve(shown, known()) == resolve("local/" + shown, known()) == Route("local", "gguf:/m/caf\udce9.gguf")


def test_unknown_and_undownloaded_models_say_what_to_do() -> None:
    with pytest.raises(ModelNotFound, match=r"chi-llm models download qwen2\.5-0\.5b"):
        resolve("qwen2.5-0.5b", known())
    with pytest.raises(ModelNotFound, match="GET /v1/models"):
        resolve("gpt-9", known())
    with pytest.raises(ModelNotFound):
        resolve("/etc/passwd", known())  # a path is never a model name over HTTP
    with pytest.raises(ModelNotFound):
        resolve("nobody/else", known())


def test_a_catalog_model_profile_takes_only_what_the_server_lists() -> None:
    assert resolve("local/smollm2-135m", known()) == Route(provider="local", model="smollm2-135m")
    assert resolve("local/ollama:llama3.2:1b", known()) == Route(provider="local", model="ollama:llama3.2:1b")
    for name in ("local//etc/shadow", "local/../x.gguf", "local/model.gguf", "local/ollama:other:1b"):
        with pytest.raises(ModelNotFound, match="GET /v1/models"):
            resolve(name, known())
    with pytest.raises(ModelNotFound, match=r"not downloaded; run `chi-llm models download qwen2\.5-0\.5b`"):
        resolve("local/qwen2.5-0.5b", known())
    assert resolve("ollama//any/thing", known()) == Route(provider="ollama", model="/any/thing")  # its server decides
