"""Hostile or broken configuration is one ConfigError (exit 2), never a traceback or a hang."""

from __future__ import annotations

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
