"""One connection to an MCP server through the official SDK (`mcp`, the `mcp` extra), run by a
thread of its own with its own event loop. The SDK's transports are anyio task groups that must
be entered and left by one task; owning them in one thread lets a sync program, any event loop
and any thread (the tool loop runs sync tools' calls in worker threads) use the same connection,
and lets closing it always run to the end (the SDK then stops the server process: stdin closed,
then SIGTERM, then SIGKILL, each wait bounded)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chi_llm.adapters.mcp.errors import call_error, lost_error, start_error
from chi_llm.adapters.mcp.names import local_names
from chi_llm.adapters.mcp.results import MAX_RESULT_CHARS, Reply, reply
from chi_llm.adapters.mcp.sdk import require_sdk
from chi_llm.adapters.mcp.sdk_log import forget, watch_sdk_log
from chi_llm.adapters.mcp.spec import Target
from chi_llm.adapters.mcp.stderr_tail import StderrTail
from chi_llm.domain.errors import BackendUnavailable, ChiLlmError, InvalidRequest
from chi_llm.domain.tools import Tool

START_TIMEOUT = 30.0  # seconds for a server to start and list its tools (a first `npx`/`uvx` run downloads)
STOP_WAIT = 15.0  # seconds to wait for the thread: the SDK's own shutdown waits at most about 6.5 s
MAX_PAGES = 100  # tools/list pages read: a paginator that never ends cannot hang the start


@dataclass(frozen=True, slots=True)
class RemoteTool:
    """A server's tool: `tool` as the model sees it, `remote` the name the server calls it by."""

    tool: Tool
    remote: str


def _settle(future: concurrent.futures.Future[Any], *, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _running_future() -> concurrent.futures.Future[Any]:
    """A future a waiter's cancellation cannot cancel (the thread settles it either way)."""
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    future.set_running_or_notify_cancel()
    return future


class McpConnection:
    """A server's connection: `open()` (or `await aopen()`) starts it and lists its tools,
    `await call(...)` calls one (from any event loop or thread), `close()` ends it."""

    def __init__(
        self,
        target: Target,
        *,
        prefix: str = "",
        start_timeout: float = START_TIMEOUT,
        max_result_chars: int = MAX_RESULT_CHARS,
    ) -> None:
        require_sdk()
        if isinstance(start_timeout, bool) or not isinstance(start_timeout, int | float) or start_timeout <= 0:
            raise InvalidRequest(f"start_timeout must be a number of seconds above 0, got {start_timeout!r}")
        if isinstance(max_result_chars, bool) or not isinstance(max_result_chars, int) or max_result_chars < 1:
            raise InvalidRequest(f"max_result_chars must be a whole number above 0, got {max_result_chars!r}")
        local_names([], prefix)  # checks the prefix now
        self.target = target
        self._prefix = prefix
        self.start_timeout = float(start_timeout)
        self._limit = max_result_chars
        self._tail: StderrTail | None = None
        self._ready: concurrent.futures.Future[list[RemoteTool]] = _running_future()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_set = threading.Event()
        self._main: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._client: Any = None
        self._calls: set[asyncio.Task[Any]] = set()
        self.expired = False  # the start took longer than start_timeout
        self.lost = False  # the server closed the connection (its process exited)
        self._closing = False

    # -- the connection's thread -----------------------------------------------------------------
    def _begin(self) -> None:
        if self._thread is not None:
            raise InvalidRequest(f"MCP server {self.target.label!r}: this connection was opened already")
        if self.target.cwd is not None and not Path(self.target.cwd).is_dir():
            raise InvalidRequest(f"MCP server cwd {self.target.cwd!r} is not a folder: give an existing folder")
        watch_sdk_log()
        self._thread = threading.Thread(target=self._run, daemon=True, name="chi_llm-mcp")
        self._thread.start()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # whatever ends the thread is the opener's error
            _settle(self._ready, error=error if isinstance(error, ChiLlmError) else start_error(self, error))
        finally:
            _settle(self._ready, error=BackendUnavailable(f"MCP server {self.target.label!r} stopped", backend="mcp"))
            if self._tail is not None:
                self._tail.release()
            forget(threading.get_ident())
            self._done.set()

    def _expire(self) -> None:
        if not self._ready.done() and self._main is not None:
            self.expired = True
            self._main.cancel()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        self._stop = asyncio.Event()
        self._loop_set.set()
        watchdog = self._loop.call_later(self.start_timeout, self._expire)
        try:
            async with self._session() as client:
                tools = await self._list(client)
                watchdog.cancel()
                self._client = client
                _settle(self._ready, result=tools)
                await self._stop.wait()
                await self._cancel_calls()
        except (Exception, asyncio.CancelledError) as error:
            if not self._ready.done():
                _settle(self._ready, error=start_error(self, error))
            elif not self._closing:
                self.lost = True  # the transport ended on its own: the server went away
        finally:
            watchdog.cancel()

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[Any]:
        from mcp import Client

        async with Client(self._transport_streams(), cache=None) as client:
            yield client

    @asynccontextmanager
    async def _transport_streams(self) -> AsyncIterator[Any]:
        target = self.target
        if target.url is not None:
            from mcp.client.streamable_http import streamable_http_client

            if not target.headers:
                async with streamable_http_client(target.url) as streams:
                    yield streams
                return
            # The SDK's own client (its timeouts: 30 s, reads 300 s) with the headers; the SDK
            # builds its default one with this same function.
            from mcp.shared._httpx_utils import create_mcp_http_client

            async with (
                create_mcp_http_client(headers=dict(target.headers)) as http,
                streamable_http_client(target.url, http_client=http) as streams,
            ):
                yield streams
            return
        from mcp import StdioServerParameters, stdio_client

        self._tail = StderrTail()
        params = StdioServerParameters(
            command=target.command[0], args=list(target.command[1:]), env=dict(target.env) or None, cwd=target.cwd
        )
        try:
            async with stdio_client(params, errlog=self._tail.writer) as streams:
                self._tail.release()  # the child has its own copy now
                yield streams
        finally:
            self._tail.release()

    async def _list(self, client: Any) -> list[RemoteTool]:
        found: list[Any] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = await client.list_tools(cursor=cursor)
            found.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        else:
            raise BackendUnavailable(
                f"MCP server {self.target.label!r} listed tools over more than {MAX_PAGES} pages; "
                "its tools/list paging never ends: fix or update the server",
                backend="mcp",
            )
        names = local_names([t.name for t in found], self._prefix)
        tools: list[RemoteTool] = []
        for item in found:
            if item.name in {t.remote for t in tools}:
                continue  # listed twice: the first wins
            try:
                tool = Tool(name=names[item.name], description=item.description or "", parameters=item.input_schema)
            except InvalidRequest as error:
                raise InvalidRequest(f"MCP server {self.target.label!r}, tool {item.name!r}: {error}") from None
            tools.append(RemoteTool(tool=tool, remote=item.name))
        return tools

    async def _cancel_calls(self) -> None:
        for task in list(self._calls):
            task.cancel()
        if self._calls:
            await asyncio.gather(*self._calls, return_exceptions=True)

    def _shutdown(self) -> None:
        """On the connection's loop: stop serving (or stop starting)."""
        self._closing = True
        if self._stop is not None:
            self._stop.set()
        if not self._ready.done() and self._main is not None:
            self._main.cancel()

    # -- the opener's side -----------------------------------------------------------------------
    def open(self) -> list[RemoteTool]:
        """Start the server and list its tools (BackendUnavailable or InvalidRequest saying what
        went wrong; the server is stopped then)."""
        self._begin()
        try:
            return self._ready.result()
        except BaseException:
            self.close()
            raise

    async def aopen(self) -> list[RemoteTool]:
        """`open` in asyncio (a cancelled opener stops the server too)."""
        self._begin()
        try:
            return await asyncio.wrap_future(self._ready)
        except BaseException:
            await self.aclose()
            raise

    def stderr(self, wait: float = 0.0) -> str:
        """The end of the server's stderr (a command's; empty for a URL)."""
        return self._tail.text(wait) if self._tail is not None else ""

    def close(self) -> None:
        """Stop the server (waiting for it, bounded); again is a no-op."""
        self.close_soon()
        self._done.wait(STOP_WAIT)

    async def aclose(self) -> None:
        """`close` in asyncio: the stop is set at once; waiting for it survives a cancellation."""
        self.close_soon()
        if not self._done.is_set():
            await asyncio.shield(asyncio.to_thread(self._done.wait, STOP_WAIT))

    def close_soon(self) -> None:
        """Ask the connection to stop, without waiting."""
        if self._thread is None or self._done.is_set():
            return
        self._loop_set.wait(STOP_WAIT)
        loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self._shutdown)
            except RuntimeError:  # the loop has just closed: the thread is ending on its own
                return

    @property
    def thread(self) -> int | None:
        """The connection thread's id (None before it starts)."""
        return self._thread.ident if self._thread is not None else None

    @property
    def closed(self) -> bool:
        return self._done.is_set()

    # -- calls -----------------------------------------------------------------------------------
    async def call(self, name: str, arguments: Mapping[str, Any]) -> Reply:
        """Call tool `name` (the server's name) in any event loop; BackendUnavailable when the
        server is gone, ToolError when it answers the call with a protocol error."""
        loop = self._loop
        if self.lost:
            raise lost_error(self, f"before tool {name!r} was called")
        if loop is None or self._closing or self._done.is_set() or self._client is None:
            raise BackendUnavailable(f"MCP server {self.target.label!r} is not connected (closed)", backend="mcp")
        try:
            future = asyncio.run_coroutine_threadsafe(self._call(name, dict(arguments)), loop)
        except RuntimeError:  # its loop has just closed
            raise BackendUnavailable(
                f"MCP server {self.target.label!r} is not connected (closed)", backend="mcp"
            ) from None
        return await asyncio.wrap_future(future)

    async def _call(self, name: str, arguments: dict[str, Any]) -> Reply:
        task = asyncio.current_task()
        if task is not None:  # always: run_coroutine_threadsafe runs a coroutine as a task
            self._calls.add(task)
        try:
            result = await self._client.call_tool(name, arguments)
        except asyncio.CancelledError:
            if self._closing:
                raise BackendUnavailable(
                    f"MCP server {self.target.label!r} was closed while tool {name!r} ran", backend="mcp"
                ) from None
            raise
        except Exception as error:
            raise call_error(self, name, error) from None
        finally:
            if task is not None:
                self._calls.discard(task)
        return reply(result, self._limit)
