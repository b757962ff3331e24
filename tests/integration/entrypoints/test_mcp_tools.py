"""MCP servers as toolboxes against a real MCP server written with the official SDK
(tests/support/mcp_server.py), over stdio (a subprocess) and streamable HTTP (127.0.0.1): its
tools listed, called through the tool loop on the fake provider (which scripts the calls), the
results mapped, and the server's process gone once the loop ends, however it ends."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chi_llm import McpTools, MicroLLM, mcp_tools
from chi_llm.domain.errors import InvalidRequest, ToolLoopLimit
from tests.support.bounded import within
from tests.support.mcp_servers import read_pid, running, server_command


def calls(*pairs: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"tool_calls": [{"name": name, "arguments": arguments} for name, arguments in pairs]}


def fake_llm(*replies: str | dict[str, Any]) -> MicroLLM:
    return MicroLLM(provider={"type": "fake", "replies": list(replies)})


def results(result: Any) -> list[tuple[str, str, str]]:
    return [(c.call.name, c.status, c.content) for c in result.calls]


def test_the_servers_tools_are_listed_with_their_schemas_and_the_process_ends_on_close(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with within(60), mcp_tools(server_command("--pid-file", str(pid_file))) as box:
        assert isinstance(box, McpTools) and box.is_open
        tools = {t.name: t.tool for t in box.tools}
        assert {"add", "echo", "fail", "wait", "big", "weather", "picture", "die"} <= set(tools)
        assert tools["add"].description == "Add two whole numbers."
        assert tools["add"].parameters["required"] == ["a", "b"]
        assert tools["add"].parameters["properties"]["a"]["type"] == "integer"
        mul = [name for name in tools if name.startswith("math_mul")]
        assert len(mul) == 1 and "." not in mul[0]  # "math.mul" made to fit what providers accept
        pid = read_pid(pid_file)
        assert running(pid)
    assert not box.is_open and not running(pid)
    with pytest.raises(InvalidRequest, match="not open"):
        box.tools  # noqa: B018 - reading it is the test


def test_act_calls_the_servers_tools_and_maps_their_results(tmp_path: Path) -> None:
    script = calls(
        ("add", {"a": 2, "b": 3}),
        ("math_mul", {"a": 4, "b": 5}),
        ("weather", {"city": "Oslo"}),
        ("picture", {}),
        ("fail", {"reason": "no key"}),
    )
    with within(60), mcp_tools(server_command()) as box:
        llm = fake_llm(script, "All done.")
        result = llm.act("Use the tools.", tools=[box])
        again = fake_llm(calls(("echo", {"text": "héllo"})), "ok").act("Echo.", tools=box.tools)
    assert result.text == "All done." and result.rounds == 2
    found = {name: (status, content) for name, status, content in results(result)}
    assert found["add"] == ("ok", "5") and found["math_mul"] == ("ok", "20")
    assert found["weather"][0] == "ok" and json.loads(found["weather"][1]) == {"city": "Oslo", "celsius": 21}
    assert found["picture"][0] == "ok" and found["picture"][1].startswith("[image: image/png, ")
    assert found["fail"][0] == "error" and "refused: no key" in found["fail"][1]  # isError: an error result
    assert results(again) == [("echo", "ok", "héllo")]


def test_an_unopened_toolbox_in_act_serves_that_loop_and_its_process_ends_with_it(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    box = mcp_tools(server_command("--pid-file", str(pid_file)))
    with within(60):
        result = fake_llm(calls(("add", {"a": 1, "b": 2})), "3").act("1+2?", tools=[box])
    assert results(result) == [("add", "ok", "3")] and not box.is_open
    assert not running(read_pid(pid_file))
    pid_file.unlink()
    with within(60), pytest.raises(ToolLoopLimit):
        fake_llm(calls(("add", {"a": 1, "b": 2})), calls(("add", {"a": 1, "b": 2}))).act("?", [box], max_rounds=1)
    assert not running(read_pid(pid_file))  # a loop that fails closes the server too


async def test_aact_and_async_with_use_the_server_in_asyncio(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    async with mcp_tools(server_command("--pid-file", str(pid_file))) as box:
        llm = fake_llm(calls(("add", {"a": 2, "b": 2}), ("echo", {"text": "hi"})), "4")
        result = await llm.aact("2+2?", tools=[box])
        pid = read_pid(pid_file)
    assert sorted(results(result)) == [("add", "ok", "4"), ("echo", "ok", "hi")] and not running(pid)
    pid_file.unlink()
    result = await fake_llm(calls(("add", {"a": 5, "b": 5})), "10").aact("?", tools=[mcp_tools(server_command())])
    assert results(result) == [("add", "ok", "10")]


async def test_a_cancelled_aact_stops_the_server(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    llm = fake_llm(calls(("wait", {"seconds": 60})), "x")
    box = mcp_tools(server_command("--pid-file", str(pid_file)))
    task = asyncio.create_task(llm.aact("Wait.", tools=[box], tool_timeout=None))
    for _ in range(600):
        await asyncio.sleep(0.05)
        if pid_file.exists():
            break
    await asyncio.sleep(1.0)  # the call is under way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)
    assert not running(read_pid(pid_file))


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_hung_call_meets_the_loops_tool_timeout_and_the_server_still_stops(
    tmp_path: Path, asynchronous: bool
) -> None:
    pid_file = tmp_path / "pid"
    llm = fake_llm(calls(("wait", {"seconds": 120})), "gave up")
    box = mcp_tools(server_command("--pid-file", str(pid_file)))
    with within(60):
        if asynchronous:
            result = asyncio.run(llm.aact("Wait.", tools=[box], tool_timeout=1))
        else:
            result = llm.act("Wait.", tools=[box], tool_timeout=1)
    assert result.text == "gave up"
    assert results(result) == [
        ("wait", "timeout", "tool 'wait' did not finish within 1 s (per-call timeout); no result")
    ]
    assert not running(read_pid(pid_file))


def test_a_huge_result_is_cut_before_the_model_sees_it() -> None:
    with within(60), mcp_tools(server_command(), max_result_chars=1000) as box:
        result = fake_llm(calls(("big", {"size": 3_000_000})), "ok").act("Big.", tools=[box])
    content = result.calls[0].content
    assert content.startswith("x" * 1000) and "2,999,000 more characters cut" in content and len(content) < 1200


def test_a_server_that_dies_mid_loop_gives_error_results_saying_so(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script: list[str | dict[str, Any]] = [calls(("die", {})), calls(("add", {"a": 1, "b": 1})), "It broke."]
    with within(60), mcp_tools(server_command("--pid-file", str(pid_file))) as box:
        result = fake_llm(*script).act("Die.", tools=[box])
    assert not running(read_pid(pid_file))
    (_, died, said), (_, after, again) = results(result)
    assert died == "error" and "closed the connection during tool 'die'" in said and "started again" in said
    assert after == "error" and "before tool 'add' was called" in again
    assert result.text == "It broke."


def test_a_paginated_tool_list_is_read_to_the_end() -> None:
    with within(60), mcp_tools(server_command("--paged", "8")) as box:
        assert [t.name for t in box.tools] == [f"t{i}" for i in range(8)]
        result = fake_llm(calls(("t7", {"n": 3})), "ok").act("?", tools=box)  # the box alone works as a list
    assert results(result) == [("t7", "ok", "t7 got 3")]
    alone = fake_llm(calls(("t1", {"n": 1})), "ok").act("?", tools=mcp_tools(server_command("--paged", "2")))
    assert results(alone) == [("t1", "ok", "t1 got 1")]


def test_a_prefix_keeps_two_servers_tools_apart() -> None:
    with within(90), mcp_tools(server_command()) as one, mcp_tools(server_command(), prefix="b_") as two:
        with pytest.raises(InvalidRequest, match="unique"):
            fake_llm("x").act("?", tools=[one, mcp_tools(server_command())])
        result = fake_llm(calls(("add", {"a": 1, "b": 1}), ("b_add", {"a": 2, "b": 2})), "ok").act("?", [one, two])
    assert sorted(results(result)) == [("add", "ok", "2"), ("b_add", "ok", "4")]


def test_importing_chi_llm_and_making_a_toolbox_does_not_load_the_sdk() -> None:
    code = (
        "import sys, chi_llm; box = chi_llm.mcp_tools('python server.py'); "
        "print(sorted(m for m in ('mcp', 'mcp_types', 'anyio', 'pydantic') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert loaded.stdout.strip() == "[]"
