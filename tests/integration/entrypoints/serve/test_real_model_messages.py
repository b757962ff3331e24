"""Anthropic's Messages API on the real embedded model (llama.cpp), with the official `anthropic`
client: a whole answer, a stream through the SDK's helper, token counting by the model's own
tokenizer and chat template (the count is the prompt the answer then reports), and a forced
tool call whose result goes back as a tool_result block."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.support.serve import Process, local_model_server
from tests.support.serve_clients import anthropic_client as client

MODEL = "smollm2-135m"
ASK: Any = [{"role": "user", "content": "Say hello."}]
SCHEMA: Any = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER: Any = {"name": "weather", "description": "The current weather in a city.", "input_schema": SCHEMA}
COLD: Any = {"temperature": 0}


@pytest.fixture(scope="module")
def served(default_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    with local_model_server(default_model_path, tmp_path_factory.mktemp("serve")) as server:
        yield server


def test_a_whole_answer_and_a_stream(served: Process) -> None:
    answer = client(served).messages.create(model=MODEL, max_tokens=24, messages=ASK, system="Be kind.")
    assert answer.content[0].type == "text" and answer.content[0].text.strip()
    assert answer.stop_reason in ("end_turn", "max_tokens") and 0 < answer.usage.output_tokens <= 24
    with client(served).messages.stream(model=MODEL, max_tokens=24, messages=ASK) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.strip() and final.content[0].type == "text" and final.content[0].text == text
    assert final.usage.input_tokens + (final.usage.cache_read_input_tokens or 0) > 3


def test_count_tokens_is_the_prompt_the_model_reports(served: Process) -> None:
    api = client(served)
    turns: Any = [
        *ASK,
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Once more, in French."},
    ]
    for tools in ([], [WEATHER]):
        raw = api.messages.with_raw_response.count_tokens(model=MODEL, system="Be brief.", messages=turns, tools=tools)
        assert raw.headers["x-chi-llm-token-count"] == "exact"
        counted = raw.parse().input_tokens
        answer = api.messages.create(
            model=MODEL, max_tokens=4, system="Be brief.", messages=turns, tools=tools, extra_body=COLD
        )
        assert counted == answer.usage.input_tokens + (answer.usage.cache_read_input_tokens or 0) > 10
    short = api.messages.count_tokens(model=MODEL, messages=ASK).input_tokens
    assert short < counted


def test_a_forced_tool_call_and_its_result(served: Process) -> None:
    api = client(served)
    ask: Any = [{"role": "user", "content": "What is the weather in Paris? Use the weather tool."}]
    first = api.messages.create(
        model=MODEL, max_tokens=48, messages=ask, tools=[WEATHER], tool_choice={"type": "any"}, extra_body=COLD
    )
    uses = [b for b in first.content if b.type == "tool_use"]
    assert first.stop_reason == "tool_use" and uses and uses[0].name == "weather" and uses[0].id.startswith("toolu_")
    jsonschema.validate(uses[0].input, SCHEMA)
    turns: Any = [
        *ask,
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": uses[0].id, "content": "Sunny, 21 C."}]},
    ]
    with api.messages.stream(
        model=MODEL, max_tokens=48, messages=turns, tools=[WEATHER], tool_choice={"type": "none"}, extra_body=COLD
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason in ("end_turn", "max_tokens") and final.content and final.content[0].type == "text"
