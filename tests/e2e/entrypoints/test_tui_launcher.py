"""`chi-llm ui` on a checkout: a fresh cargo build of the crate, run with the arguments given."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chi_llm.entrypoints.tui_launcher import built_program, locate, stale
from tests.support.tui_crate import crate, no_installed_tui


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    no_installed_tui(monkeypatch)


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")
def test_a_checkout_is_built_with_cargo_and_ui_runs_it(
    nothing_installed: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = crate(tmp_path)
    monkeypatch.setenv("CARGO_TARGET_DIR", str(root / "target"))
    program = locate(env={}, crate=root)
    assert program == built_program(root) and program.is_file()
    assert not stale(root)
    # `chi-llm ui -- ARGS` runs it with the arguments and this interpreter for the bridge.
    monkeypatch.setenv("CHI_TUI_BIN", str(program))
    done = subprocess.run(
        [sys.executable, "-m", "chi_llm", "ui", "--", "--log", "x.log"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert 'chi-tui stand-in ["--log", "x.log"]' in done.stdout
