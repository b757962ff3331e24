"""The real llama.cpp adapter on the embedded model: a JSON Schema becomes a grammar, and what
the model writes is a valid instance of the schema, for every shape in the supported subset
(nested objects, arrays, enums, bounded numbers, optional fields)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema
from tests.contract.conftest import Subject, _llama_cpp

SCHEMAS: dict[str, dict[str, Any]] = {
    "flat": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    },
    "nested": {
        "type": "object",
        "properties": {
            "person": {
                "type": "object",
                "properties": {"name": {"type": "string", "maxLength": 20}, "city": {"type": "string"}},
                "required": ["name"],
            },
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        },
        "required": ["person", "tags"],
    },
    "enum_and_bounds": {
        "type": "object",
        "properties": {
            "sentiment": {"enum": ["positive", "negative", "neutral"]},
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "ratio": {"type": "number"},
            "verified": {"type": "boolean"},
        },
        "required": ["sentiment", "score", "verified"],
    },
    "array_of_objects": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"item": {"type": "string"}, "qty": {"type": "integer", "minimum": 0}},
            "required": ["item", "qty"],
        },
        "minItems": 1,
        "maxItems": 3,
    },
}


@pytest.fixture(scope="module")
def local(request: pytest.FixtureRequest) -> Subject:
    return _llama_cpp(request)


def ask(subject: Subject, schema: dict[str, Any], text: str, **options: Any) -> str:
    request = GenerationRequest(
        messages=(Message(role="user", content=f"Extract the data as JSON from: {text}"),),
        options=GenerationOptions(schema=OutputSchema.of(schema), max_tokens=120, seed=7, **options),
    )
    answer: str = subject.generator.generate(request).text
    return answer


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_the_answer_is_a_valid_instance(local: Subject, name: str) -> None:
    assert local.generator.enforces(OutputSchema.of(SCHEMAS[name]))
    text = ask(local, SCHEMAS[name], "Alice, 31, from Paris, loves tea and cats; she rated it 4 of 5, happy.")
    jsonschema.validate(json.loads(text), SCHEMAS[name])


def test_even_at_a_high_temperature(local: Subject) -> None:
    for seed in (1, 2, 3):
        request = GenerationRequest(
            messages=(Message(role="user", content="Anything at all."),),
            options=GenerationOptions(schema=OutputSchema.of(SCHEMAS["enum_and_bounds"]), temperature=1.5, seed=seed),
        )
        jsonschema.validate(json.loads(local.generator.generate(request).text), SCHEMAS["enum_and_bounds"])


def test_a_schema_the_grammar_cannot_express_is_a_clear_error(local: Subject) -> None:
    with pytest.raises(InvalidRequest, match="grammar"):
        ask(local, {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}, "x")
