"""chi-tui's Models screen pulling a model by hub reference (`h`) end to end: the installed program
in tmux (80x24) driving the real bridge against the hub stand-in on loopback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chi_llm.adapters.features import program_path
from tests.support.hub_server import running_hub
from tests.support.tmux import terminal
from tests.support.tui_session import env, ready, ui

pytestmark = pytest.mark.skipif(
    program_path("chi-tui") is None, reason="chi-tui is not installed (scripts/setup.sh builds it; needs cargo)"
)
DATA = b"GGUF" + bytes((i * 131 + 17) % 256 for i in range(300_000))


def test_h_pulls_the_quantization_that_fits_and_says_which(isolated: Path, tmp_path: Path) -> None:
    models = Path(os.environ["CHI_LLM_HOME"]) / "models"
    with running_hub() as hub:
        hub.add("org/Tiny-GGUF", "tiny-Q4_K_M.gguf", DATA[:200_000])
        hub.add("org/Tiny-GGUF", "tiny-Q8_0.gguf", DATA)
        source = (
            {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
        )  # this checkout's code
        variables = env(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", **source)
        with terminal(ui(tmp_path / "tui.log"), variables, str(isolated), width=80, height=24) as term:
            ready(term)
            term.send("2")
            term.wait_for("Models (")
            term.send("h")
            term.wait_for("Pull from the hub")
            term.send("-l", "org/Tiny-GGUF")
            term.send("Enter")
            term.wait_for("downloaded and verified")
            term.wait_for("chose tiny-Q8_0.gguf")
            assert (models / "org--Tiny-GGUF--tiny-Q8_0.gguf").read_bytes() == DATA
            term.send("/")
            term.send("-l", "tiny")
            term.send("Enter")
            term.wait_for("hf:org/Tiny-GGUF/tiny-Q8_0")  # listed like a catalog model, downloaded
            term.send("q")
            term.wait_for("EXIT=0")
