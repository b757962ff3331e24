"""Which model a profile uses (an explicit model always wins) and secrets never shown by `config`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import chi_llm
from chi_llm import MicroLLM
from chi_llm.domain.ports import TextGenerator
from chi_llm.entrypoints.cli import cli

LOCAL_PROFILE = "providers:\n  - {id: mine, type: local, model: smollm2-135m}\n"


def test_an_explicit_model_beats_the_profiles_model(isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text(LOCAL_PROFILE)
    assert MicroLLM().model == "smollm2-135m"
    llm = MicroLLM(model="/missing/model.gguf")
    assert llm.model == "/missing/model.gguf" and "/missing/model.gguf" in repr(llm)


def test_cli_with_an_explicit_missing_model_exits_3(isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text(LOCAL_PROFILE)
    result = CliRunner().invoke(cli, ["generate", "--model", "/missing/model.gguf", "hi"])
    assert result.exit_code == 3, result.output
    assert "no model file at /missing/model.gguf" in result.output


def test_chat_banner_names_the_model_used(isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text("provider: {type: fake}\nmodel: smollm2-135m\n")
    result = CliRunner().invoke(cli, ["chat", "--model", "other-name"], input="/exit\n")
    assert result.exit_code == 0 and "Chatting with other-name" in result.output


def test_a_remote_profile_uses_its_own_model_unless_one_is_given(isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text(
        "providers:\n  - {id: o, type: ollama, model: llama3.2}\n  - {id: p, type: ollama}\n"
    )
    assert MicroLLM(provider="o").model == "llama3.2"
    assert MicroLLM(provider="o", model="qwen3").model == "qwen3"
    assert MicroLLM(provider="p").model is None  # the built-in default names a local catalog model


SECRET = "sk-very-secret-123"


@pytest.mark.parametrize("args", [[], ["--json"], ["--explain"], ["--json", "--explain"]])
def test_config_show_never_shows_a_key(isolated: Path, args: list[str]) -> None:
    (isolated / ".chi_llm.json").write_text(
        json.dumps(
            {
                "provider": {"type": "openai", "api_key": SECRET, "model": "m"},
                "providers": [{"id": "a", "type": "anthropic", "model": "c", "api_key": SECRET}],
            }
        )
    )
    result = CliRunner().invoke(cli, ["config", "show", *args])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    if "--json" in args:
        data = json.loads(result.output)
        provider = data["provider"]["value"] if "--explain" in args else data["provider"]
        assert provider["api_key"] is True and provider["model"] == "m"


def test_an_incomplete_adapter_fails_at_construction() -> None:
    class Incomplete(TextGenerator):
        name = "incomplete"

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()  # type: ignore[abstract]


def test_the_package_namespace_shows_only_its_api() -> None:
    assert dir(chi_llm) == sorted(chi_llm.__all__)
    assert not {"Any", "TYPE_CHECKING", "annotations"} & set(dir(chi_llm))
