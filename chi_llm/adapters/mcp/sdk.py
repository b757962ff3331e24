"""The official MCP SDK is an optional extra: a clear error when it is missing (found without
importing it: the SDK loads when a server is started)."""

from __future__ import annotations

import importlib.util

from chi_llm.domain.errors import BackendUnavailable

INSTALL = 'pip install "chi-llm[mcp]"'


def require_sdk() -> None:
    """Raise BackendUnavailable saying how to install the SDK when `mcp` is not installed."""
    try:
        found = importlib.util.find_spec("mcp")
    except (ImportError, ValueError):
        found = None
    if found is None:
        raise BackendUnavailable(
            f"MCP servers need the official MCP SDK, which is not installed: {INSTALL}", backend="mcp"
        )
