"""MCP toolboxes over streamable HTTP (the test server on 127.0.0.1 in a subprocess), and each
way a server can fail to start, as a clear error that says what to do, with no process left
behind."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from chi_llm import MicroLLM, mcp_tools
from chi_llm.domain.errors import BackendUnavailable, InvalidRequest
from tests.support.bounded import within
from tests.support.mcp_servers import http_server, read_pid, running, server_command


def fake_llm(*replies: str | dict[str, Any]) -> MicroLLM:
    return MicroLLM(provider={"type": "fake", "replies": list(replies)})


def test_a_streamable_http_server_is_a_toolbox_open_or_opened_by_the_loop() -> None:
    script = {
        "tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}, {"name": "fail", "arguments": {"reason": "x"}}]
    }
    with within(90), http_server() as url:
        with mcp_tools(url) as box:
            assert {"add", "echo", "weather"} <= {t.name for t in box.tools}
            result = fake_llm(script, "done").act("?", tools=[box])
        again = fake_llm({"tool_calls": [{"name": "echo", "arguments": {"text": "hi"}}]}, "ok").act(
            "?", tools=[mcp_tools(url)]
        )
    assert [(c.call.name, c.status) for c in result.calls] == [("add", "ok"), ("fail", "error")]
    assert result.calls[0].content == "5" and "refused: x" in result.calls[1].content
    assert [c.content for c in again.calls] == ["hi"]


def test_a_url_where_nothing_listens_says_to_check_it() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free once closed: nothing listens there
    with within(60), pytest.raises(BackendUnavailable, match="could not be reached") as caught:
        mcp_tools(f"http://127.0.0.1:{port}/mcp").open()
    assert "check the URL, that the server is running" in str(caught.value)


def test_a_url_that_is_not_an_mcp_endpoint_is_refused() -> None:
    with within(90), http_server() as url, pytest.raises(BackendUnavailable, match="did not speak MCP"):
        mcp_tools(url.replace("/mcp", "/elsewhere")).open()


def test_a_command_that_does_not_exist_says_to_install_it() -> None:
    with within(60), pytest.raises(BackendUnavailable, match="'no-such-mcp-server-xyz' was not found: install it"):
        mcp_tools("no-such-mcp-server-xyz --port 1").open()


def test_a_server_that_exits_at_start_shows_the_end_of_its_stderr(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with within(60), pytest.raises(BackendUnavailable, match="exited before it was ready") as caught:
        mcp_tools(server_command("--exit-at-start", "--pid-file", str(pid_file))).open()
    assert "no database configured, giving up" in str(caught.value)
    assert not running(read_pid(pid_file))


def test_a_program_that_never_answers_times_out_and_is_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with within(60), pytest.raises(BackendUnavailable, match=r"did not finish the MCP handshake within 2 s") as caught:
        mcp_tools(server_command("--silent", "--pid-file", str(pid_file)), start_timeout=2).open()
    assert "is it an MCP server" in str(caught.value)
    assert not running(read_pid(pid_file))


async def test_a_program_that_writes_something_else_is_refused_saying_what_it_wrote() -> None:
    noise = [sys.executable, "-c", "import sys\nfor line in sys.stdin: print('hello there', flush=True)"]
    with pytest.raises(BackendUnavailable, match="did not finish the MCP handshake within 3 s") as caught:
        await mcp_tools(noise, start_timeout=3).aopen()
    assert "it wrote 'hello there' on stdout, which is not MCP" in str(caught.value)


def test_a_missing_working_folder_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="is not a folder"):
        mcp_tools(server_command(), cwd=tmp_path / "nowhere").open()


def test_env_and_cwd_reach_the_server_process(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from mcp.server.mcpserver import MCPServer\n"
        "server = MCPServer('env-test', log_level='WARNING')\n"
        "@server.tool()\n"
        "def where() -> str:\n"
        "    return os.getcwd() + '|' + os.environ.get('CHI_TEST_TOKEN', '-')\n"
        "server.run('stdio')\n"
    )
    with within(60), mcp_tools([sys.executable, "-c", code], env={"CHI_TEST_TOKEN": "s3cret"}, cwd=tmp_path) as box:
        result = fake_llm({"tool_calls": [{"name": "where", "arguments": {}}]}, "ok").act("?", tools=[box])
    assert result.calls[0].content == f"{tmp_path}|s3cret"


def test_an_http_server_that_goes_away_gives_an_error_result_at_once() -> None:
    with within(90):
        with http_server() as url:
            box = mcp_tools(url).open()
        try:
            llm = fake_llm({"tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 1}}]}, "It is gone.")
            result = llm.act("?", tools=[box], tool_timeout=30)
        finally:
            box.close()
    (call,) = result.calls
    assert call.status == "error" and "closed the connection during tool 'add'" in call.content
    assert result.text == "It is gone."


def test_headers_reach_an_http_server_that_wants_a_token() -> None:
    with within(90), http_server("--token", "s3cret-token") as url:
        with pytest.raises(BackendUnavailable, match="could not be reached or did not speak MCP"):
            mcp_tools(url).open()
        with mcp_tools(url, headers={"Authorization": "Bearer s3cret-token"}) as box:
            result = fake_llm({"tool_calls": [{"name": "add", "arguments": {"a": 3, "b": 4}}]}, "7").act("?", [box])
    assert [(c.status, c.content) for c in result.calls] == [("ok", "7")]


def test_a_url_that_accepts_but_never_answers_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/mcp"  # connections wait in the backlog, unanswered
        with within(60), pytest.raises(BackendUnavailable, match=r"did not answer within 2 s") as caught:
            mcp_tools(url, start_timeout=2).open()
    assert "is the path right" in str(caught.value)
