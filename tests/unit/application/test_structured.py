"""extract / classify: the schema from Python types, validation, one repair, clear failure —
on the scripted fake backend (which enforces nothing, so validation does all the work)."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
from typing import Any, Literal, TypedDict

import pytest

from chi_llm import MicroLLM
from chi_llm.application.type_schema import schema_for
from chi_llm.domain.errors import InvalidRequest, StructuredOutputError

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def fake(*replies: str) -> MicroLLM:
    return MicroLLM(provider={"type": "fake", "replies": list(replies)})


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


@dataclasses.dataclass
class Address:
    city: str
    country: str | None = None


@dataclasses.dataclass
class Person:
    name: str
    age: int
    address: Address
    mood: Mood
    tags: list[str] = dataclasses.field(default_factory=list)


class Movie(TypedDict, total=False):
    title: str
    year: int


class PydanticLike:
    """What pydantic models offer, without pydantic."""

    def __init__(self, **values: Any) -> None:
        self.values = values

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        return {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}

    @classmethod
    def model_validate(cls, value: dict[str, Any]) -> PydanticLike:
        return cls(**value)


def test_a_mapping_schema_gives_the_parsed_value() -> None:
    llm = fake('{"name": "Alice", "age": 31}')
    assert llm.extract("Alice is 31", PERSON) == {"name": "Alice", "age": 31}
    assert llm.last_extraction is not None and llm.last_extraction.attempts == 1
    assert llm.last_completion is not None and llm.last_completion.text == '{"name": "Alice", "age": 31}'
    assert llm.last_completion.structured == "requested"  # the fake only hears the request...
    assert llm.last_extraction.enforced is False  # ...so the validation did the work


def test_a_code_fence_around_the_json_is_tolerated() -> None:
    assert fake('```json\n{"name": "A", "age": 1}\n```').extract("x", PERSON) == {"name": "A", "age": 1}


def test_a_wrong_answer_gets_one_repair_that_shows_the_errors() -> None:
    llm = fake('{"name": "Alice", "age": "thirty-one"}', '{"name": "Alice", "age": 31}')
    assert llm.extract("Alice is 31", PERSON) == {"name": "Alice", "age": 31}
    assert llm.last_extraction is not None and llm.last_extraction.attempts == 2
    repair = llm.backend.requests[-1]  # type: ignore[attr-defined]  # the fake keeps what it was sent
    assert "$.age: 'thirty-one' is not of type 'integer'" in repair.messages[-1].content
    assert repair.messages[-2].content == '{"name": "Alice", "age": "thirty-one"}'


def test_never_a_silently_wrong_object() -> None:
    llm = fake("not json at all", '{"name": "Alice"}')
    with pytest.raises(StructuredOutputError) as caught:
        llm.extract("Alice is 31", PERSON)
    assert caught.value.raw == '{"name": "Alice"}'
    assert caught.value.errors == ("$: 'age' is a required property",)
    assert caught.value.kind == "structured_output_failed"


def test_a_dataclass_gives_an_instance_with_nested_types() -> None:
    schema, _ = schema_for(Person)
    assert schema["required"] == ["name", "age", "address", "mood"]
    assert schema["properties"]["mood"] == {"enum": ["happy", "sad"]}
    assert schema["properties"]["address"]["properties"]["country"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    reply = {"name": "Alice", "age": 31, "address": {"city": "Paris"}, "mood": "happy", "tags": ["tea"]}
    person = fake(json.dumps(reply)).extract("...", Person)
    assert person == Person("Alice", 31, Address("Paris"), Mood.HAPPY, ["tea"])


def test_a_typeddict_and_a_pydantic_like_class() -> None:
    schema, _ = schema_for(Movie)
    assert schema["required"] == [] and schema["properties"]["year"] == {"type": "integer"}
    assert fake('{"title": "Alien"}').extract("...", Movie) == {"title": "Alien"}
    made = fake('{"x": 3}').extract("...", PydanticLike)
    assert isinstance(made, PydanticLike) and made.values == {"x": 3}


def test_literal_and_optional_types() -> None:
    @dataclasses.dataclass
    class Verdict:
        kind: Literal["spam", "ham"]
        score: float | None = None

    assert schema_for(Verdict)[0]["properties"]["kind"] == {"enum": ["spam", "ham"]}


def test_bad_schemas_are_refused_before_any_generation() -> None:
    llm = fake("{}")
    with pytest.raises(InvalidRequest, match="not a valid JSON Schema"):
        llm.extract("x", {"type": "nonsense"})
    with pytest.raises(InvalidRequest, match="dataclass"):
        llm.extract("x", 42)


def test_classify_returns_exactly_one_of_the_labels() -> None:
    llm = fake('{"label": "maybe"}', '{"label": "positive"}')
    assert llm.classify("I love it", ["positive", "negative", "neutral"]) == "positive"
    assert llm.last_classification is not None and llm.last_classification.confidence is None  # no logprobs
    assert fake('{"labels": ["a", "c"]}').classify("...", ["a", "b", "c"], multi=True) == ["a", "c"]
    with pytest.raises(InvalidRequest, match="two different labels"):
        fake("{}").classify("...", ["only", "only"])


def test_async_twins() -> None:
    async def run() -> tuple[Any, Any]:
        llm = fake('{"name": "Bo", "age": 2}', '{"label": "b"}')
        return await llm.aextract("Bo is 2", PERSON), await llm.aclassify("...", ["a", "b"])

    assert asyncio.run(run()) == ({"name": "Bo", "age": 2}, "b")


def test_a_raw_newline_inside_a_string_is_kept() -> None:
    # llama.cpp's JSON grammar lets one through; strict JSON would refuse the whole answer
    assert fake('{"name": "A\nB", "age": 1}').extract("x", PERSON) == {"name": "A\nB", "age": 1}


def test_streaming_extraction_yields_the_text_then_validates() -> None:
    llm = fake('{"name": "Alice", "age": 31}')
    pieces = list(llm.stream_extract("Alice is 31", PERSON))
    assert len(pieces) > 1 and "".join(pieces) == '{"name": "Alice", "age": 31}'
    assert llm.last_extraction is not None and llm.last_extraction.value == {"name": "Alice", "age": 31}
    repaired = fake('{"name": "Alice"}', '{"name": "Alice", "age": 31}')
    assert "".join(repaired.stream_extract("Alice is 31", PERSON)) == '{"name": "Alice"}'  # what was streamed
    assert repaired.last_extraction is not None and repaired.last_extraction.attempts == 2
    with pytest.raises(StructuredOutputError):
        list(fake("nope", "still nope").stream_extract("x", PERSON))
    person = fake('{"name": "Bo", "age": 2, "address": {"city": "Rome"}, "mood": "sad"}')
    list(person.stream_extract("...", Person))
    assert person.last_extraction is not None and person.last_extraction.value.address == Address("Rome")


def test_async_streaming_extraction_yields_the_text_then_validates() -> None:
    async def pieces_of(llm: Any, schema: Any) -> list[str]:
        return [piece async for piece in llm.astream_extract("Alice is 31", schema)]

    llm = fake('{"name": "Alice", "age": 31}')
    pieces = asyncio.run(pieces_of(llm, PERSON))
    assert len(pieces) > 1 and "".join(pieces) == '{"name": "Alice", "age": 31}'
    assert llm.last_extraction is not None and llm.last_extraction.value == {"name": "Alice", "age": 31}
    repaired = fake('{"name": "Alice"}', '{"name": "Alice", "age": 31}')
    assert "".join(asyncio.run(pieces_of(repaired, PERSON))) == '{"name": "Alice"}'
    assert repaired.last_extraction is not None and repaired.last_extraction.attempts == 2
    assert repaired.last_completion is not None and repaired.last_completion.text == '{"name": "Alice", "age": 31}'
    with pytest.raises(StructuredOutputError):
        asyncio.run(pieces_of(fake("nope", "still nope"), PERSON))
    person = fake('{"name": "Bo", "age": 2, "address": {"city": "Rome"}, "mood": "sad"}')
    asyncio.run(pieces_of(person, Person))
    assert person.last_extraction is not None and person.last_extraction.value.address == Address("Rome")
