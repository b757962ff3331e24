"""MCP servers as tools, through the official MCP SDK (the `mcp` extra, imported only when a
server is started): which server (spec), its connection (a thread of its own), its tool names
made to fit, its results as text, and its failures as our errors."""

from chi_llm.adapters.mcp.connection import START_TIMEOUT, McpConnection, RemoteTool
from chi_llm.adapters.mcp.errors import ToolError
from chi_llm.adapters.mcp.results import MAX_RESULT_CHARS, Reply
from chi_llm.adapters.mcp.sdk import require_sdk
from chi_llm.adapters.mcp.spec import Target, target

__all__ = [
    "MAX_RESULT_CHARS",
    "START_TIMEOUT",
    "McpConnection",
    "RemoteTool",
    "Reply",
    "Target",
    "ToolError",
    "require_sdk",
    "target",
]
