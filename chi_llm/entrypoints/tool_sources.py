"""The tool loop with tool sources (MCP toolboxes) among its tools: a source that is not open
is opened for the loop's run, its tools put in its place, and closed when the loop ends: when
its last event (Finished) passes, or on an error, a cancellation or a consumer that stops early.
Without such a source the loop starts at once, so bad arguments are refused at the call; with
one, at the first event (after the sources have started)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import AsyncExitStack, ExitStack
from typing import Any, TypeVar

from chi_llm.application.tools.events import Finished
from chi_llm.application.tools.sources import ToolSource
from chi_llm.domain.generation import aclose_stream, close_stream

Event = TypeVar("Event")


def _to_open(tools: Any) -> list[Any] | None:
    """The tools as a list when some source among them needs opening, else None (a source
    given alone counts as a list of one)."""
    if isinstance(tools, ToolSource):
        return None if tools.is_open else [tools]
    if isinstance(tools, str | bytes) or not isinstance(tools, Iterable):
        return None  # the loop refuses it, saying what tools= takes
    given = list(tools)
    return given if any(isinstance(item, ToolSource) and not item.is_open for item in given) else None


def with_sources(tools: Any, start: Callable[[Any], Iterator[Event]]) -> Iterator[Event]:
    """`start(tools)`'s events, with the sources among `tools` opened around them."""
    given = _to_open(tools)
    if given is None:
        return start(tools)
    return _opened(given, start)


def _opened(given: list[Any], start: Callable[[Any], Iterator[Event]]) -> Iterator[Event]:
    with ExitStack() as stack:
        tools: list[Any] = []
        for item in given:
            opens = isinstance(item, ToolSource) and not item.is_open
            tools.extend(stack.enter_context(item.opening()) if opens else [item])
        events = start(tools)
        try:
            for event in events:
                if isinstance(event, Finished):
                    stack.close()  # the loop is over: the servers stop before its answer is handed on
                yield event
        finally:
            close_stream(events)


def awith_sources(tools: Any, start: Callable[[Any], AsyncIterator[Event]]) -> AsyncIterator[Event]:
    """`with_sources` in asyncio."""
    given = _to_open(tools)
    if given is None:
        return start(tools)
    return _aopened(given, start)


async def _aopened(given: list[Any], start: Callable[[Any], AsyncIterator[Event]]) -> AsyncIterator[Event]:
    async with AsyncExitStack() as stack:
        tools: list[Any] = []
        for item in given:
            opens = isinstance(item, ToolSource) and not item.is_open
            tools.extend(await stack.enter_async_context(item.aopening()) if opens else [item])
        events = start(tools)
        try:
            async for event in events:
                if isinstance(event, Finished):
                    await stack.aclose()
                yield event
        finally:
            await aclose_stream(events)
