"""Structured output over every TextGenerator adapter: each carries the schema to its backend in
that backend's own field (the protocol servers decode it back: openai's response_format
json_schema, Ollama's format, Gemini's responseSchema, Anthropic's forced tool), streamed and
whole; backends that really enforce it answer with a valid instance."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from chi_llm.adapters.providers.gemini import gemini_schema
from chi_llm.domain.generation import GenerationOptions, GenerationRequest, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema
from tests.contract.conftest import Subject

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 30}, "sunny": {"type": "boolean"}},
    "required": ["city", "sunny"],
    "additionalProperties": False,
}
ENFORCING_FOR_SURE = ("llama_cpp",)  # decodes under a grammar; the protocol servers answer as scripted


def request(subject: Subject) -> GenerationRequest:
    options = GenerationOptions(schema=OutputSchema.of(SCHEMA, name="weather"), max_tokens=60, seed=3)
    message = Message(role="user", content="Paris is sunny today. Give the city and whether it is sunny.")
    return GenerationRequest(messages=(message,), options=options)


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_the_schema_reaches_the_backend_in_its_own_field(subject: Subject, streamed: bool, request_id: str) -> None:
    ask = request(subject)
    done = collect(subject.generator.stream(ask)) if streamed else subject.generator.generate(ask)
    assert done.finish_reason in ("stop", "length")
    if subject.received is not None and request_id != "fake":
        seen = subject.received()
        expected = gemini_schema(SCHEMA) if request_id == "gemini" else SCHEMA  # Gemini gets its subset
        assert seen.options.schema is not None and seen.options.schema.value == expected
    if request_id.endswith("_llama_server"):  # it refuses json_schema: json_object + schema, a grammar
        assert subject.generator.schema_mode == "json_object_schema"
    if request_id in ENFORCING_FOR_SURE or request_id.endswith("_llama_server"):
        jsonschema.validate(json.loads(done.text), SCHEMA)
        assert subject.generator.enforces(ask.options.schema)


@pytest.fixture
def request_id(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["subject"])
