"""Configuration writes: no NaN/inf, links written through, leftovers of killed writes swept."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from tests.support.cli import run


@pytest.mark.parametrize(
    ("key", "value"),
    [("temperature", "nan"), ("top_p", "inf"), ("provider", '{"type": "fake", "token_delay": NaN}')],
)
def test_non_finite_numbers_are_refused(isolated: Path, key: str, value: str) -> None:
    result = run("config", "set", key, value)
    assert result.exit_code == 2 and "finite" in result.stderr
    assert not (isolated / ".chi_llm.json").exists()


def test_a_linked_config_file_is_written_through(isolated: Path, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "chi_llm.json"
    real.parent.mkdir()
    real.write_text('{"seed": 1}')
    (isolated / ".chi_llm.json").symlink_to(real)
    assert run("config", "set", "max_tokens", "42").exit_code == 0
    assert (isolated / ".chi_llm.json").is_symlink()
    assert json.loads(real.read_text()) == {"seed": 1, "max_tokens": 42}


def test_temp_files_of_a_killed_write_are_swept(isolated: Path) -> None:
    stale = isolated / "..chi_llm.json.k1ll3d.tmp"  # as mkstemp names the temp file of .chi_llm.json
    stale.write_text('{"half": ')
    assert run("config", "set", "max_tokens", "42").exit_code == 0
    assert not stale.exists()


def test_a_project_file_that_is_a_folder_is_named(isolated: Path) -> None:
    (isolated / ".chi_llm.json").mkdir()
    result = run("config", "set", "max_tokens", "42")
    assert result.exit_code == 2 and "is a folder" in result.stderr and "Traceback" not in result.stderr


def test_a_commented_yaml_file_keeps_its_comments(isolated: Path) -> None:
    path = isolated / ".chi_llm.yaml"
    path.write_text(
        "# chi_llm settings for this project\n"
        "model: smollm2-135m  # the small one\n"
        "provider:\n"
        "  type: fake  # tests only\n"
        "  token_delay: 0.5\n"
        "max_tokens: 64 # keep answers short\n"
    )
    assert run("config", "set", "provider.token_delay", "0.25").exit_code == 0
    assert run("config", "set", "seed", "7").exit_code == 0
    assert run("config", "unset", "max_tokens").exit_code == 0
    assert path.read_text() == (
        "# chi_llm settings for this project\n"
        "model: smollm2-135m  # the small one\n"
        "provider:\n"
        "  type: fake  # tests only\n"
        "  token_delay: 0.25\n"
        "seed: 7\n"
    )


def test_a_failed_write_leaves_the_file_and_says_what_to_do(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = isolated / ".chi_llm.json"
    path.write_text('{"seed": 1}')

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    result = run("config", "set", "max_tokens", "42")
    assert result.exit_code == 2
    assert "No space left on device" in result.stderr and "free disk space" in result.stderr
    assert path.read_text() == '{"seed": 1}'
    assert [p.name for p in isolated.iterdir()] == [".chi_llm.json"]


def test_a_config_path_too_long_for_the_file_system_is_a_clear_error(isolated: Path) -> None:
    done = run("config", "show", "--config-path", "x" * 300)
    assert done.exit_code == 2, done.output
    assert "file name too long" in done.output.lower() and "Traceback" not in done.output
