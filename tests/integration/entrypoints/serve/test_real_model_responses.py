"""The Responses API (`client.responses.create` / `.stream`) on the real embedded model
(llama.cpp): a whole answer, the streamed event sequence, and a json_schema text.format the
model's answer follows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.serve import Process, local_model_server
from tests.support.serve_clients import openai_client as client


@pytest.fixture(scope="module")
def served(default_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    with local_model_server(default_model_path, tmp_path_factory.mktemp("serve")) as server:
        yield server


def test_a_whole_answer_from_the_real_model(served: Process) -> None:
    answer = client(served).responses.create(
        model="smollm2-135m", input="Say hello.", instructions="Answer in one short sentence.", max_output_tokens=16
    )
    assert answer.output_text.strip() and answer.status in ("completed", "incomplete")
    assert answer.usage is not None and 0 < answer.usage.output_tokens <= 16 and answer.usage.input_tokens > 3
    if answer.status == "incomplete":
        assert answer.incomplete_details is not None and answer.incomplete_details.reason == "max_output_tokens"


def test_a_stream_from_the_real_model(served: Process) -> None:
    events: list[Any] = list(
        client(served).responses.create(model="smollm2-135m", input="Say hello.", max_output_tokens=16, stream=True)
    )
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-1] in ("response.completed", "response.incomplete") and "error" not in kinds
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    final = events[-1].response
    assert text.strip() and final.output_text == text
    assert final.usage is not None and 0 < final.usage.output_tokens <= 16


def test_json_schema_is_enforced_on_the_real_model(served: Process) -> None:
    schema: Any = {
        "type": "object",
        "properties": {"city": {"type": "string", "maxLength": 20}, "visits": {"type": "integer"}},
        "required": ["city", "visits"],
        "additionalProperties": False,
    }
    answer = client(served).responses.create(
        model="smollm2-135m",
        input="I went to Paris twice. Give the city and visits.",
        text={"format": {"type": "json_schema", "name": "trip", "schema": schema, "strict": True}},
        max_output_tokens=64,
        temperature=0,
    )
    value = json.loads(answer.output_text)
    assert set(value) == {"city", "visits"} and isinstance(value["visits"], int)
