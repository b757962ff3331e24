"""`chi-llm chat` / `interactive` with a model that cannot be had: one error before the first
prompt, with generate's exit code, not an error on every line and exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import closed_port, run


@pytest.fixture
def offline(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No model downloaded, and every place one could come from refuses at once (loopback)."""
    port = closed_port()
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "1")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return isolated


@pytest.mark.parametrize("command", ["chat", "interactive"])
def test_a_model_that_cannot_be_had_fails_once_up_front(offline: Path, command: str) -> None:
    generate = run("generate", "--model", "gemma-3-270m", "hi")
    assert generate.exit_code not in (0, 1, 2)  # a download failure (4), or it does not fit (7)
    result = run(command, "--model", "gemma-3-270m", stdin="hello\nagain\nthird\n")
    assert result.exit_code == generate.exit_code
    assert result.stderr.count("chi-llm: error:") == 1 and ">>>" not in result.stdout
    assert "Chatting with" not in result.stderr and "Interactive mode" not in result.stderr
