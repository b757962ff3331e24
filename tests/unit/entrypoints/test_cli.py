"""The CLI through click's runner on the fake backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from tests.support.cli import run
from tests.support.servers.base import Server, serve
from tests.support.servers.openai import OpenAIHandler


def fake_env(monkeypatch: pytest.MonkeyPatch, *replies: str) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps({"provider": {"type": "fake", "replies": list(replies)}}))


def test_generate_from_argument_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_env(monkeypatch, "the answer")
    result = run("generate", "question")
    assert result.exit_code == 0 and result.stdout == "the answer\n"


@pytest.mark.parametrize("how", ["pipe", "dash", "file", "file-dash"])
def test_input_sources(monkeypatch: pytest.MonkeyPatch, isolated: Path, how: str) -> None:
    fake_env(monkeypatch)
    (isolated / "prompt.txt").write_text("from a file\n")
    args = {
        "pipe": ["generate"],
        "dash": ["generate", "-"],
        "file": ["generate", "-f", "prompt.txt"],
        "file-dash": ["generate", "-f", "-"],
    }[how]
    result = run(*args, stdin="from stdin\n")
    expected = "Echo: from a file" if how == "file" else "Echo: from stdin"
    assert result.stdout.strip() == expected


def test_json_result_has_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_env(monkeypatch, "one two three")
    result = run("generate", "q", "--json", "-m", "2")
    data = json.loads(result.stdout)
    assert data["text"] == "one two" and data["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] == 2 and data["usage"]["total_tokens"] > 2
    assert set(data["timings"]) == {"time_to_first_token_s", "total_s", "tokens_per_second", "threads"}
    assert data["timings"]["threads"] is None  # the fake decodes on no CPU threads of its own


def test_ask_with_context_and_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_env(monkeypatch)
    assert "Question: why" in run("ask", "why", "-c", "because", "--no-stream").stdout
    assert run("complete", "Once").stdout.strip() == "and so on, continuing the text."


def test_errors_are_one_line_with_exit_codes(isolated: Path) -> None:
    (isolated / ".chi_llm.json").write_text("{broken")
    result = run("generate", "x")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "invalid JSON" in result.stderr
    assert "Traceback" not in result.output
    as_json = run("generate", "x", "--json")
    assert json.loads(as_json.stdout)["error"]["kind"] == "config_error"


def test_empty_stdin_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_env(monkeypatch)
    result = run("generate", stdin="")
    assert result.exit_code == 2 and "standard input was empty" in result.stderr


def test_context_overflow_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps({"provider": {"type": "fake", "context": 8}}))
    result = run("generate", "one two three four five six seven eight nine ten")
    assert result.exit_code == 6 and "context window is 8 tokens" in result.stderr


@pytest.fixture
def recorded(isolated: Path) -> Iterator[FakeTextGenerator]:
    """A real OpenAI-protocol server on loopback, configured as the provider; its engine records
    every request the CLI sends (nothing inside the CLI is patched)."""
    engine = FakeTextGenerator(["r1", "r2", "r3"], models=("m",))
    with serve(OpenAIHandler, Server(engine=engine)) as server:
        provider = {"type": "openai", "base_url": server.url + "/v1", "model": "m"}
        (isolated / ".chi_llm.json").write_text(json.dumps({"provider": provider}))
        yield engine


def test_chat_keeps_history_and_resets(recorded: FakeTextGenerator) -> None:
    result = run("chat", stdin="hello\nagain\n/reset\nfresh\n/exit\n")
    assert result.exit_code == 0
    for reply in ("r1", "r2", "r3"):
        assert reply in result.stdout
    assert "(history cleared)" in result.stderr
    sent = recorded.requests
    assert [m.content for m in sent[1].messages] == ["hello", "r1", "again"]
    assert [m.content for m in sent[2].messages] == ["fresh"]


def test_interactive_commands(recorded: FakeTextGenerator) -> None:
    result = run("interactive", stdin="plain prompt\n/complete Once\n/ask why\n/chat hi\n/bogus\n/exit\n")
    assert result.exit_code == 0
    sent = recorded.requests
    assert len(sent) == 4
    assert sent[0].messages[-1].content == "plain prompt"
    assert sent[1].prompt == "Once" and not sent[1].messages
    assert sent[2].messages[-1].content == "why"
    assert sent[3].messages[-1].content == "hi"
    assert "unknown or incomplete command '/bogus'" in result.stderr


def test_config_show_and_set(isolated: Path) -> None:
    assert run("config", "set", "max_tokens", "99").exit_code == 0
    assert json.loads((isolated / ".chi_llm.json").read_text()) == {"max_tokens": 99}
    run("config", "set", "temperature", "0.1", "--global")
    shown = json.loads(run("config", "show", "--explain", "--json").stdout)
    assert shown["max_tokens"] == {"value": 99, "source": f"project file {isolated / '.chi_llm.json'}"}
    assert shown["temperature"]["value"] == 0.1 and shown["temperature"]["source"].startswith("global file")
    text = run("config", "show", "--explain").stdout
    assert "max_tokens" in text and "[project file" in text
    bad = run("config", "set", "context", "-3")
    assert bad.exit_code == 2 and json.loads((isolated / ".chi_llm.json").read_text()) == {"max_tokens": 99}


def test_version() -> None:
    from chi_llm import __version__

    assert run("--version").stdout.strip() == f"chi-llm {__version__}"
