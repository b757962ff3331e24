"""API keys never leave in anything we print or raise, even when a server quotes them back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.domain.errors import ChiLlmError
from chi_llm.entrypoints.bootstrap import bootstrap
from tests.support.cli import run
from tests.support.servers.base import Server, serve
from tests.support.servers.openai import OpenAIHandler

WRONG = "sk-wrong-LEAK-0123456789"
WRONG_TOO = "sk-other-LEAK-9876543210"


@pytest.fixture
def echoing() -> Iterator[Server]:
    engine = FakeTextGenerator(models=("m",))
    with serve(OpenAIHandler, Server(engine=engine, api_key="sk-right-key-42")) as server:
        server.faults.echo_key = True
        yield server


def profiles(server: Server, *keys: str) -> list[dict[str, object]]:
    return [
        {
            "id": f"p{i}",
            "type": "openai",
            "base_url": server.url + "/v1",
            "model": "m",
            "api_key": key,
            "max_retries": 0,
        }
        for i, key in enumerate(keys)
    ]


def test_library_errors_never_carry_the_key(echoing: Server) -> None:
    generation = bootstrap(provider=profiles(echoing, WRONG)[0]).generation()
    with pytest.raises(ChiLlmError) as error:
        generation.generate(generation.raw_request("hi"))
    assert WRONG not in str(error.value) and "Incorrect API key" in str(error.value)


def test_cli_outputs_never_carry_the_key(echoing: Server, isolated: Path) -> None:
    (isolated / ".chi_llm.json").write_text(json.dumps({"providers": profiles(echoing, WRONG, WRONG_TOO)}))
    outputs = [
        run("generate", "hi"),  # every provider fails: the all-providers-failed message
        run("generate", "hi", "--json"),
        run("generate", "--provider", "p0", "hi"),
        run("providers", "test", "p0", "--json"),
        run("providers", "test", "p1"),
        run("providers", "discover-models", "p0", "--json"),
    ]
    for result in outputs:
        assert result.exit_code != 0
        text = result.stdout + result.stderr
        assert WRONG not in text and WRONG_TOO not in text, text
