"""API keys never leave in anything we print or raise, even when a server quotes them back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.domain.errors import ChiLlmError
from chi_llm.entrypoints.wiring import wire
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
    generation = wire(provider=profiles(echoing, WRONG)[0]).generation()
    with pytest.raises(ChiLlmError) as error:
        generation.generate(generation.raw_request("hi"))
    assert WRONG not in str(error.value) and "Incorrect API key" in str(error.value)


def test_cli_outputs_never_carry_the_key(echoing: Server, isolated: Path) -> None:
    config = {"providers": profiles(echoing, WRONG, WRONG_TOO), "fallback_to_local": False}  # no embedded answer
    (isolated / ".chi_llm.json").write_text(json.dumps(config))
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


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("provider.api_key", "sk-on-argv-123456"),
        ("provider", '{"type": "openai", "api_key": "sk-on-argv-123456"}'),
        ("providers", '[{"id": "a", "type": "anthropic", "settings": {"api_key": "sk-on-argv-123456"}}]'),
    ],
)
def test_config_set_refuses_a_key_on_the_command_line(isolated: Path, key: str, value: str) -> None:
    result = run("config", "set", key, value)
    assert result.exit_code == 2 and "--api-key-stdin" in result.stderr
    assert not (isolated / ".chi_llm.json").exists()


KEY = "sk-from-stdin-1234567"
ADD = ("providers", "add", "o", "--type", "openai", "--set", "base_url=http://127.0.0.1:9/v1", "--api-key-stdin")


def test_a_key_goes_to_the_global_file_readable_by_its_owner_only(isolated: Path, tmp_path: Path) -> None:
    result = run(*ADD, stdin=KEY + "\n")
    assert result.exit_code == 0, result.output
    stored = tmp_path / "xdg_config" / "chi_llm" / "config.yaml"
    assert KEY in stored.read_text() and stored.stat().st_mode & 0o777 == 0o600
    assert not (isolated / ".chi_llm.json").exists()


def test_a_key_in_the_project_file_needs_the_explicit_flag_and_warns(isolated: Path) -> None:
    project = isolated / ".chi_llm.json"
    project.write_text("{}")
    project.chmod(0o644)
    refused = run(*ADD, "--project", stdin=KEY + "\n")
    assert refused.exit_code == 2 and "--key-in-project" in refused.stderr and project.read_text() == "{}"
    allowed = run(*ADD, "--project", "--key-in-project", stdin=KEY + "\n")
    assert allowed.exit_code == 0 and "keep it out of version control" in allowed.stderr
    assert KEY in project.read_text() and project.stat().st_mode & 0o777 == 0o600
