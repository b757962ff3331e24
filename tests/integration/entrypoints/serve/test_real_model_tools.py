"""Tool calling through `chi-llm serve` on the real embedded model (llama.cpp), with the official
`openai` client: tool_choice "required" forces a call, which must name a declared tool with
arguments that follow its schema; the result goes back as a `role: tool` turn and the model
answers in text. Whole and streamed (the SDK's stream helper assembling the fragments)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.support.serve import Process, local_model_server
from tests.support.serve_clients import openai_client as client

ASK: Any = [{"role": "user", "content": "What is the weather in Paris? Use the weather tool."}]
SCHEMA: Any = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER: Any = {
    "type": "function",
    "function": {"name": "weather", "description": "The current weather in a city.", "parameters": SCHEMA},
}


@pytest.fixture(scope="module")
def served(default_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    with local_model_server(default_model_path, tmp_path_factory.mktemp("serve")) as server:
        yield server


def follow_up(server: Process, call_id: str, arguments: str) -> str:
    """The model's answer once the call's result is in the history (tools still offered; "none"
    so it answers in text)."""
    city = json.loads(arguments)["city"]
    asked = {"id": call_id, "type": "function", "function": {"name": "weather", "arguments": arguments}}
    messages: Any = [
        *ASK,
        {"role": "assistant", "content": None, "tool_calls": [asked]},
        {"role": "tool", "tool_call_id": call_id, "content": f"Sunny, 21 C in {city}."},
    ]
    final = client(server).chat.completions.create(
        model="smollm2-135m", messages=messages, tools=[WEATHER], tool_choice="none", max_tokens=48, temperature=0
    )
    choice = final.choices[0]
    assert choice.finish_reason in ("stop", "length") and not choice.message.tool_calls
    return choice.message.content or ""


def test_the_local_model_makes_a_forced_call_and_answers_its_result(served: Process) -> None:
    first = client(served).chat.completions.create(
        model="smollm2-135m", messages=ASK, tools=[WEATHER], tool_choice="required", max_tokens=200, temperature=0
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.id and call.function.name == "weather"
    jsonschema.validate(json.loads(call.function.arguments), SCHEMA)
    assert follow_up(served, call.id, call.function.arguments).strip()


def test_the_local_model_streams_a_forced_call(served: Process) -> None:
    with client(served).chat.completions.stream(
        model="smollm2-135m", messages=ASK, tools=[WEATHER], tool_choice="required", max_tokens=200, temperature=0
    ) as stream:
        done = stream.get_final_completion()
    choice = done.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.function.name == "weather" and call.id
    jsonschema.validate(json.loads(call.function.arguments), SCHEMA)
    assert follow_up(served, call.id, call.function.arguments).strip()
