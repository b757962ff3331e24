"""`chi-llm ui`: which chi-tui runs (override, installed, a fresh cargo build, or a clear error)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chi_llm.entrypoints import tui_launcher
from chi_llm.entrypoints.tui_launcher import TuiUnavailable, built_program, locate, stale

HELLO = 'fn main() { println!("chi-tui stand-in {:?}", std::env::args().skip(1).collect::<Vec<_>>()); }\n'


def crate(tmp_path: Path) -> Path:
    root = tmp_path / "chi-tui"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(
        '[package]\nname = "chi-tui"\nversion = "0.0.1"\nedition = "2021"\n\n[workspace]\n', encoding="utf-8"
    )
    (root / "src" / "main.rs").write_text(HELLO, encoding="utf-8")
    return root


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tui_launcher, "program_path", lambda name: None)


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
