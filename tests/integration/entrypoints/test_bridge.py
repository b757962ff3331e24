"""`chi-llm bridge` as a process: JSON-RPC 2.0 over stdio — methods, errors, secrets, streaming
and cancellation."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from tests.support.bridge import converse, request


def test_initialize_then_methods_over_the_services(isolated: Path) -> None:
    answers = converse(
        request(1, "initialize"),
        request(2, "providers/schema"),
        request(3, "models/current"),
        request(4, "bootstrap/preview", path=str(isolated / "p"), provider="ollama"),
        request(5, "diagnostics/run"),
    )
    capabilities = answers[1]["result"]["capabilities"]["methods"]
    assert answers[1]["result"]["protocol_version"] == "1" and "generate/start" in capabilities
    assert "models/download" in capabilities and "$/cancelRequest" in capabilities
    assert {s["type"] for s in answers[2]["result"]} >= {"local", "ollama", "openai"}
    assert answers[3]["result"]["id"] == "smollm2-135m"
    assert [f["action"] for f in answers[4]["result"]["files"]] == ["create"] * 3 and not (isolated / "p").exists()
    schema = json.loads(resources.files("chi_llm").joinpath("schemas/diagnostics-1.json").read_text())
    jsonschema.validate(answers[5]["result"], schema, cls=jsonschema.Draft202012Validator)
    assert answers["bye"]["result"] == {}


def test_errors_carry_the_cli_kind(isolated: Path) -> None:
    answers = converse(
        "not json",
        request(1, "no/such"),
        request(2, "models/info", id="no-such-model"),
        request(3, "models/info"),
        json.dumps({"jsonrpc": "2.0", "id": 4, "method": "models/info", "params": [1]}),
        request(None, "models/current"),  # a notification: no answer
    )
    assert answers[None]["error"]["code"] == -32700
    assert answers[1]["error"]["code"] == -32601
    assert answers[2]["error"]["code"] == -32000 and answers[2]["error"]["data"]["kind"] == "model_not_found"
    assert answers[3]["error"]["code"] == -32602 and answers[4]["error"]["code"] == -32602
    assert set(answers) == {None, 1, 2, 3, 4, "bye"}


def test_secrets_go_in_and_never_come_back(isolated: Path) -> None:
    profile = {"providers": [{"id": "cloud", "type": "openai", "settings": {"api_key": "sk-bridge-secret"}}]}
    answers = converse(request(1, "config/write", scope="project", values=profile))
    answers |= converse(request(2, "config/read", scope="project"), request(3, "providers/list"))  # after the write
    written = Path(answers[1]["result"]["path"])
    assert "sk-bridge-secret" in written.read_text() and oct(written.stat().st_mode & 0o777) == "0o600"
    assert answers[2]["result"]["providers"][0]["settings"]["api_key"] is True
    assert answers[3]["result"][0]["settings"]["api_key"] is True
    assert "sk-bridge-secret" not in json.dumps(answers)


def test_generate_streams_deltas_then_the_result() -> None:
    import os

    done = subprocess.run(
        [sys.executable, "-m", "chi_llm", "bridge", "--backend", "fake"],
        input=request(1, "generate/start", prompt="alpha beta gamma", max_tokens=3)
        + "\n"
        + request(2, "shutdown")
        + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "CHI_LLM_CONFIG"},
    )
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    deltas = [m["params"]["text"] for m in messages if m.get("method") == "generate/delta"]
    final = next(m for m in messages if m.get("id") == 1)["result"]
    assert "".join(deltas) == final["text"] == "Echo: alpha beta"
    assert final["finish_reason"] == "length" and final["usage"]["completion_tokens"] == 3
    assert final["threads"] is None  # only a local model decodes on this machine's CPU threads
    assert messages.index(next(m for m in messages if m.get("id") == 1)) > max(
        i for i, m in enumerate(messages) if m.get("method") == "generate/delta"
    )


def test_a_generation_is_cancelled_within_a_token(monkeypatch: Any) -> None:
    config = {"provider": {"type": "fake", "token_delay": 0.05}}
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(config))
    child = subprocess.Popen(
        [sys.executable, "-m", "chi_llm", "bridge"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(request(7, "generate/start", prompt="word " * 300, max_tokens=300) + "\n")
    child.stdin.flush()
    first = json.loads(child.stdout.readline())
    assert first["method"] == "generate/delta"
    started = time.monotonic()
    child.stdin.write(request(None, "$/cancelRequest", id=7) + "\n" + request(8, "shutdown") + "\n")
    child.stdin.flush()
    out, _ = child.communicate(timeout=60)
    messages = [first, *(json.loads(line) for line in out.splitlines())]
    answer = next(m for m in messages if m.get("id") == 7)
    assert answer["error"]["code"] == -32800 and time.monotonic() - started < 5
    assert len([m for m in messages if m.get("method") == "generate/delta"]) < 100  # stopped long before 300


def test_bad_generation_params_are_refused() -> None:
    answers = converse(
        request(1, "generate/start"),
        request(2, "generate/start", messages=[{"role": "assistant", "content": "hi"}]),
        request(3, "generate/start", messages="hello"),
    )
    assert all(answers[i]["error"]["code"] == -32602 for i in (1, 2, 3))


def test_generate_says_who_answered_and_who_failed_before(isolated: Path) -> None:
    from tests.support.cli import closed_port

    dead = {"id": "home", "type": "ollama", "base_url": f"http://127.0.0.1:{closed_port()}", "model": "m"}
    config = {"providers": [dead, {"id": "spare", "type": "fake"}]}
    (isolated / ".chi_llm.json").write_text(json.dumps(config))
    answers = converse(request(1, "generate/start", prompt="hi", max_tokens=2))
    result = answers[1]["result"]
    assert result["text"] == "Echo: hi" and result["provider"] == "spare"
    assert [(f["provider"], f["kind"]) for f in result["fallback"]] == [("home", "backend_unavailable")]
