"""`chi-llm ui`: which chi-tui runs (override, installed, a stale or missing build, or a clear error);
the real cargo build is in tests/e2e/entrypoints/test_tui_launcher.py."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from chi_llm.entrypoints import tui_launcher
from chi_llm.entrypoints.tui_launcher import TuiUnavailable, built_program, locate, stale
from tests.support.tui_crate import HELLO, crate, no_installed_tui


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    no_installed_tui(monkeypatch)


def test_an_explicit_program_wins(tmp_path: Path) -> None:
    assert locate(env={"CHI_TUI_BIN": "/opt/x/chi-tui"}, crate=tmp_path) == Path("/opt/x/chi-tui")


def test_the_installed_program_comes_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tui_launcher, "program_path", lambda name: "/venv/bin/chi-tui")
    assert locate(env={}, crate=crate(tmp_path)) == Path("/venv/bin/chi-tui")


def test_without_an_install_or_a_checkout_the_error_says_how_to_install(
    nothing_installed: None, tmp_path: Path
) -> None:
    with pytest.raises(TuiUnavailable, match=r"pip install \./tui/chi-tui"):
        locate(env={}, crate=tmp_path / "absent")


def test_a_build_older_than_its_sources_is_stale(tmp_path: Path) -> None:
    root = crate(tmp_path)
    assert stale(root)  # never built
    binary = built_program(root)
    binary.parent.mkdir(parents=True)
    binary.write_text("", encoding="utf-8")
    past = time.time() - 100
    os.utime(root / "Cargo.toml", (past, past))
    os.utime(root / "src" / "main.rs", (past, past))
    assert not stale(root)
    (root / "src" / "main.rs").write_text(HELLO + "// changed\n", encoding="utf-8")
    assert stale(root)


def test_without_cargo_a_missing_build_is_a_clear_error(
    nothing_installed: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(TuiUnavailable, match="cargo is not installed"):
        locate(env={}, crate=crate(tmp_path))


def test_rebuild_without_cargo_says_so_instead_of_running_the_old_build(
    nothing_installed: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = crate(tmp_path)
    built_program(root).parent.mkdir(parents=True)
    built_program(root).write_text("", encoding="utf-8")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert locate(env={}, crate=root) == built_program(root)  # stale, but the best there is
    with pytest.raises(TuiUnavailable, match="cargo is not installed"):
        locate(rebuild=True, env={}, crate=root)


def test_ui_passes_its_tools_on_to_the_bridge(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from tests.support.cli import run

    started: list[list[str]] = []

    def call(args: list[str], env: dict[str, str]) -> int:
        started.append(args)
        return 0

    def end(code: object) -> None:
        raise SystemExit(code)  # the CLI's own end leaves the process at once (os._exit)

    monkeypatch.setenv("CHI_TUI_BIN", "/opt/x/chi-tui")
    monkeypatch.setattr(subprocess, "call", call)
    monkeypatch.setattr("chi_llm.entrypoints.cli.end", end)
    result = run(
        "ui", "--tool", "calc.py:add", "--mcp", "python server.py", "--tool", "more.py", "--", "--log", "/tmp/t.log"
    )
    assert result.exit_code == 0, result.output
    assert started == [
        [
            "/opt/x/chi-tui",
            "--bridge-arg=--tool",
            "--bridge-arg=calc.py:add",
            "--bridge-arg=--tool",
            "--bridge-arg=more.py",
            "--bridge-arg=--mcp",
            "--bridge-arg=python server.py",
            "--log",
            "/tmp/t.log",
        ]
    ]
