"""`chi-llm bridge`: JSON-RPC 2.0 over stdio — methods, errors, secrets, concurrency,
cancellation, and survival of any input (hypothesis)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import example, given
from hypothesis import strategies as st

from chi_llm.entrypoints.bridge.calls import Call
from chi_llm.entrypoints.bridge.server import Bridge


def request(rid: int | str | None, method: str, **params: Any) -> str:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if rid is not None:
        message["id"] = rid
    return json.dumps(message)


def converse(*lines: str, env: dict[str, str] | None = None) -> dict[Any, dict[str, Any]]:
    """Run the real bridge on these lines (then shutdown); responses by id, notifications under
    their method."""
    import os

    done = subprocess.run(
        [sys.executable, "-m", "chi_llm", "bridge"],
        input="\n".join([*lines, request("bye", "shutdown")]) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    out: dict[Any, dict[str, Any]] = {}
    for line in done.stdout.splitlines():
        message = json.loads(line)  # stdout carries protocol messages only
        assert message["jsonrpc"] == "2.0"
        out.setdefault(message.get("id", message.get("method")), message)
    return out


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


# -- in process: concurrency, cancellation, fuzzing ----------------------------------------------
def slow(call: Call) -> Any:
    for step in range(200):
        if call.cancelled.is_set():
            return {"stopped_at": step}
        call.notify("slow/progress", {"step": step})
        time.sleep(0.01)
    return {"done": True}


def quick(call: Call) -> Any:
    return {"echo": call.params.get("x")}


def lines_of(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def test_a_long_call_does_not_block_others_and_can_be_cancelled() -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"slow": slow, "quick": quick})
    bridge.handle_line(request(1, "slow"))
    bridge.handle_line(request(2, "quick", x=5))
    deadline = time.monotonic() + 5
    while not any(m.get("id") == 2 for m in lines_of(output)) and time.monotonic() < deadline:
        time.sleep(0.01)
    bridge.handle_line(request(None, "$/cancelRequest", id=1))
    bridge.serve(io.BytesIO(request(9, "shutdown").encode() + b"\n"))
    messages = lines_of(output)
    ids = [m.get("id") for m in messages if "id" in m]
    assert ids.index(2) < ids.index(1)  # the quick answer did not wait for the slow one
    assert next(m for m in messages if m.get("id") == 1)["error"]["code"] == -32800
    progress = [m for m in messages if m.get("method") == "slow/progress"]
    assert progress and all(p["params"]["id"] == 1 for p in progress)


def test_end_of_input_cancels_what_is_running() -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"slow": slow})
    started = time.monotonic()
    bridge.serve(io.BytesIO(request(1, "slow").encode() + b"\n"))
    assert time.monotonic() - started < 1.5  # not the 2 s a full run takes
    assert lines_of(output)[-1]["error"]["code"] == -32800


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
MESSAGES = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.sampled_from(["2.0", "1.0", 2]),
        "id": st.one_of(st.integers(), st.text(max_size=5), st.none(), st.booleans(), st.floats()),
        "method": st.sampled_from(["quick", "nope", "$/cancelRequest", "", "initialize"]) | st.text(max_size=8),
        "params": JSON_VALUES,
    },
)


@given(st.one_of(st.text(max_size=200), MESSAGES.map(json.dumps), JSON_VALUES.map(json.dumps)))
@example('{"id":"\\u0085"}')  # NEL: a line break to str.splitlines and some clients
@example('{"jsonrpc":"2.0","id":"\\u2028","method":"nope"}')
def test_the_bridge_survives_any_line(line: str) -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"quick": quick})
    bridge.handle_line(line)
    bridge.wait()
    for message in lines_of(output):
        assert message["jsonrpc"] == "2.0" and ("result" in message or "error" in message)
        if "error" in message:
            assert isinstance(message["error"]["code"], int) and message["error"]["message"]


def test_answers_are_written_whole_from_many_threads() -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"quick": quick})
    threads = [threading.Thread(target=bridge.handle_line, args=(request(i, "quick", x="y" * 500),)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bridge.wait()
    assert sorted(m["id"] for m in lines_of(output)) == list(range(50))


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
