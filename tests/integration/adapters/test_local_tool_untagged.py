"""Calls written without their `<tool_call>` tags at the answer's start (`{"name": ...}`, bare or
in a ```json fence), as Qwen2.5-Coder writes them: read as calls and, under the lazy auto grammar,
decoded under the declared tools' grammar from there, as llama.cpp's server does. An answer that
opens with other JSON stays text.

The Qwen model is a benchmark asset (benchmarks/assets.py), never fetched by the tests: those
tests skip when it is not in the benchmark cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.assets import QWEN_CODER_05B, ready
from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.adapters.llama_cpp.generator import LlamaCppGenerator
from chi_llm.domain.generation import GenerationOptions, GenerationRequest, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import Tool, ToolSet

FORECAST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 30},
        "days": {"type": "integer", "minimum": 1, "maximum": 3},
        "unit": {"enum": ["C", "F"]},
    },
    "required": ["city", "days", "unit"],
}
TOOL = Tool(name="get_forecast", description="Weather forecast of a city", parameters=FORECAST)
PROMPTS = (
    "What will the weather be in Paris over the next 10 days?",
    "Give me the forecast for Oslo for the whole week.",
)
QWEN = ready(QWEN_CODER_05B)


def ask(prompt: str, max_tokens: int = 80) -> GenerationRequest:
    options = GenerationOptions(tools=ToolSet(tools=(TOOL,)), max_tokens=max_tokens, temperature=0.0, seed=1)
    return GenerationRequest(messages=(Message(role="user", content=prompt),), options=options)


@pytest.fixture(scope="module")
def qwen() -> Path:
    if QWEN is None:
        pytest.skip(
            "Qwen2.5-Coder-0.5B is a benchmark asset, not fetched by the tests: run "
            "`.venv/bin/python benchmarks/assets.py` to fetch it into the benchmark cache"
        )
    return QWEN


@pytest.mark.parametrize("prompt", PROMPTS)
def test_qwen_answering_with_an_untagged_call_gets_a_schema_valid_call(qwen: Path, prompt: str) -> None:
    """Without the grammar, Qwen's untagged call is still read, with the days it asked for (out
    of the schema's 1..3); with the lazy grammar, the same answer's call follows the schema."""
    free = LlamaCppGenerator(locate=lambda _: qwen, default_model="qwen", context=2048, tool_grammar=False)
    loose = free.generate(ask(prompt))
    assert [c.name for c in loose.tool_calls] == ["get_forecast"] and loose.text == ""
    assert JsonSchemaValidator().errors(dict(loose.tool_calls[0].arguments), FORECAST) != []  # days > 3
    local = LlamaCppGenerator(locate=lambda _: qwen, default_model="qwen", context=2048)
    answer = local.generate(ask(prompt))
    assert [c.name for c in answer.tool_calls] == ["get_forecast"] and answer.finish_reason == "tool_calls"
    assert JsonSchemaValidator().errors(dict(answer.tool_calls[0].arguments), FORECAST) == []
    streamed = collect(list(local.stream(ask(prompt))))
    assert [(c.name, c.raw) for c in streamed.tool_calls] == [(c.name, c.raw) for c in answer.tool_calls]


def test_an_answer_opening_with_json_that_is_not_a_call_stays_text(default_model_path: Path) -> None:
    """SmolLM2 (tools offered, auto) answers with a ```json fenced object that is not a call:
    it is neither mistaken for a call nor altered. (An answer opening with `{"name":` would be
    taken for a call: the trade-off of llama.cpp's server, which triggers on the same.)"""
    local = LlamaCppGenerator(locate=lambda _: default_model_path, default_model="smollm2", context=1024)
    request = ask('Write a JSON object with the key "x" set to 1. Only the JSON.', max_tokens=40)
    answer = local.generate(request)
    assert answer.text.startswith('```json\n{\n    "x": 1') and answer.tool_calls == ()
    assert answer.finish_reason in ("stop", "length")
    free = LlamaCppGenerator(
        locate=lambda _: default_model_path, default_model="smollm2", context=1024, tool_grammar=False
    )
    assert free.generate(request).text == answer.text  # watching the answer's start changed nothing
    assert "".join(c.text for c in local.stream(request)) == answer.text
