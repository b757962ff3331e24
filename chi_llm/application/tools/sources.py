"""Tool sources: tools served by something that is opened and closed, such as an MCP server.
In `tools=[...]` an open source gives its tools (its owner closes it); the tool loop opens a
source that is not open for the loop's run and closes it when the loop ends, however it ends."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager

from chi_llm.application.tools.function_tool import FunctionTool


class ToolSource(ABC):
    """Tools that need opening first."""

    @property
    @abstractmethod
    def is_open(self) -> bool:
        """Whether its owner opened it (`with` / `async with`) and has not closed it since."""

    @property
    @abstractmethod
    def tools(self) -> list[FunctionTool]:
        """Its tools while open (InvalidRequest when it is not, saying to open it)."""

    @abstractmethod
    def opening(self) -> AbstractContextManager[Sequence[FunctionTool]]:
        """A private opening for one run (a connection of its own), closed on leaving."""

    @abstractmethod
    def aopening(self) -> AbstractAsyncContextManager[Sequence[FunctionTool]]:
        """`opening` in asyncio."""
