"""The official `openai` client against `chi-llm serve` on the fake backend: exact answers,
streams, usage, embeddings, models and every error class the client maps."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from chi_llm.entrypoints.server.backends import Route
from tests.support.serve import FAKE, Running, in_process
from tests.support.serve_clients import fake_backend as fake_of
from tests.support.serve_clients import openai_client as client

MESSAGES: Any = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Running]:
    with in_process(FAKE, tmp_path) as running:
        yield running


def test_chat_whole_answer_with_usage(served: Running) -> None:
    answer = client(served).chat.completions.create(model="fake", messages=MESSAGES)
    assert answer.object == "chat.completion" and answer.id.startswith("chatcmpl-")
    assert answer.model == "fake"
    assert answer.choices[0].message.role == "assistant"
    assert answer.choices[0].message.content == "Echo: hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.completion_tokens == 3
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + 3
    sent = fake_of(served, Route(provider="fake")).requests[-1]
    assert [m.role for m in sent.messages] == ["system", "user"]


def test_chat_stream_deltas_and_the_usage_chunk(served: Running) -> None:
    stream = client(served).chat.completions.create(
        model="fake", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: hello there"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert len({c.id for c in chunks}) == 1
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_include_usage_has_no_usage_chunk(served: Running) -> None:
    chunks = list(client(served).chat.completions.create(model="fake", messages=MESSAGES, stream=True))
    assert all(c.choices for c in chunks) and all(c.usage is None for c in chunks)


def test_options_reach_the_backend(served: Running) -> None:
    answer = client(served).chat.completions.create(
        model="fake", messages=MESSAGES, max_tokens=2, temperature=0.3, top_p=0.9, seed=7, stop=["zz"]
    )
    assert answer.choices[0].message.content == "Echo: hello"
    assert answer.choices[0].finish_reason == "length"
    options = fake_of(served, Route(provider="fake")).requests[-1].options
    assert (options.max_tokens, options.temperature, options.top_p, options.seed, options.stop) == (
        2,
        0.3,
        0.9,
        7,
        ("zz",),
    )


def test_max_completion_tokens_is_read_and_the_server_cap_applies(tmp_path: Path) -> None:
    with in_process(FAKE, tmp_path, max_tokens=2) as running:
        answer = client(running).chat.completions.create(model="fake", messages=MESSAGES, max_completion_tokens=50)
        assert answer.usage is not None and answer.usage.completion_tokens == 2
        assert fake_of(running, Route(provider="fake")).requests[-1].options.max_tokens == 2


def test_response_format_json_schema_becomes_the_output_schema(served: Running) -> None:
    schema: Any = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    client(served).chat.completions.create(
        model="fake",
        messages=MESSAGES,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}},
    )
    options = fake_of(served, Route(provider="fake")).requests[-1].options
    assert options.schema is not None and options.schema.value == schema and options.schema.name == "person"
    client(served).chat.completions.create(model="fake", messages=MESSAGES, response_format={"type": "json_object"})
    options = fake_of(served, Route(provider="fake")).requests[-1].options
    assert options.json and options.schema is None


def test_completions_whole_and_streamed(served: Running) -> None:
    whole = client(served).completions.create(model="fake", prompt="Once upon", max_tokens=3)
    assert whole.object == "text_completion" and whole.choices[0].text == " and so on,"
    assert whole.choices[0].finish_reason == "length"
    sent = fake_of(served, Route(provider="fake")).requests[-1]
    assert sent.prompt == "Once upon" and not sent.messages  # raw continuation, no chat template
    pieces = list(client(served).completions.create(model="fake", prompt="Once", max_tokens=3, stream=True))
    assert "".join(p.choices[0].text for p in pieces) == " and so on,"


async def test_async_client_chat_and_stream(served: Running) -> None:
    async with openai.AsyncOpenAI(base_url=served.api, api_key="x", max_retries=0) as aclient:
        answer = await aclient.chat.completions.create(model="fake", messages=MESSAGES)
        assert answer.choices[0].message.content == "Echo: hello there"
        stream = await aclient.chat.completions.create(model="fake", messages=MESSAGES, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert text == "Echo: hello there"


def test_embeddings_float_and_base64(served: Running) -> None:
    as_float = client(served).embeddings.create(model="fake", input=["alpha beta", "gamma"], encoding_format="float")
    assert [d.index for d in as_float.data] == [0, 1]
    vector = as_float.data[0].embedding
    assert len(vector) == 256 and any(vector)
    assert as_float.usage.prompt_tokens == 3
    raw = client(served).with_raw_response.embeddings.create(model="fake", input="alpha beta", encoding_format="base64")
    encoded = raw.http_response.json()["data"][0]["embedding"]
    decoded = struct.unpack("<256f", base64.b64decode(encoded))
    assert decoded == pytest.approx(vector, rel=1e-6)
    default = client(served).embeddings.create(model="fake", input="alpha beta")  # the client asks for base64
    assert default.data[0].embedding == pytest.approx(vector, rel=1e-6)


def test_models_list_and_retrieve(served: Running) -> None:
    ids = [m.id for m in client(served).models.list()]
    assert "fake" in ids and "smollm2-135m" in ids and "fake/smollm2-135m" in ids
    assert client(served).models.retrieve("fake").owned_by == "fake"
    with pytest.raises(openai.NotFoundError):
        client(served).models.retrieve("missing")


def test_error_classes_the_client_maps(served: Running) -> None:
    api = client(served)
    with pytest.raises(openai.NotFoundError) as missing:
        api.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert missing.value.code == "model_not_found" and "GET /v1/models" in missing.value.message
    with pytest.raises(openai.BadRequestError) as bad:
        api.chat.completions.create(model="fake", messages=MESSAGES, temperature=5)
    assert "temperature" in bad.value.message
    with pytest.raises(openai.BadRequestError, match="n must be 1"):
        api.chat.completions.create(model="fake", messages=MESSAGES, n=2)
    image: Any = [{"type": "image_url", "image_url": {"url": "data:,"}}]
    with pytest.raises(openai.BadRequestError, match="only text parts"):
        api.chat.completions.create(model="fake", messages=[{"role": "user", "content": image}])
    with pytest.raises(openai.NotFoundError, match="not downloaded"):
        api.chat.completions.create(model="qwen2.5-0.5b", messages=MESSAGES)


def test_a_prompt_longer_than_the_context_is_a_400_with_its_code(tmp_path: Path) -> None:
    config = {**FAKE, "providers": [{"id": "fake", "type": "fake", "context": 8}]}
    with in_process(config, tmp_path) as running, pytest.raises(openai.BadRequestError) as error:
        client(running).chat.completions.create(model="fake", messages=[{"role": "user", "content": "a " * 50}])
    assert error.value.code == "context_length_exceeded"


def test_other_tools_folders_are_not_walked_on_every_request(served: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    store = served.state.base.model_store()
    scans: list[int] = []
    real = store.installed_elsewhere

    def counted() -> Any:
        scans.append(1)
        return real()

    monkeypatch.setattr(store, "installed_elsewhere", counted)
    api = client(served)
    for _ in range(3):
        api.models.list()
        with pytest.raises(openai.NotFoundError):
            api.chat.completions.create(model="ollama:nothing:here", messages=MESSAGES)
    assert len(scans) == 1
