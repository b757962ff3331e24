"""Hostile or broken configuration is one ConfigError (exit 2), never a traceback or a hang: the
cases that need no special file or bounded child (those are in tests/integration/application/)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from chi_llm.domain.errors import ConfigError
from chi_llm.domain.settings import check_value
from tests.support.cli import run


def alias_bomb(levels: int = 9) -> str:
    """'Billion laughs': each level holds nine references to the one before."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join([*lines, f"models: *l{levels}", ""])


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        (".chi_llm.json", "[" * 100000 + "]" * 100000, "nested too deeply"),
        (".chi_llm.yaml", "a: " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        (".chi_llm.yaml", alias_bomb(), "aliases"),
    ],
    ids=["deep-json", "deep-yaml", "alias-bomb"],
)
def test_hostile_files_fail_fast_and_clearly(isolated: Path, name: str, content: str, fragment: str) -> None:
    (isolated / name).write_text(content)
    started = time.monotonic()
    result = run("config", "show")
    assert result.exit_code == 2 and fragment in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 10


def test_a_config_file_that_is_not_utf8_is_named(isolated: Path) -> None:
    (isolated / ".chi_llm.json").write_bytes(b'{"system": "caf\\xe9"}'.replace(b"\\xe9", b"\xe9"))
    result = run("config", "show")
    assert result.exit_code == 2 and "not UTF-8" in result.stderr


@pytest.mark.parametrize("value", ["relative/models", "/tmp/with\nnewline"])
def test_a_garbled_or_relative_cache_dir_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CHI_LLM_HOME", value)
    result = run("config", "show")
    assert result.exit_code == 2 and "cache_dir" in result.stderr


def test_a_cache_dir_that_is_a_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("CHI_LLM_HOME", str(blocker))
    result = run("models", "disk")
    assert result.exit_code == 2 and "is a file, not a folder" in result.stderr


def test_a_home_of_an_unknown_user_is_refused() -> None:
    with pytest.raises(ConfigError, match="user this machine does not have"):
        check_value("cache_dir", "~nobody-here-at-all/models", source="env CHI_LLM_HOME", schemas={})


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (".chi_llm.json", '{"context": 1' + "0" * 5000 + "}"),
        (".chi_llm.yaml", "context: 1" + "0" * 5000 + "\n"),
        (".chi_llm.json", '{"seed": 1' + "0" * 100 + "}"),
        (".chi_llm.json", '{"models": [{"id": "a", "path": "/a.gguf", "description": ' + "[" * 40 + "]" * 40 + "}]}"),
        (".chi_llm.yaml", "system: " + "x" * 300_000 + "\n"),
    ],
    ids=["json-5000-digits", "yaml-5000-digits", "json-huge-seed", "json-40-deep", "yaml-long-system"],
)
def test_values_python_or_the_limits_refuse_are_one_config_error(isolated: Path, name: str, content: str) -> None:
    (isolated / name).write_text(content)
    result = run("config", "show")
    assert result.exit_code == 2 and str(isolated / name) in result.stderr
    assert "set_int_max_str_digits" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("[" * 60_000 + "]" * 60_000, "nested too deeply"),
        ("{" + '"a":{' * 60_000 + "}" * 60_001, "nested too deeply"),
        ('{"context": 1' + "0" * 5000 + "}", "digits"),
        ('{"system": "' + "x" * 300_000 + '"}', "characters"),
        ('{"x": "' + "y" * (2 << 20) + '"}', "MiB"),
    ],
    ids=["deep-list", "deep-object", "5000-digits", "long-system", "over-1-mib"],
)
def test_hostile_inline_config_env_is_one_config_error(
    monkeypatch: pytest.MonkeyPatch, value: str, fragment: str
) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", value)
    result = run("config", "show")
    assert result.exit_code == 2 and "CHI_LLM_CONFIG" in result.stderr and fragment in result.stderr, result.stderr[
        :2000
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("models", "[" * 900 + "]" * 900),
        ("provider.x", "[" * 900 + "]" * 900),
        ("provider", '{"type": "fake", "a": ' + "[" * 3000 + "]" * 3000 + "}"),
        ("rag", '{"chunk_size": 1' + "0" * 5000 + "}"),
    ],
    ids=["deep-list", "deep-provider-field", "deeper-than-json", "5000-digits-inside"],
)
def test_config_set_with_hostile_json_is_refused_and_writes_nothing(isolated: Path, key: str, value: str) -> None:
    result = run("config", "set", key, value)
    assert result.exit_code == 2 and "Traceback" not in result.stderr, result.stderr[:2000]
    assert not (isolated / ".chi_llm.json").exists()


@pytest.mark.parametrize(
    "content",
    [
        "name: x\nprompt: p\nvariables: {a: 5}\n",
        "name: x\nprompt: p\nvariables: {a: [1]}\n",
        "name: x\nprompt: p\naliases: 5\n",
    ],
    ids=["variable-not-a-mapping", "variable-a-list", "aliases-not-a-list"],
)
def test_a_malformed_template_file_is_named(isolated: Path, tmp_path: Path, content: str) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "x.yaml").write_text(content)
    (isolated / ".chi_llm.json").write_text(json.dumps({"templates_dir": str(folder)}))
    result = run("template", "--list")
    assert result.exit_code == 2 and "x.yaml" in result.stderr, result.stderr[:2000]


def test_a_catalog_number_too_large_for_arithmetic_is_refused(isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text("models: [{id: a, path: /a.gguf, size_bytes: 1" + "0" * 400 + "}]\n")
    result = run("models", "list")
    assert result.exit_code == 2 and "size_bytes" in result.stderr, result.stderr[:2000]


def test_a_conversation_too_large_to_read_back_is_not_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chi_llm.adapters import session_files
    from chi_llm.domain.errors import InvalidRequest

    monkeypatch.setattr(session_files, "MAX_SESSION_BYTES", 1000)
    history = [{"role": "user", "content": "x" * 2000}]
    with pytest.raises(InvalidRequest, match="more than"):
        session_files.write_session(tmp_path / "chat.json", {"history": history}, None)
    assert not (tmp_path / "chat.json").exists()
