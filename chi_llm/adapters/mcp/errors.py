"""What the SDK raises, said once in our terms: what happened to which server, and what to do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from chi_llm.adapters.mcp.sdk_log import not_mcp_line
from chi_llm.domain.errors import BackendUnavailable, ChiLlmError

if TYPE_CHECKING:
    from chi_llm.adapters.mcp.connection import McpConnection

CONNECTION_CLOSED = -32000  # the SDK's code for a connection that ended under a request


class ToolError(ChiLlmError):
    """An MCP server answered a tool call with an error (a result flagged `isError`, or a
    protocol error): the tool loop gives the model its text as an error result."""

    kind = "tool_error"


def leaves(error: BaseException) -> Iterator[BaseException]:
    """The exceptions inside exception groups (anyio task groups wrap what fails in them)."""
    inner = getattr(error, "exceptions", None)
    if isinstance(inner, tuple) and inner:
        for item in inner:
            yield from leaves(item)
    else:
        yield error


def _cause(error: BaseException) -> BaseException:
    """The most telling of the leaves: a real failure before a cancellation or a closed stream."""
    found = list(leaves(error))
    for leaf in found:
        if isinstance(leaf, ChiLlmError | OSError) or type(leaf).__module__.startswith("httpx"):
            return leaf
    return next((leaf for leaf in found if type(leaf).__name__ != "CancelledError"), found[0])


def _said(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _stderr(connection: McpConnection) -> str:
    """What the server said: a line it wrote on stdout that was not MCP, the end of its stderr."""
    said = ""
    line = not_mcp_line(connection.thread)
    if line is not None:
        said = f"; it wrote {line!r} on stdout, which is not MCP (a stdio server logs to stderr)"
    tail = connection.stderr(wait=2.0)
    if tail:
        lines = [line.strip() for line in tail.splitlines()[-5:] if line.strip()]
        said += "; its stderr ended with: " + " | ".join(lines)
    return said


def start_error(connection: McpConnection, error: BaseException) -> ChiLlmError:
    """Why a server could not be started and listed."""
    label = connection.target.label
    cause = _cause(error)
    if isinstance(cause, ChiLlmError):
        return cause
    if connection.target.url is not None:
        if connection.expired:
            return BackendUnavailable(
                f"the MCP server at {label} did not answer within {connection.start_timeout:g} s: "
                "is it an MCP server (streamable HTTP) and is the path right (often /mcp)?",
                backend="mcp",
            )
        return BackendUnavailable(
            f"the MCP server at {label} could not be reached or did not speak MCP ({type(cause).__name__}: "
            f"{_said(cause)}): check the URL, that the server is running, and the credentials it needs "
            "(headers={'Authorization': ...})",
            backend="mcp",
        )
    program = connection.target.command[0]
    if isinstance(cause, FileNotFoundError):
        return BackendUnavailable(
            f"the MCP server command {program!r} was not found: install it, or give its full path "
            f"(the server was {label!r})",
            backend="mcp",
        )
    if isinstance(cause, PermissionError):
        return BackendUnavailable(
            f"the MCP server command {program!r} cannot be run (permission denied): check the path", backend="mcp"
        )
    if connection.expired:
        return BackendUnavailable(
            f"the MCP server {label!r} did not finish the MCP handshake within "
            f"{connection.start_timeout:g} s: is it an MCP server speaking stdio? "
            f"(a slow first start needs a longer start_timeout){_stderr(connection)}",
            backend="mcp",
        )
    code = _code(cause)
    if code == CONNECTION_CLOSED:
        return BackendUnavailable(
            f"the MCP server {label!r} exited before it was ready{_stderr(connection)}: "
            "run the command by hand to see why",
            backend="mcp",
        )
    if code is not None:
        return BackendUnavailable(
            f"the MCP server {label!r} did not answer as an MCP server (error {code}: {_said(cause)}): "
            f"check that the command starts an MCP server on stdio{_stderr(connection)}",
            backend="mcp",
        )
    return BackendUnavailable(
        f"the MCP server {label!r} could not be started: {type(cause).__name__}: {_said(cause)}{_stderr(connection)}",
        backend="mcp",
    )


def _code(error: BaseException) -> int | None:
    inner: Any = getattr(error, "error", None)
    code = getattr(inner, "code", None)
    return code if isinstance(code, int) else None


def lost_error(connection: McpConnection, when: str) -> BackendUnavailable:
    """The server went away (its process exited, or it closed the connection)."""
    return BackendUnavailable(
        f"the MCP server {connection.target.label!r} closed the connection {when} (it exited or stopped)"
        f"{_stderr(connection)}; its tools cannot run until it is started again",
        backend="mcp",
    )


def call_error(connection: McpConnection, name: str, error: BaseException) -> ChiLlmError:
    """Why a call to tool `name` failed."""
    cause = _cause(error)
    if isinstance(cause, ChiLlmError):
        return cause
    code = _code(cause)
    if code == CONNECTION_CLOSED:
        connection.lost = True
        return lost_error(connection, f"during tool {name!r}")
    if code is not None:
        return ToolError(f"the MCP server answered the call with error {code}: {_said(cause)}", backend="mcp")
    return ToolError(f"calling tool {name!r} failed: {type(cause).__name__}: {_said(cause)}", backend="mcp")
