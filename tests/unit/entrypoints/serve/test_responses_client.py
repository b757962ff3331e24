"""The official `openai` client's Responses API (`client.responses.create`, `.stream`, `.parse`)
against `chi-llm serve` on the fake backend: whole answers, the event sequence, usage, the
token limit, json_schema, refusals, a failure mid-stream, and a client that leaves."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.responses import Response
from pydantic import BaseModel

from chi_llm.domain.errors import BackendUnavailable
from chi_llm.entrypoints.server.backends import Route
from tests.support.serve import FAKE, Running, in_process
from tests.support.serve_clients import fake_backend as fake
from tests.support.serve_clients import openai_client as client

TEXT_EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    *["response.output_text.delta"] * 3,
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(FAKE, tmp_path) as running:
        yield running


def test_a_whole_answer_with_instructions_and_usage(served: Running) -> None:
    answer = client(served).responses.create(model="fake", input="hello there", instructions="be brief")
    assert answer.object == "response" and answer.id.startswith("resp_") and answer.status == "completed"
    assert answer.model == "fake" and answer.output_text == "Echo: hello there" and answer.error is None
    (item,) = answer.output
    assert item.type == "message" and item.role == "assistant" and item.id.startswith("msg_")
    assert item.status == "completed" and item.content[0].type == "output_text"
    assert answer.usage is not None and answer.usage.output_tokens == 3
    assert answer.usage.total_tokens == answer.usage.input_tokens + 3
    assert answer.usage.input_tokens_details.cached_tokens == 0
    assert answer.usage.output_tokens_details.reasoning_tokens == 0
    Response.model_validate(answer.to_dict())  # validated: every field the SDK's type requires is there
    assert (answer.tool_choice, answer.tools, answer.parallel_tool_calls, answer.instructions) == (
        "auto",
        [],
        True,
        "be brief",
    )
    sent = fake(served).requests[-1]
    assert [(m.role, m.content) for m in sent.messages] == [("system", "be brief"), ("user", "hello there")]


def test_options_reach_the_backend_and_the_token_limit_is_incomplete(served: Running) -> None:
    answer = client(served).responses.create(
        model="fake", input="hello there", max_output_tokens=2, temperature=0.3, top_p=0.9
    )
    assert answer.status == "incomplete" and answer.incomplete_details is not None
    assert answer.incomplete_details.reason == "max_output_tokens" and answer.output_text == "Echo: hello"
    assert (answer.max_output_tokens, answer.temperature, answer.top_p) == (2, 0.3, 0.9)
    options = fake(served).requests[-1].options
    assert (options.max_tokens, options.temperature, options.top_p) == (2, 0.3, 0.9)
    events: list[Any] = list(
        client(served).responses.create(model="fake", input="hello there", max_output_tokens=2, stream=True)
    )
    assert events[-1].type == "response.incomplete" and events[-1].response.status == "incomplete"


def test_a_stream_is_the_responses_event_sequence(served: Running) -> None:
    events: list[Any] = list(client(served).responses.create(model="fake", input="hello there", stream=True))
    assert [e.type for e in events] == [*TEXT_EVENTS, "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[0].response.status == "in_progress" and events[0].response.output == []
    ids = {e.response.id for e in events if hasattr(e, "response")}
    assert len(ids) == 1
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert "".join(e.delta for e in deltas) == "Echo: hello there"
    item_id = events[2].item.id
    assert all((e.item_id, e.output_index, e.content_index) == (item_id, 0, 0) for e in deltas)
    done = events[-1].response
    assert done.status == "completed" and done.output_text == "Echo: hello there"
    assert done.usage is not None and done.usage.output_tokens == 3 and done.output[0].id == item_id


def test_the_sdks_stream_helper_and_async_client(served: Running) -> None:
    with client(served).responses.stream(model="fake", input="hi") as stream:
        texts = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(texts) == final.output_text == "Echo: hi"

    async def streamed() -> str:
        async with openai.AsyncOpenAI(base_url=served.api, api_key="x", max_retries=0) as api:
            events = await api.responses.create(model="fake", input="hi", stream=True)
            return "".join([e.delta async for e in events if e.type == "response.output_text.delta"])

    assert asyncio.run(streamed()) == "Echo: hi"


class Place(BaseModel):
    city: str


def test_json_schema_text_format_is_enforced_as_chat_completions_do(served: Running) -> None:
    fake(served).queue('{"city": "Oslo"}')
    parsed = client(served).responses.parse(model="fake", input="where?", text_format=Place)
    assert parsed.output_parsed == Place(city="Oslo")
    options = fake(served).requests[-1].options
    assert options.json and options.schema is not None and options.schema.name == "Place"
    assert options.schema.value["properties"] == {"city": {"title": "City", "type": "string"}}
    answer = client(served).responses.create(model="fake", input="x", text={"format": {"type": "json_object"}})
    assert fake(served).requests[-1].options.json and answer.text is not None
    assert answer.text.format is not None and answer.text.format.type == "json_object"


def test_stored_state_is_refused_and_built_in_tools_left_out_saying_so(served: Running) -> None:
    api = client(served)
    with pytest.raises(openai.BadRequestError) as stored:
        api.responses.create(model="fake", input="more", previous_response_id="resp_123")
    assert stored.value.param == "previous_response_id" and "keeps no responses" in stored.value.message
    assert "whole conversation in input" in stored.value.message
    raw = api.responses.with_raw_response.create(model="fake", input="news?", tools=[{"type": "web_search_preview"}])
    assert raw.headers["x-chi-llm-ignored-tools"] == "web_search_preview"  # left out, and said
    assert raw.parse().output_text
    image: Any = [{"role": "user", "content": [{"type": "input_image", "image_url": "data:,"}]}]
    with pytest.raises(openai.BadRequestError, match="input_image is not supported"):
        api.responses.create(model="fake", input=image)
    with pytest.raises(openai.NotFoundError) as missing:
        api.responses.create(model="no-such-model", input="x")
    assert missing.value.code == "model_not_found"
    asked = fake(served).requests
    assert len(asked) == 1 and asked[0].options.tools is None  # only the one with a built-in tool left out


def test_a_failure_after_the_first_event_is_an_error_event_and_response_failed(served: Running) -> None:
    backend = fake(served)
    backend.failure, backend.fail_after_tokens = BackendUnavailable("the provider went away", backend="fake"), 2
    events: list[Any] = list(client(served).responses.create(model="fake", input="hello there", stream=True))
    assert [e.type for e in events][-2:] == ["error", "response.failed"]
    error, failed = events[-2:]
    assert "the provider went away" in error.message and error.code
    assert failed.response.status == "failed" and failed.response.error is not None
    assert "the provider went away" in failed.response.error.message
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "Echo: hello"


def test_the_key_check_request_ids_and_the_access_log_apply(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="chi_llm"), in_process(FAKE, tmp_path, api_keys=("sk-right",)) as running:
        with pytest.raises(openai.AuthenticationError):
            client(running).responses.create(model="fake", input="hi")
        api = openai.OpenAI(base_url=running.api, api_key="sk-right", max_retries=0)
        raw = api.responses.with_raw_response.create(model="fake", input="my private words", stream=True)
        assert raw.headers["x-request-id"].startswith("req_") and raw.headers["x-chi-llm-provider"] == "fake"
        assert [e.type for e in raw.parse()][-1] == "response.completed"
    entries = [r.access for r in caplog.records if hasattr(r, "access") and r.access["path"] == "/v1/responses"]
    assert [e["status"] for e in entries] == [401, 200]
    entry = entries[-1]
    assert entry["request_id"] == raw.headers["x-request-id"] and entry["stream"] is True
    assert (entry["model"], entry["provider"], entry["completion_tokens"]) == ("fake", "fake", 4)
    assert "private words" not in caplog.text + repr(entries) and "sk-right" not in caplog.text


LONG = " ".join(f"w{i}" for i in range(400))
SLOW = {**FAKE, "providers": [{"id": "fake", "type": "fake", "token_delay": 0.02, "replies": [LONG] * 4}]}


async def test_a_client_that_leaves_stops_decoding(tmp_path: Path) -> None:
    with in_process(SLOW, tmp_path) as running:
        backend = fake(running)
        body = {"model": "fake", "input": "go", "stream": True}
        async with (
            httpx.AsyncClient(timeout=30) as http,
            http.stream("POST", running.api + "/responses", json=body) as response,
        ):
            assert response.status_code == 200
            pieces = response.aiter_raw()  # dropping the iterator would close the response
            await anext(pieces)
            await asyncio.sleep(0.2)
            assert backend.tokens_decoded > 3  # still decoding while the client is there
        await asyncio.sleep(0.5)  # left mid-stream
        stopped_at = backend.tokens_decoded
        await asyncio.sleep(0.5)
        assert backend.tokens_decoded == stopped_at < 100  # 400 words were scripted
        async with httpx.AsyncClient(timeout=0.3) as http:  # a whole answer: the client gives up
            with pytest.raises(httpx.ReadTimeout):
                await http.post(running.api + "/responses", json={**body, "stream": False})
        await asyncio.sleep(0.5)
        stopped_at = backend.tokens_decoded
        await asyncio.sleep(0.5)
        assert backend.tokens_decoded == stopped_at
        assert running.state.backends.get(Route(provider="fake")).gate.active == 0
