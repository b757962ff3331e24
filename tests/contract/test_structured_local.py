"""The real llama.cpp adapter on the embedded model: a JSON Schema becomes a grammar, and what
the model writes is a valid instance of the schema, for every shape in the supported subset
(nested objects, arrays, enums, bounded numbers, optional fields)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
def local(request: pytest.FixtureRequest, default_model_path: Path) -> Subject:
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


def leaf() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.just({"type": "string", "maxLength": 12}),
        st.integers(-5, 5).map(lambda low: {"type": "integer", "minimum": low, "maximum": low + 9}),
        st.just({"type": "boolean"}),
        st.lists(st.sampled_from(["red", "green", "blue", "gold"]), min_size=2, max_size=4, unique=True).map(
            lambda options: {"enum": options}
        ),
        st.just({"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 2}),
    )


def objects(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def shaped(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
        values = st.lists(inner, min_size=len(keys), max_size=len(keys))
        return st.tuples(values, st.sets(st.sampled_from(keys))).map(
            lambda pair: {
                "type": "object",
                "properties": dict(zip(keys, pair[0], strict=True)),
                "required": sorted(pair[1]),
            }
        )

    return st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=3, unique=True).flatmap(shaped)


SUBSET = objects(st.one_of(leaf(), objects(leaf())))


# Fewer than the profile's examples: each one is a real-model generation of up to 120 tokens.
@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(SUBSET)
def test_any_schema_in_the_subset_yields_a_valid_instance(local: Subject, schema: dict[str, Any]) -> None:
    answer = ask(local, schema, "Make up plausible values.")
    jsonschema.validate(json.loads(answer, strict=False), schema)  # as extract parses it
