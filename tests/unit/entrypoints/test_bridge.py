"""The bridge's dispatcher in-process: concurrency, cancellation, end of input, whole answers from
many threads, and survival of any input (hypothesis)."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chi_llm.entrypoints.bridge.calls import Call
from chi_llm.entrypoints.bridge.server import Bridge
from tests.support.bridge import request


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
        "method": st.sampled_from(["quick", "nope", "$/cancelRequest", "", "initialize", "generate/approve"])
        | st.text(max_size=8),
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


def test_generations_run_at_once_each_cancellable_alone(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    """Two `generate/start` requests stream side by side (each on its own lane place, so a local
    model can decode them together); cancelling one leaves the other to finish."""
    words = " ".join(f"w{i}" for i in range(60))
    provider = {"type": "fake", "token_delay": 0.02, "replies": [words]}
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps({"provider": provider}))
    output = io.StringIO()
    bridge = Bridge(output)
    bridge.handle_line(request(1, "generate/start", prompt="first"))
    bridge.handle_line(request(2, "generate/start", prompt="second"))

    def streaming(rid: int) -> bool:
        return any(m.get("method") == "generate/delta" and m["params"]["id"] == rid for m in lines_of(output))

    deadline = time.monotonic() + 10
    while not (streaming(1) and streaming(2)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert streaming(1) and streaming(2)
    assert not [m for m in lines_of(output) if "id" in m]  # both were in flight at once: neither answered yet
    bridge.handle_line(request(None, "$/cancelRequest", id=1))
    bridge.wait()
    answers = {m["id"]: m for m in lines_of(output) if "id" in m}
    assert answers[1]["error"]["code"] == -32800 or answers[1]["result"] == {"cancelled": True}
    assert answers[2]["result"]["text"] == words and answers[2]["result"]["finish_reason"] == "stop"
