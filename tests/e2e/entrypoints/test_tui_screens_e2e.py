"""chi-tui's Models, New project, Chat and Diagnostics screens end to end: the installed program in
tmux (80x24) driving the real bridge — downloads from a hub stand-in on loopback (progress,
cancel, resume, a bridge killed mid-download, remove), the bootstrap wizard into a folder, a chat
cancelled mid-answer on the fake backend, diagnostics exported, and one chat on the real local
default model."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.hub_server import Hub, running_hub
from tests.support.tmux import terminal
from tests.support.tui_session import NEEDS_TUI, env, ready, ui

pytestmark = NEEDS_TUI
REPO, FILE = "lmstudio-community/gemma-3-270m-it-GGUF", "gemma-3-270m-it-Q4_K_M.gguf"
DATA = b"GGUF" + bytes((i * 131 + 17) % 256 for i in range(6 * 1024 * 1024))


def kill_bridge(log: Path) -> None:
    tui = subprocess.run(["pgrep", "-f", f"chi-tui --log {log}"], capture_output=True, text=True).stdout.split()
    bridges = subprocess.run(["pgrep", "-P", tui[0]], capture_output=True, text=True).stdout.split()
    subprocess.run(["kill", "-9", bridges[0]], check=True)


@pytest.fixture
def hub() -> Iterator[Hub]:
    with running_hub() as hub:
        hub.add(REPO, FILE, DATA)
        yield hub


def test_download_cancel_resume_survive_a_dead_bridge_and_remove(isolated: Path, hub: Hub, tmp_path: Path) -> None:
    models = Path(os.environ["CHI_LLM_HOME"]) / "models"
    log = tmp_path / "tui.log"
    hub.pace = 0.05  # 96 pieces of 64 KiB: about five seconds
    variables = env(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1")
    with terminal(ui(log), variables, str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("2")
        term.wait_for("Models (")
        term.send("/")
        term.send("-l", "gemma-3-270m")
        term.send("Enter")
        term.wait_for("Gemma 3 270M")
        term.send("d")
        term.wait_for("% download")  # live progress from the bridge's notifications
        term.wait_for("iB/s")  # MiB/s (GiB/s on a fast loopback)
        term.send("c")
        term.wait_for("d resumes it")
        parts = [p for p in models.rglob("*.part") if p.is_file()]
        assert parts and 0 < parts[0].stat().st_size < len(DATA)

        term.send("d")  # resume, then lose the bridge half-way
        term.wait_for("Resuming gemma-3-270m")
        term.wait_for("% download")
        kill_bridge(log)
        term.wait_for("The bridge stopped")
        term.wait_for("interrupted")
        term.wait_for("chi-llm 0.")  # a fresh bridge answered the handshake

        hub.pace = 0.0
        hub.requests.clear()
        term.send("d")
        term.wait_for("gemma-3-270m downloaded and verified")
        ranges = [r for method, _, r in hub.requests if method == "GET" and r]
        assert ranges, "the last download started over instead of resuming"
        assert (models / FILE).read_bytes() == DATA

        term.send("x")
        term.wait_for("Remove gemma-3-270m?")
        term.wait_for("This frees 6 MiB")
        term.send("y")
        term.wait_for("Removed gemma-3-270m: 6 MiB freed")
        assert not (models / FILE).exists()
        term.send("q")
        term.wait_for("EXIT=0")


def test_the_wizard_writes_the_three_files(isolated: Path, tmp_path: Path) -> None:
    target = tmp_path / "newapp"
    with terminal(ui(tmp_path / "tui.log"), env(), str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("6")
        term.wait_for("Which folder gets the files?")
        term.send("BSpace")
        term.send("-l", str(target))
        term.send("Enter")
        term.wait_for("Which provider does the project use?")
        term.send("Enter")  # local
        term.wait_for("Which catalog model?")
        term.send("Enter")
        term.wait_for("Configuration file format")
        term.send("Enter")
        term.wait_for("Extras pinned")
        term.send("Enter")
        term.wait_for("Enter writes these files")
        assert not target.exists()  # a preview writes nothing
        term.send("Enter")
        term.wait_for("Written:")
        term.send("Enter", "q")
        term.wait_for("EXIT=0")
    assert json.loads((target / ".chi_llm.json").read_text()) == {"model": "smollm2-135m"}
    assert "CHI_LLM_MODEL=" in (target / ".env.sample").read_text()
    assert (target / "llm-requirements.txt").read_text().splitlines()[-1].startswith("chi-llm @ file://")


def test_the_wizard_shows_a_configuration_file_moved_aside_before_writing(isolated: Path, tmp_path: Path) -> None:
    target = tmp_path / "configured"
    target.mkdir()
    (target / ".chi_llm.yaml").write_text("max_tokens: 9\n")
    (target / ".env.sample").write_text("MINE=1\n")
    with terminal(ui(tmp_path / "tui.log"), env(), str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("6")
        term.wait_for("Which folder gets the files?")
        term.send("BSpace")
        term.send("-l", str(target))
        term.send("Enter")
        term.wait_for("Which provider does the project use?")
        for prompt in ("Which catalog model?", "Configuration file format", "Extras pinned", "Enter writes"):
            term.send("Enter")
            term.wait_for(prompt)
        term.wait_for("already configures this folder")  # why .chi_llm.json is left alone
        term.send("Enter")
        term.wait_for("Left alone unless you agree")
        term.send("y")  # shows the plan with them replaced; writes nothing yet
        term.wait_for("move aside")
        assert (target / ".chi_llm.yaml").exists() and not (target / ".chi_llm.json").exists()
        term.send("Enter")
        term.wait_for("Written:")
        term.send("Enter", "q")
        term.wait_for("EXIT=0")
    assert (target / ".chi_llm.yaml.bak").read_text() == "max_tokens: 9\n" and (target / ".env.sample.bak").exists()
    assert json.loads((target / ".chi_llm.json").read_text()) == {"model": "smollm2-135m"}


def test_chat_streams_and_esc_cancels_mid_answer(isolated: Path, tmp_path: Path) -> None:
    variables = env(CHI_LLM_PROVIDER_TOKEN_DELAY="0.4")
    with terminal(ui(tmp_path / "tui.log", "--backend", "fake"), variables, str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("1")
        term.wait_for("Type a message")
        term.send("-l", "one two three four five six seven eight nine ten")
        term.send("Enter")
        term.wait_for("llm Echo: one")
        term.send("Escape")
        shown = term.wait_for("(answer stopped)")
        assert "ten" not in shown.split("llm Echo:")[1]  # decoding stopped early
        term.send("-l", "quick")  # 'q' is text here
        term.send("Enter")
        term.wait_for("llm Echo: quick")
        term.wait_for("tok/s")
        term.send("Escape")  # nothing running: back to the menu
        term.wait_for("Configure a provider")
        term.send("q")
        term.wait_for("EXIT=0")


def test_diagnostics_run_and_export(isolated: Path, tmp_path: Path) -> None:
    with terminal(ui(tmp_path / "tui.log", "--backend", "fake"), env(), str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("5")
        term.wait_for(" ok · ", timeout=60)
        term.send("e")
        term.wait_for("Export the report")
        term.send("Enter")
        term.wait_for("Exported the report to")
        term.send("q")
        term.wait_for("EXIT=0")
    report = json.loads((isolated / "chi_llm_diagnostics.json").read_text())
    assert report["format"] == "chi_llm.diagnostics/1" and report["checks"]


def test_a_chat_on_the_real_local_model(isolated: Path, default_model_path: Path, tmp_path: Path) -> None:
    home = str(default_model_path.parent.parent)  # the model is already there: no download
    with terminal(ui(tmp_path / "tui.log"), env(CHI_LLM_HOME=home), str(isolated), width=80, height=24) as term:
        ready(term)
        term.send("1")
        term.send("-l", "Say hello in three words.")
        term.send("Enter")
        shown = term.wait_for("tok/s", timeout=180)
        while "+" not in shown.split("tok/s")[0].rsplit("·", 2)[-2]:  # finished: prompt+completion tokens
            shown = term.wait_for("tok/s", timeout=5)
        answer = shown.split("llm ", 1)[1].split("\n", 1)[0].strip()
        assert answer, shown
        term.send("Escape")  # alone: Escape then q at once reads as Alt+q
        term.wait_for("Configure a provider")
        term.send("q")
        term.wait_for("EXIT=0")
