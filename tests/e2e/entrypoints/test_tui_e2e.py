"""`chi-llm ui` end to end: the installed chi-tui in a real terminal (tmux, 80x24) driving the
real bridge, against an Ollama protocol server on loopback — configure, browse the models,
Test, Save to the project; the same with the server stopped (Test fails, Save is refused); a
too-small terminal; a bridge that dies and is restarted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.adapters.features import program_path
from tests.support.cli import closed_port
from tests.support.servers.base import Server, serve
from tests.support.servers.ollama import OllamaHandler
from tests.support.tmux import Terminal, terminal

pytestmark = pytest.mark.skipif(
    program_path("chi-tui") is None, reason="chi-tui is not installed (scripts/setup.sh builds it; needs cargo)"
)
CHI_LLM = str(Path(sys.executable).with_name("chi-llm"))


@pytest.fixture
def ollama() -> Iterator[Server]:
    engine = FakeTextGenerator(["hello"] * 5, models=("llama3.2", "qwen3:0.6b"))
    with serve(OllamaHandler, Server(engine=engine)) as server:
        yield server


def env(**extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "CHI_LLM_HOME")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, "TERM": "xterm-256color", **extra}


def ui(log: Path) -> str:
    return f"{CHI_LLM} ui -- --log {log}"


def open_ollama_form(term: Terminal) -> None:
    term.wait_for("Configure a provider")
    term.wait_for("chi-llm 0.")  # the bridge answered the handshake
    term.send("3")  # Configure a provider
    term.wait_for("▶ local")
    for _ in range(8):
        if "▶ ollama" in term.screen():
            break
        term.send("j")
        time.sleep(0.15)
    term.wait_for("▶ ollama")
    term.send("Enter")
    term.wait_for("[ Test ]")


def type_base_url(term: Terminal, url: str) -> None:
    term.send("Tab", "Tab", "Tab")  # id, tags, priority, then base_url
    term.send("-l", url)
    term.wait_for(url)


def test_configure_browse_test_and_save_to_the_project(isolated: Path, ollama: Server, tmp_path: Path) -> None:
    with terminal(ui(tmp_path / "tui.log"), env(), str(isolated), width=80, height=24) as term:
        open_ollama_form(term)
        type_base_url(term, ollama.url)
        term.send("Tab", "Enter")  # the model field: Enter opens the browser
        term.wait_for("Models on the server")
        term.wait_for("qwen3:0.6b")
        term.send("Enter")  # the first: llama3.2
        term.wait_for("Model set to llama3.2")
        term.send("C-t")
        term.wait_for("Test passed")
        term.send("C-s")
        term.wait_for("Review and save")
        review = term.wait_for("built-in")  # the embedded model: in no file, so not "saved"
        assert re.search(r"local +local .*last +built-in", review) and "saved" not in review, review
        term.send("Enter")
        shown = term.wait_for("Wrote ")
        assert ".chi_llm.json" in shown
        term.send("q")
        term.wait_for("EXIT=0")
    saved = json.loads((isolated / ".chi_llm.json").read_text(encoding="utf-8"))
    assert saved == {
        "providers": [{"id": "ollama", "type": "ollama", "settings": {"base_url": ollama.url, "model": "llama3.2"}}],
        "default_provider": "ollama",
    }
    listed = subprocess.run([CHI_LLM, "providers", "list", "--json"], capture_output=True, text=True, cwd=isolated)
    assert [(p["id"], p["fallback"]) for p in json.loads(listed.stdout)] == [("ollama", False), ("local", True)]


def test_with_the_server_stopped_test_fails_and_save_is_refused(isolated: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with terminal(ui(tmp_path / "tui.log"), env(NO_COLOR="1"), str(isolated), width=80, height=24) as term:
        open_ollama_form(term)
        type_base_url(term, url)
        term.send("-l", "q")  # typed into the field: no quit
        term.wait_for(url + "q")
        term.send("BSpace")
        term.send("C-t")
        term.wait_for("Test: FAILED")
        assert "not reachable" in term.screen()
        term.send("C-s")
        term.wait_for("Save refused")
        assert "Review and save" not in term.screen()
        colours = re.findall(r"\x1b\[(?:\d+;)*(?:3[0-8]|9[0-7])[;m]", term.screen(escapes=True))
        assert colours == []  # NO_COLOR: bold, dim and reverse only
        term.send("Escape", "Escape", "q")
        term.wait_for("EXIT=0")
    assert not (isolated / ".chi_llm.json").exists()


def test_a_small_terminal_gets_a_message_and_a_resize_redraws(isolated: Path, tmp_path: Path) -> None:
    with terminal(ui(tmp_path / "tui.log"), env(), str(isolated), width=80, height=24) as term:
        term.wait_for("Configure a provider")
        term.resize(50, 12)
        term.wait_for("The terminal is 50x12")
        term.resize(80, 24)
        term.wait_for("Configure a provider")
        term.send("C-c")
        term.wait_for("EXIT=0")


def test_a_bridge_that_dies_is_restarted_with_a_message(isolated: Path, ollama: Server, tmp_path: Path) -> None:
    log = tmp_path / "tui.log"
    with terminal(ui(log), env(), str(isolated), width=80, height=24) as term:
        term.wait_for("chi-llm 0.")
        tui = subprocess.run(["pgrep", "-f", f"chi-tui --log {log}"], capture_output=True, text=True).stdout.split()
        assert tui, "chi-tui is not running"
        bridges = subprocess.run(["pgrep", "-P", tui[0]], capture_output=True, text=True).stdout.split()
        assert bridges, "no bridge process under chi-tui"
        subprocess.run(["kill", "-9", bridges[0]], check=True)
        term.wait_for("The bridge stopped")
        term.wait_for("restarted it")
        open_ollama_form(term)  # the fresh bridge answers
        type_base_url(term, ollama.url)
        term.send("C-t")
        term.wait_for("Test passed")
        term.send("C-c")
        term.wait_for("EXIT=0")
