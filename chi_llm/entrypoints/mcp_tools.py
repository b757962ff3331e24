"""`mcp_tools(spec)`: an MCP server as a toolbox for tool calling, through the official MCP SDK
(the `mcp` extra). The spec is a command line (`"python server.py --flag"`, run as a subprocess
speaking MCP on stdio) or an `http(s)://` URL (streamable HTTP).

    with mcp_tools("python server.py") as box:          # or: async with
        llm.act("...", tools=box.tools)                  # box itself works too: tools=[box, other]

    llm.act("...", tools=[mcp_tools("python server.py")])  # opened for this loop, closed after it

Each of the server's tools becomes a FunctionTool: the server's name (made to fit what
providers accept, see adapters/mcp/names.py), description and input schema; calling it calls
the server. A result flagged `isError` raises ToolError, which the tool loop gives the model as
an error result, like any tool's exception.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from chi_llm.adapters.mcp import MAX_RESULT_CHARS, START_TIMEOUT, McpConnection, RemoteTool, ToolError, target
from chi_llm.application.tools.function_tool import FunctionTool
from chi_llm.application.tools.sources import ToolSource
from chi_llm.domain.errors import InvalidRequest


def _function(connection: McpConnection, remote: RemoteTool) -> Callable[..., Any]:
    async def call(**arguments: Any) -> str:
        answer = await connection.call(remote.remote, arguments)
        if answer.is_error:
            raise ToolError(answer.text or f"tool {remote.remote!r} reported an error without a message", backend="mcp")
        return answer.text

    call.__name__ = remote.tool.name
    call.__qualname__ = f"tool {remote.remote!r} of MCP server {connection.target.label!r}"
    call.__module__ = ""  # messages name the tool by its qualname alone
    call.__doc__ = remote.tool.description
    return call


def _tools(connection: McpConnection, remote: Sequence[RemoteTool]) -> list[FunctionTool]:
    return [FunctionTool(tool=found.tool, function=_function(connection, found)) for found in remote]


class McpTools(ToolSource):
    """An MCP server as a toolbox. Open it with `with` / `async with` (its `tools` are then the
    server's, until it is closed), or give it unopened in `tools=[...]` of `act`, `aact`,
    `act_stream` or `aact_stream`: the loop then starts its own connection and closes it when
    the loop ends, by an answer, an error or a cancellation. Use `mcp_tools(...)` to make one."""

    def __init__(
        self,
        spec: str | Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        headers: Mapping[str, str] | None = None,
        prefix: str = "",
        start_timeout: float = START_TIMEOUT,
        max_result_chars: int = MAX_RESULT_CHARS,
    ) -> None:
        self._target = target(spec, env=env, cwd=cwd, headers=headers)
        self._settings: dict[str, Any] = {
            "prefix": prefix,
            "start_timeout": start_timeout,
            "max_result_chars": max_result_chars,
        }
        self._connect()  # checks the settings (and that the SDK is installed) now
        self._connection: McpConnection | None = None
        self._tools: list[FunctionTool] = []
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def _connect(self) -> McpConnection:
        return McpConnection(self._target, **self._settings)

    @property
    def label(self) -> str:
        """The server, as messages name it: its command line or URL."""
        return self._target.label

    @property
    def is_open(self) -> bool:
        """Whether the server is started (or connected) and its tools listed."""
        return self._connection is not None and not self._connection.closed

    @property
    def tools(self) -> list[FunctionTool]:
        """The server's tools (InvalidRequest when this toolbox is not open)."""
        if not self.is_open:
            raise InvalidRequest(
                f"the MCP toolbox {self.label!r} is not open: use `with mcp_tools(...) as box:` (or `async with`), "
                "or give it in tools=[...] of act/aact, which open it for the loop"
            )
        return list(self._tools)

    def __iter__(self) -> Iterator[FunctionTool]:
        """Its tools while open, so that `tools=box` works like `tools=box.tools`."""
        return iter(self.tools)

    # -- opened by its owner ---------------------------------------------------------------------
    def _opened(self, connection: McpConnection, remote: Sequence[RemoteTool]) -> None:
        self._connection = connection
        self._tools = _tools(connection, remote)
        self._finalizer = weakref.finalize(self, connection.close_soon)  # dropped while open: still stopped

    def open(self) -> McpTools:
        """Start the server and list its tools; returns this toolbox (close it with `close()`)."""
        if self.is_open:
            raise InvalidRequest(f"the MCP toolbox {self.label!r} is open already")
        connection = self._connect()
        self._opened(connection, connection.open())
        return self

    async def aopen(self) -> McpTools:
        """`open` in asyncio."""
        if self.is_open:
            raise InvalidRequest(f"the MCP toolbox {self.label!r} is open already")
        connection = self._connect()
        self._opened(connection, await connection.aopen())
        return self

    def _release(self) -> McpConnection | None:
        connection, self._connection, self._tools = self._connection, None, []
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        return connection

    def close(self) -> None:
        """Stop the server (waiting for it to end, bounded); closing again does nothing."""
        connection = self._release()
        if connection is not None:
            connection.close()

    async def aclose(self) -> None:
        """`close` in asyncio."""
        connection = self._release()
        if connection is not None:
            await connection.aclose()

    def __enter__(self) -> McpTools:
        return self.open()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> McpTools:
        return await self.aopen()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- opened for one run of the tool loop -----------------------------------------------------
    @contextmanager
    def opening(self) -> Iterator[list[FunctionTool]]:
        """The server's tools for one run of the tool loop: started here, stopped on leaving."""
        connection = self._connect()
        remote = connection.open()
        try:
            yield _tools(connection, remote)
        finally:
            connection.close()

    @asynccontextmanager
    async def aopening(self) -> AsyncIterator[list[FunctionTool]]:
        """`opening` for asyncio."""
        connection = self._connect()
        remote = await connection.aopen()
        try:
            yield _tools(connection, remote)
        finally:
            await connection.aclose()

    def __repr__(self) -> str:
        state = f"open, {len(self._tools)} tools" if self.is_open else "not open"
        return f"<McpTools {self.label!r} ({state})>"


def mcp_tools(
    spec: str | Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    headers: Mapping[str, str] | None = None,
    prefix: str = "",
    start_timeout: float = START_TIMEOUT,
    max_result_chars: int = MAX_RESULT_CHARS,
) -> McpTools:
    """An MCP server as a toolbox (not started yet: see McpTools).

    Args:
        spec: a command line (`"npx -y @modelcontextprotocol/server-everything"`, split as a
            shell would; or a list of its words) run as a subprocess speaking MCP on stdio, or
            an `http://` / `https://` URL of a streamable HTTP server.
        env: variables for the command, added to the few the MCP SDK passes on (PATH, HOME,
            USER, SHELL, TERM, LOGNAME): give the server's API keys here.
        cwd: the folder the command runs in (default: the current one).
        headers: HTTP headers for a URL (e.g. `{"Authorization": "Bearer ..."}`).
        prefix: put before each tool's name (`"gh_"`), to keep two servers' tools apart.
        start_timeout: seconds the server has to start and list its tools.
        max_result_chars: a tool result longer than this is cut (saying so) before the model sees it.

    Raises:
        InvalidRequest: a spec or option that cannot work.
        BackendUnavailable: the MCP SDK is not installed (`pip install "chi-llm[mcp]"`).
    """
    return McpTools(
        spec,
        env=env,
        cwd=cwd,
        headers=headers,
        prefix=prefix,
        start_timeout=start_timeout,
        max_result_chars=max_result_chars,
    )
