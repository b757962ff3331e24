"""`chi-llm serve` on the real embedded model (llama.cpp) and the real embedding model, through
the official client, and the acceptance run: the same server routes `model="ollama"` to a
configured Ollama profile (an Ollama stand-in on loopback)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from tests.support.serve import Process, subprocess_server, write_config
from tests.support.serve_clients import openai_client as client
from tests.support.servers.base import Server, serve
from tests.support.servers.ollama import OllamaHandler

ASK: Any = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def ollama() -> Iterator[Server]:
    engine = FakeTextGenerator(models=("llama3.2",))
    with serve(OllamaHandler, Server(engine=engine)) as server:
        yield server


@pytest.fixture(scope="module")
def served(default_model_path: Path, ollama: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """Zero configuration plus one Ollama profile; the local model stays the default. A
    `gguf_paths` folder holds the same model as another tool's file would."""
    shelf = tmp_path_factory.mktemp("shelf")
    (shelf / "shelved.gguf").symlink_to(default_model_path)
    config = {
        "gguf_paths": [str(shelf)],
        "providers": [
            {"id": "local", "type": "local"},
            {"id": "ollama", "type": "ollama", "base_url": ollama.url, "model": "llama3.2"},
        ],
        "default_provider": "local",
        "context": 2048,
    }
    path = write_config(tmp_path_factory.mktemp("serve"), config)
    env = {**os.environ, "CHI_LLM_HOME": str(default_model_path.parent.parent)}
    with subprocess_server("--config", str(path), env=env) as server:
        yield server


def test_acceptance_streams_from_the_embedded_model(served: Process) -> None:
    stream = client(served).chat.completions.create(
        model="smollm2-135m", messages=ASK, stream=True, max_tokens=24, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    usage = chunks[-1].usage
    assert usage is not None and 0 < usage.completion_tokens <= 24 and usage.prompt_tokens > 3


def test_acceptance_the_same_server_routes_to_the_ollama_profile(served: Process, ollama: Server) -> None:
    raw = client(served).chat.completions.with_raw_response.create(
        model="ollama", messages=[{"role": "user", "content": "route me"}], stream=True
    )
    assert raw.headers["x-chi-llm-provider"] == "ollama"
    text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    assert text == "Echo: route me"
    assert ollama.engine.requests[-1].messages[-1].content == "route me"
    whole = client(served).chat.completions.create(model="ollama/llama3.2", messages=ASK)
    assert whole.choices[0].message.content == "Echo: Say hello." and whole.model == "llama3.2"


def test_limits_usage_and_raw_completion_on_the_real_model(served: Process) -> None:
    answer = client(served).chat.completions.create(model="smollm2-135m", messages=ASK, max_tokens=5, temperature=0)
    assert answer.choices[0].finish_reason == "length" and answer.usage is not None
    assert answer.usage.completion_tokens == 5
    again = client(served).chat.completions.create(model="smollm2-135m", messages=ASK, max_tokens=5, temperature=0)
    assert again.choices[0].message.content == answer.choices[0].message.content  # greedy is repeatable
    default = client(served).chat.completions.create(model="default", messages=ASK, max_tokens=5, temperature=0)
    assert default.choices[0].message.content == answer.choices[0].message.content  # the default is local
    raw = client(served).completions.create(model="smollm2-135m", prompt="The capital of", max_tokens=6)
    assert raw.choices[0].text and raw.usage is not None and raw.usage.completion_tokens <= 6


def test_models_lists_and_serves_other_tools_files(served: Process) -> None:
    listed = {m.id: m for m in client(served).models.list()}
    shelved = next(i for i in listed if i.startswith("gguf:") and i.endswith("shelved.gguf"))
    assert {"local", "ollama", "ollama/llama3.2", "smollm2-135m", "BAAI/bge-small-en-v1.5"} <= set(listed)
    answer = client(served).chat.completions.create(model=shelved, messages=ASK, max_tokens=4)
    assert answer.model == shelved and answer.usage is not None and answer.usage.completion_tokens <= 4


def test_json_schema_is_enforced_on_the_real_model(served: Process) -> None:
    schema: Any = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "visits": {"type": "integer"}},
        "required": ["city", "visits"],
        "additionalProperties": False,
    }
    answer = client(served).chat.completions.create(
        model="smollm2-135m",
        messages=[{"role": "user", "content": "I went to Paris twice. Give the city and visits."}],
        response_format={"type": "json_schema", "json_schema": {"name": "trip", "schema": schema, "strict": True}},
        max_tokens=64,
        temperature=0,
    )
    value = json.loads(answer.choices[0].message.content or "")
    assert set(value) == {"city", "visits"} and isinstance(value["visits"], int)


def test_context_overflow_and_real_embeddings(served: Process) -> None:
    with pytest.raises(openai.BadRequestError) as error:
        client(served).chat.completions.create(
            model="smollm2-135m", messages=[{"role": "user", "content": "word " * 5000}]
        )
    assert error.value.code == "context_length_exceeded"
    vectors = client(served).embeddings.create(
        model="BAAI/bge-small-en-v1.5", input=["a cat sat on the mat", "a kitten on a rug", "stock market taxes"]
    )
    cat, kitten, taxes = (v.embedding for v in vectors.data)
    assert len(cat) == 384

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(cat, kitten) > cosine(cat, taxes)
