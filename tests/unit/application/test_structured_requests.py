"""StructuredService: a request is prepared once (its schema rides in its options) and run in any direction."""

from __future__ import annotations

import asyncio

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.application.generation import GenerationService
from chi_llm.application.structured import StructuredService
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.structured import OutputSchema

PERSON = OutputSchema.of({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})


def service(*replies: str) -> StructuredService:
    return StructuredService(GenerationService(FakeTextGenerator(list(replies))), JsonSchemaValidator())


async def every_direction() -> list[object]:
    s = service(*['{"name": "Ada"}'] * 4)
    request = s.prepare("Ada wrote the first program", PERSON)
    assert request.options.schema == PERSON
    streamed = "".join(s.stream_extract(request))
    sync_value = s.last_extraction.value if s.last_extraction else None
    astreamed = "".join([piece async for piece in s.astream_extract(request)])
    return [s.extract(request).value, (await s.aextract(request)).value, sync_value, streamed == astreamed]


def test_one_prepared_request_runs_whole_or_streamed_sync_or_async() -> None:
    assert asyncio.run(every_direction()) == [{"name": "Ada"}, {"name": "Ada"}, {"name": "Ada"}, True]


def test_a_repair_is_the_second_attempt_in_both_directions() -> None:
    s = service("not json", '{"name": "Ada"}', "still not", '{"name": "Bob"}')
    assert s.extract(s.prepare("x", PERSON)).attempts == 2
    assert asyncio.run(s.aextract(s.prepare("y", PERSON))).value == {"name": "Bob"}


def test_a_request_without_a_schema_is_refused_with_what_to_do() -> None:
    s = service("{}")
    plain = s.generation.raw_request("x")
    with pytest.raises(InvalidRequest, match="prepare"):
        s.extract(plain)
