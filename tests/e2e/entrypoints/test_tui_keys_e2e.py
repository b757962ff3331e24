"""chi-tui's keys end to end in tmux (80x24) against the real bridge on the fake backend: Esc on
Welcome asks before quitting, `?` shows the keys of the screen it is pressed on, Ctrl+U clears a
text field to the cursor, and Diagnostics prints memory in the same words and units as
`chi-llm diagnostics`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.support.tmux import terminal
from tests.support.tui_session import CHI_LLM, NEEDS_TUI, env, ready, ui

pytestmark = NEEDS_TUI  # skipped where chi-tui is not installed


def test_esc_on_welcome_asks_and_any_other_key_stays(isolated: Path, tmp_path: Path) -> None:
    with terminal(ui(tmp_path / "tui.log", "--backend", "fake"), env(), str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("Escape")
        term.wait_for("Quit chi-tui? Esc, q or y quits; any other key stays")
        term.send("n")
        term.wait_until_gone("Quit chi-tui?")
        assert "EXIT=" not in term.screen()
        term.send("Escape")
        term.wait_for("Quit chi-tui?")
        term.send("y")
        term.wait_for("EXIT=0")


def test_help_lists_the_keys_of_the_screen_it_is_opened_on(isolated: Path, tmp_path: Path) -> None:
    with terminal(ui(tmp_path / "tui.log", "--backend", "fake"), env(), str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("2")
        term.wait_for("Models (")
        term.send("?")
        shown = term.wait_for("Keys · Models")
        assert re.search(r"d Enter +download", shown), shown
        assert "review" not in shown  # the old one-list help said d meant "review: default"
        term.send("Escape")
        term.wait_until_gone("Keys · Models")
        term.send("Escape")
        term.wait_for("Configure a provider")
        term.send("4")
        term.send("?")
        shown = term.wait_for("Keys · Build / Save")
        assert re.search(r"d Space +default", shown) and "download" not in shown, shown
        term.send("Escape")  # alone: Escape then q at once reads as Alt+q
        term.wait_until_gone("Keys · Build / Save")
        term.send("q")
        term.wait_for("EXIT=0")


def test_ctrl_u_clears_a_field_to_the_cursor(isolated: Path, tmp_path: Path) -> None:
    with terminal(ui(tmp_path / "tui.log", "--backend", "fake"), env(), str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("1")
        term.wait_for("Type a message")
        term.send("-l", "throw this away keep")
        term.wait_for("throw this away keep")
        term.send("Left", "Left", "Left", "Left", "C-u")
        term.wait_until_gone("throw this away")
        term.send("-l", "we ")
        term.wait_for("we keep")
        term.send("Escape")
        term.wait_for("Configure a provider")
        term.send("q")
        term.wait_for("EXIT=0")


def test_diagnostics_says_memory_as_the_cli_does(isolated: Path, tmp_path: Path) -> None:
    cli = subprocess.run([CHI_LLM, "diagnostics"], capture_output=True, text=True, timeout=120).stdout
    total = re.search(r"Memory: [\d.]+ GiB available of ([\d.]+ GiB)", cli)
    assert total, cli
    with terminal(ui(tmp_path / "tui.log", "--backend", "fake"), env(), str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("5")
        shown = term.wait_for(" ok · ", timeout=60)
        line = next((row for row in shown.splitlines() if "Memory" in row), "")
        assert re.search(rf"Memory +[\d.]+ GiB available of {re.escape(total.group(1))}", line), shown
        assert "_bytes" not in shown, shown
        term.send("q")
        term.wait_for("EXIT=0")
