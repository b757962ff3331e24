"""The tools a bridge offers its chats: from sources named when it starts (`chi-llm bridge
--tool FILE.py:function`, `--mcp CMD|URL`, each a ToolSource), loaded once on first use (an MCP
server started then, and stopped when the bridge closes its tools). A source that cannot be
loaded is reported by `tools/list` (its error says what to fix) and leaves the others usable."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from chi_llm.domain.errors import ChiLlmError, InvalidRequest
from chi_llm.entrypoints.bridge.approvals import APPROVAL_TIMEOUT, Approvals

log = logging.getLogger("chi_llm")

if TYPE_CHECKING:
    from chi_llm.application.tools.function_tool import FunctionTool


@dataclass(frozen=True, slots=True)
class ToolSource:
    """Where tools come from: `label` as the user named it, `load` making its tools."""

    label: str
    load: Callable[[], Sequence[FunctionTool]]
    close: Callable[[], None] | None = None


def file_sources(specs: Sequence[str]) -> list[ToolSource]:
    """A source per `FILE.py[:function,...]` spec (chi_llm.entrypoints.tool_files)."""
    if not specs:
        return []
    from chi_llm.entrypoints.tool_files import load_tools

    return [ToolSource(spec, partial(load_tools, spec)) for spec in specs]


def mcp_sources(specs: Sequence[str]) -> list[ToolSource]:
    """A source per MCP server (a command line or an http(s) URL; chi_llm.entrypoints.mcp_tools):
    started when the tools are first loaded, stopped by `close`."""
    return [_mcp_source(spec) for spec in specs]


def _mcp_source(spec: str) -> ToolSource:
    opened: list[Any] = []

    def load() -> Sequence[FunctionTool]:
        from chi_llm.entrypoints.mcp_tools import mcp_tools

        box = mcp_tools(spec).open()
        opened.append(box)
        return list(box.tools)

    def close() -> None:
        while opened:
            opened.pop().close()

    return ToolSource(spec, load, close)


class BridgeTools:
    def __init__(self, sources: Sequence[ToolSource] = (), approval_timeout: float = APPROVAL_TIMEOUT) -> None:
        self.sources = list(sources)
        self.approvals = Approvals(approval_timeout)
        self._lock = threading.Lock()
        self._loaded: tuple[list[tuple[str, FunctionTool]], list[dict[str, str]]] | None = None

    def _load(self) -> tuple[list[tuple[str, FunctionTool]], list[dict[str, str]]]:
        with self._lock:
            if self._loaded is None:
                tools: list[tuple[str, FunctionTool]] = []
                errors: list[dict[str, str]] = []
                for source in self.sources:
                    try:
                        tools.extend((source.label, found) for found in source.load())
                    except ChiLlmError as error:
                        errors.append({"source": source.label, "message": error.message})
                self._loaded = tools, errors
            return self._loaded

    def close(self) -> None:
        """Stop what the sources started (MCP servers); a source that fails to stop is logged."""
        for source in self.sources:
            if source.close is not None:
                try:
                    source.close()
                except Exception:
                    log.warning("could not stop tool source %s", source.label, exc_info=True)

    def listing(self) -> dict[str, Any]:
        """`tools/list`: each tool (name, description, source) and each source's load error."""
        tools, errors = self._load()
        shown = [{"name": t.name, "description": t.tool.description, "source": label} for label, t in tools]
        return {"tools": shown, "errors": errors}

    def chosen(self, names: Sequence[str]) -> list[FunctionTool]:
        """The loaded tools with these names, in this order (InvalidRequest for one not loaded)."""
        by_name = {t.name: t for _, t in self._load()[0]}
        missing = [name for name in names if name not in by_name]
        if missing:
            have = ", ".join(by_name) or "none (start the bridge with --tool FILE.py:function)"
            raise InvalidRequest(f"no tool {missing[0]!r} in this bridge; its tools: {have}", backend="bridge")
        return [by_name[name] for name in names]
