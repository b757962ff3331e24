"""Project bootstrap on a read-only folder (made so with chattr) and with the real model present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import chi_llm
from chi_llm.domain.errors import ConfigError
from tests.support.cli import run
from tests.support.fs import read_only


def test_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only(folder), pytest.raises(ConfigError, match="cannot write"):
        chi_llm.bootstrap(folder)
    assert os.listdir(folder) == []


def test_the_download_note_is_only_for_a_model_that_is_not_here(
    tmp_path: Path, default_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHI_LLM_HOME", str(tmp_path / "empty-cache"))
    absent = chi_llm.bootstrap(tmp_path / "a", dry_run=True)
    assert any("downloads on first use" in note for note in absent.notes)
    monkeypatch.setenv("CHI_LLM_HOME", str(default_model_path.parent.parent))  # the model is here
    here = chi_llm.bootstrap(tmp_path / "b", dry_run=True)
    assert not any("first use" in note for note in here.notes)
    assert any("smollm2-135m is already downloaded" in note for note in here.notes)
    shown = run("bootstrap", str(tmp_path / "c"))
    assert shown.exit_code == 0 and "first use" not in shown.output
    as_file = chi_llm.bootstrap(tmp_path / "d", model=str(default_model_path), dry_run=True)
    assert not any("first use" in note for note in as_file.notes)
