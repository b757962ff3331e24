"""Answers of the wrong shape, or that are no generation at all, are one clear error — never a
traceback and never an empty success — in streams and whole answers alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chi_llm.adapters.providers.ollama import OllamaGenerator
from chi_llm.adapters.providers.openai_compatible import OpenAICompatibleGenerator
from chi_llm.domain.errors import ChiLlmError, GenerationFailed
from tests.support.scripted_stream import REQUEST, ScriptedTransport, WholeAnswer, async_run, sync_run


def sse(*objects: Any) -> list[str]:
    return [line for o in objects for line in ("data: " + json.dumps(o), "")]


@pytest.mark.parametrize(
    "lines",
    [
        sse({"choices": [{"delta": "hi"}]}),
        sse({"choices": "x"}),
        sse([1, 2]),
        ["<html><body>Welcome to nginx!</body></html>"],
        [],
    ],
    ids=["delta-not-object", "choices-not-list", "list-body", "html", "empty"],
)
def test_a_stream_that_is_not_a_generation_fails_clearly(lines: list[str]) -> None:
    for loop in (sync_run, async_run):
        with pytest.raises(GenerationFailed, match=r"does not understand|without a generation"):
            loop(lines)


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ({"error": "boom"}, "boom"),
        ([1, 2], "does not understand"),
        ({"choices": "x"}, "does not understand"),
        ({"choices": [{"delta": "hi"}]}, "does not understand"),
        ({"choices": [{"message": "hi"}]}, "does not understand"),
        ({"choices": [{"message": {"content": ["hi"]}}]}, "does not understand"),
        ({"object": "nothing"}, r"does not understand|without a generation"),
    ],
)
def test_a_whole_answer_that_is_not_a_generation_fails_clearly(body: Any, pattern: str) -> None:
    adapter = OpenAICompatibleGenerator(WholeAnswer(body), model="m")
    with pytest.raises(ChiLlmError, match=pattern):
        adapter.generate(REQUEST)


def test_ollama_shapes_from_the_fault_runs() -> None:
    wrong = OllamaGenerator(ScriptedTransport([json.dumps({"message": "hi", "done": True})]), model="m")
    with pytest.raises(GenerationFailed, match="does not understand"):
        list(wrong.stream(REQUEST))
    counts = [json.dumps({"message": {"content": "hi"}, "done": True, "prompt_eval_count": "5", "eval_count": -1})]
    chunks = list(OllamaGenerator(ScriptedTransport(counts), model="m").stream(REQUEST))
    usage = chunks[-1].usage
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens == 1  # estimates stand


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["choices", "delta", "content", "usage", "error", "message", "text", "finish_reason"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=12,
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(objects=st.lists(json_values, max_size=4))
def test_any_json_stream_is_a_generation_or_a_chi_llm_error(objects: list[Any]) -> None:
    adapter = OpenAICompatibleGenerator(ScriptedTransport(sse(*objects)), model="m")
    try:
        chunks = list(adapter.stream(REQUEST))
    except ChiLlmError:
        return
    assert chunks[-1].finish_reason in ("stop", "length") and all(isinstance(c.text, str) for c in chunks)
