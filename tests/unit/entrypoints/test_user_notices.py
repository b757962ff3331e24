"""Things a user notices: confirmations, config unset, exit codes and reported numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chi_llm import MicroLLM
from chi_llm.adapters.fake import FakeTextGenerator
from tests.support.cli import run
from tests.support.servers.base import Server, serve
from tests.support.servers.openai import OpenAIHandler


def test_remove_without_a_terminal_needs_yes() -> None:
    result = run("models", "remove", "smollm2-135m")  # CliRunner's stdin is not a terminal
    assert result.exit_code == 2 and "--yes" in result.stderr


def test_config_unset_removes_a_key_and_a_provider_field(isolated: Path) -> None:
    (isolated / ".chi_llm.json").write_text(
        json.dumps({"max_tokens": 5, "provider": {"type": "fake", "token_delay": 0.1}})
    )
    assert run("config", "unset", "max_tokens").exit_code == 0
    assert run("config", "unset", "provider.token_delay").exit_code == 0
    assert json.loads((isolated / ".chi_llm.json").read_text()) == {"provider": {"type": "fake"}}
    again = run("config", "unset", "max_tokens", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["removed"] is False
    assert run("config", "unset", "colour").exit_code == 2


def test_an_unknown_model_asked_for_by_name_exits_3_like_models_info() -> None:
    assert run("models", "info", "nope").exit_code == 3
    assert run("generate", "--model", "nope", "hi").exit_code == 3


@pytest.fixture
def openai() -> Iterator[Server]:
    with serve(OpenAIHandler, Server(engine=FakeTextGenerator(["a b c d e f"], models=("m",)))) as server:
        yield server


def test_a_remote_profile_without_a_model_is_a_configuration_error(openai: Server) -> None:
    llm = MicroLLM(provider={"type": "openai", "base_url": openai.url + "/v1"})
    from chi_llm import ConfigError

    with pytest.raises(ConfigError, match="no model set"):
        llm.generate("hi")


def test_no_decode_rate_is_made_up_for_a_whole_answer(openai: Server) -> None:
    llm = MicroLLM(provider={"type": "openai", "base_url": openai.url + "/v1", "model": "m"})
    done = llm.run(llm.chat_request("hi"))
    assert done.timings.time_to_first_token is None and done.timings.tokens_per_second(6) is None


def test_the_model_is_named_after_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps({"provider": {"type": "fake"}}))
    llm = MicroLLM()
    list(llm.stream("hi"))
    assert llm.last_completion is not None and llm.last_completion.model == llm.model


def test_models_list_has_a_header_and_a_legend() -> None:
    result = run("models", "list")
    assert result.stdout.splitlines()[0].split()[:2] == ["ID", "PARAMS"]
    assert "↓ downloaded" in result.stderr


def test_config_explain_columns_line_up(isolated: Path) -> None:
    (isolated / ".chi_llm.json").write_text(json.dumps({"system": "a much longer value than the others"}))
    lines = run("config", "show", "--explain").stdout.splitlines()
    assert len({line.index("[") for line in lines}) == 1
