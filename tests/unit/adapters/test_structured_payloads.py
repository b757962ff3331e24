"""Each provider enforces a JSON Schema with its own mechanism: what goes on the wire."""

from __future__ import annotations

import json
from typing import Any

from chi_llm.adapters.providers import anthropic, gemini, ollama, openai_compatible
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema

PERSON: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
}
CLOSED = {**PERSON, "additionalProperties": False}


def request(schema: dict[str, Any]) -> GenerationRequest:
    options = GenerationOptions(schema=OutputSchema.of(schema, name="person"))
    return GenerationRequest(messages=(Message(role="user", content="Alice is 31"),), options=options)


def test_openai_compatible_sends_response_format_json_schema_strict_when_it_can() -> None:
    loose = openai_compatible.to_payload(request(PERSON), stream=False)["response_format"]
    assert loose == {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON, "strict": False}}
    strict = openai_compatible.to_payload(request(CLOSED), stream=True)["response_format"]
    assert strict["json_schema"]["strict"] is True and strict["json_schema"]["schema"] == CLOSED


def test_ollama_sends_the_schema_as_format() -> None:
    assert ollama.to_payload(request(PERSON), stream=False, num_ctx=2048)["format"] == PERSON


def test_gemini_sends_a_response_schema_in_its_subset() -> None:
    config = gemini.to_payload(request(CLOSED))["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"] == PERSON  # additionalProperties is not in Gemini's subset: dropped


def test_anthropic_forces_a_tool_whose_input_is_the_schema() -> None:
    payload = anthropic.to_payload(request(PERSON), stream=False)
    assert payload["tools"] == [{"name": "person", "description": "Reply with this structure.", "input_schema": PERSON}]
    assert payload["tool_choice"] == {"type": "tool", "name": "person"}
    body = {
        "content": [{"type": "tool_use", "id": "t1", "name": "person", "input": {"name": "Alice", "age": 31}}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 9, "output_tokens": 7},
    }
    assert json.loads(anthropic.parse_response(body).text) == {"name": "Alice", "age": 31}
    streamed = anthropic.parse_event(
        "content_block_delta",
        {"type": "content_block_delta", "delta": {"type": "input_json_delta", "partial_json": '{"name": "Al'}},
    )
    assert streamed is not None and streamed.text == '{"name": "Al'


def test_a_schema_is_immutable_and_says_when_openai_strict_mode_takes_it() -> None:
    schema = OutputSchema.of(CLOSED)
    assert hash(schema) == hash(OutputSchema.of(dict(reversed(list(CLOSED.items())))))
    assert schema.strict_ready and not OutputSchema.of(PERSON).strict_ready
    nested = {"type": "object", "properties": {"p": CLOSED}, "required": ["p"], "additionalProperties": False}
    assert OutputSchema.of(nested).strict_ready
    assert not OutputSchema.of({**nested, "properties": {"p": PERSON}}).strict_ready


def test_each_backend_says_whether_it_enforces_or_only_requests() -> None:
    from chi_llm.adapters.fake import FakeTextGenerator

    closed, loose = OutputSchema.of(CLOSED), OutputSchema.of(PERSON)
    assert not FakeTextGenerator().enforces(closed)
    assert OutputSchema.of({"type": "string", "pattern": "^a"}).value["pattern"] == "^a"
    assert gemini.gemini_schema({"type": "string", "pattern": "^a"}) == {"type": "string"}  # dropped: not enforced
    assert closed.strict_ready and not loose.strict_ready  # what OpenAI-compatible servers' strict mode needs
