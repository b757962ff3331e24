"""`generate/start` with tools in-process on the fake backend: the calls announced, asked about,
run or refused, their results streamed, the added turns returned; approvals answered, timed out,
cancelled, remembered; tool files that do not load reported by `tools/list`."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from chi_llm.entrypoints.bridge.server import Bridge
from chi_llm.entrypoints.bridge.tools import BridgeTools, file_sources
from tests.support.bridge import request

CALL = {"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]}


@pytest.fixture
def tool_file(tmp_path: Path) -> str:
    path = tmp_path / "calc.py"
    path.write_text('def add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n')
    return f"{path}:add"


def fake(monkeypatch: pytest.MonkeyPatch, *replies: Any) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps({"provider": {"type": "fake", "replies": list(replies)}}))


def lines(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def wait_for(output: io.StringIO, found: Any, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in lines(output):
            if found(message):
                return message
        time.sleep(0.01)
    raise AssertionError(f"not sent within {timeout} s: {lines(output)}")


def approval(output: io.StringIO, count: int = 1) -> dict[str, Any]:
    asked = [m for m in lines(output) if m.get("method") == "generate/tool_approval"]
    if len(asked) < count:
        wait_for(
            output, lambda _: len([m for m in lines(output) if m.get("method") == "generate/tool_approval"]) >= count
        )
        asked = [m for m in lines(output) if m.get("method") == "generate/tool_approval"]
    params: dict[str, Any] = asked[count - 1]["params"]
    return params


def finish(bridge: Bridge) -> None:
    bridge.serve(io.BytesIO(request("bye", "shutdown").encode() + b"\n"))


def start(bridge: Bridge, **params: Any) -> None:
    bridge.handle_line(request(1, "generate/start", prompt="add 2 and 3", tools=["add"], **params))


def test_an_approved_call_runs_and_its_result_goes_back(monkeypatch: pytest.MonkeyPatch, tool_file: str) -> None:
    fake(monkeypatch, CALL, "It is 5.")
    output = io.StringIO()
    bridge = Bridge(output, tools=BridgeTools(file_sources([tool_file])))
    start(bridge)
    asked = approval(output)
    assert (asked["id"], asked["name"], asked["arguments"]) == (1, "add", {"a": 2, "b": 3})
    bridge.handle_line(request(2, "generate/approve", approval_id=asked["approval_id"], allow=True))
    wait_for(output, lambda m: m.get("id") == 1)
    finish(bridge)
    sent = lines(output)
    methods = [m.get("method") or f"answer {m['id']}" for m in sent]
    assert methods[:5] == [
        "generate/tool_call",
        "generate/tool_approval",
        "answer 2",  # the approval's answer comes before what the call sends next
        "generate/tool_result",
        "generate/delta",
    ]
    result = next(m for m in sent if m.get("method") == "generate/tool_result")["params"]
    assert (result["content"], result["is_error"], result["status"]) == ("5", False, "ok")
    answer = next(m for m in sent if m.get("id") == 1)["result"]
    assert answer["text"] == "It is 5."
    call_id = result["call_id"]
    assert answer["messages"] == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": call_id, "name": "add", "arguments": {"a": 2, "b": 3}}],
        },
        {"role": "tool", "content": "5", "tool_call_id": call_id, "name": "add", "is_error": False},
        {"role": "assistant", "content": "It is 5."},
    ]


def test_a_denied_call_is_a_refusal_for_the_model(monkeypatch: pytest.MonkeyPatch, tool_file: str) -> None:
    fake(monkeypatch, CALL, "I may not add.")
    output = io.StringIO()
    bridge = Bridge(output, tools=BridgeTools(file_sources([tool_file])))
    start(bridge)
    bridge.handle_line(request(2, "generate/approve", approval_id=approval(output)["approval_id"], allow=False))
    answer = wait_for(output, lambda m: m.get("id") == 1)["result"]
    finish(bridge)
    result = next(m for m in lines(output) if m.get("method") == "generate/tool_result")["params"]
    assert result["is_error"] and result["status"] == "refused" and "denied" in result["content"]
    assert answer["text"] == "I may not add." and answer["messages"][1]["is_error"] is True


def test_always_allows_the_tool_without_asking_again(monkeypatch: pytest.MonkeyPatch, tool_file: str) -> None:
    fake(monkeypatch, CALL, CALL, "Done.")
    output = io.StringIO()
    bridge = Bridge(output, tools=BridgeTools(file_sources([tool_file])))
    start(bridge)
    asked = approval(output)["approval_id"]
    bridge.handle_line(request(2, "generate/approve", approval_id=asked, allow=True, always=True))
    wait_for(output, lambda m: m.get("id") == 1)
    finish(bridge)
    sent = lines(output)
    assert len([m for m in sent if m.get("method") == "generate/tool_approval"]) == 1
    assert [m["params"]["status"] for m in sent if m.get("method") == "generate/tool_result"] == ["ok", "ok"]


def test_no_answer_in_time_denies(monkeypatch: pytest.MonkeyPatch, tool_file: str) -> None:
    fake(monkeypatch, CALL, "No answer, no sum.")
    output = io.StringIO()
    bridge = Bridge(output, tools=BridgeTools(file_sources([tool_file]), approval_timeout=0.2))
    start(bridge)
    answer = wait_for(output, lambda m: m.get("id") == 1)["result"]
    late = approval(output)["approval_id"]
    bridge.handle_line(request(2, "generate/approve", approval_id=late, allow=True))
    finish(bridge)
    result = next(m for m in lines(output) if m.get("method") == "generate/tool_result")["params"]
    assert result["status"] == "refused" and "did not answer within 0.2 s" in result["content"]
    assert answer["text"] == "No answer, no sum."
    assert "no tool call waits" in next(m for m in lines(output) if m.get("id") == 2)["error"]["message"]


def test_cancelling_the_chat_while_it_waits_denies_and_stops(monkeypatch: pytest.MonkeyPatch, tool_file: str) -> None:
    fake(monkeypatch, CALL, "never said")
    output = io.StringIO()
    bridge = Bridge(output, tools=BridgeTools(file_sources([tool_file])))
    start(bridge)
    approval(output)
    bridge.handle_line(request(None, "$/cancelRequest", id=1))
    assert wait_for(output, lambda m: m.get("id") == 1)["error"]["code"] == -32800
    finish(bridge)
    result = next(m for m in lines(output) if m.get("method") == "generate/tool_result")["params"]
    assert "cancelled" in result["content"] and not any(m.get("method") == "generate/delta" for m in lines(output))


def test_shutdown_denies_a_waiting_call_at_once(monkeypatch: pytest.MonkeyPatch, tool_file: str) -> None:
    fake(monkeypatch, CALL, "after")
    output = io.StringIO()
    bridge = Bridge(output, tools=BridgeTools(file_sources([tool_file])))
    start(bridge)
    approval(output)
    began = time.monotonic()
    finish(bridge)
    assert time.monotonic() - began < 5  # not the approval timeout
    result = next(m for m in lines(output) if m.get("method") == "generate/tool_result")["params"]
    assert "shutting down" in result["content"]


def test_after_shutdown_a_later_round_is_refused_without_asking(
    monkeypatch: pytest.MonkeyPatch, tool_file: str
) -> None:
    # the model calls again after its refused call: no client is left to answer a new question
    fake(monkeypatch, CALL, CALL, CALL, "after")
    output = io.StringIO()
    bridge = Bridge(output, tools=BridgeTools(file_sources([tool_file]), approval_timeout=30))
    start(bridge, max_rounds=8)
    approval(output)
    began = time.monotonic()
    finish(bridge)
    assert time.monotonic() - began < 10  # not one approval timeout per round
    sent = lines(output)
    assert len([m for m in sent if m.get("method") == "generate/tool_approval"]) == 1
    results = [m["params"]["content"] for m in sent if m.get("method") == "generate/tool_result"]
    assert len(results) == 3 and all("shutting down" in content for content in results)


def test_bad_approvals_are_invalid_params() -> None:
    output = io.StringIO()
    bridge = Bridge(output)
    bridge.handle_line(request(1, "generate/approve", approval_id="approval-9", allow=True))
    bridge.handle_line(request(2, "generate/approve", approval_id=3, allow="yes"))
    finish(bridge)
    errors = {m["id"]: m["error"] for m in lines(output) if "error" in m}
    assert errors[1]["code"] == errors[2]["code"] == -32602
    assert "approval-9" in errors[1]["message"] and "allow (true or false)" in errors[2]["message"]


def test_tools_list_names_the_tools_and_each_source_that_did_not_load(tmp_path: Path, tool_file: str) -> None:
    output = io.StringIO()
    bridge = Bridge(output, tools=BridgeTools(file_sources([tool_file, str(tmp_path / "missing.py")])))
    bridge.handle_line(request(1, "tools/list"))
    bridge.handle_line(request(2, "generate/start", prompt="x", tools=["nope"]))
    bridge.handle_line(request(3, "generate/start", prompt="x", tools="add"))
    finish(bridge)
    got = {m["id"]: m for m in lines(output)}
    listed = got[1]["result"]
    assert listed["tools"] == [{"name": "add", "description": "Add two numbers.", "source": tool_file}]
    [error] = listed["errors"]
    assert error["source"].endswith("missing.py") and "does not exist" in error["message"]
    assert "no tool 'nope'" in got[2]["error"]["message"] and "its tools: add" in got[2]["error"]["message"]
    assert got[3]["error"]["code"] == -32602


def test_the_history_may_hold_tool_turns_only_with_tools(monkeypatch: pytest.MonkeyPatch, tool_file: str) -> None:
    fake(monkeypatch, "Still 5.")
    earlier = [
        {"role": "user", "content": "add 2 and 3"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "name": "add", "arguments": {"a": 2, "b": 3}}],
        },
        {"role": "tool", "content": "5", "tool_call_id": "c1", "name": "add", "is_error": False},
        {"role": "assistant", "content": "It is 5."},
        {"role": "user", "content": "and again?"},
    ]
    output = io.StringIO()
    bridge = Bridge(output, tools=BridgeTools(file_sources([tool_file])))
    bridge.handle_line(request(1, "generate/start", messages=earlier, tools=["add"]))
    bridge.handle_line(request(2, "generate/start", messages=earlier))
    bridge.wait()
    got = {m["id"]: m for m in lines(output) if "id" in m and "method" not in m}
    assert got[1]["result"]["text"] == "Still 5." and got[1]["result"]["messages"] == [
        {"role": "assistant", "content": "Still 5."}
    ]
    assert got[2]["error"]["code"] == -32602  # without tools, a tool turn is not a message
