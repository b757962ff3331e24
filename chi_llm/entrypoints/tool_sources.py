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


def _listed(tools: Any) -> list[Any] | None:
    """The tools as a list (a source given alone: a list of one); None for what is no list of
    tools (the loop refuses it, saying what tools= takes)."""
    if isinstance(tools, ToolSource) and not tools.is_open:
        return [tools]
    if isinstance(tools, str | bytes) or not isinstance(tools, Iterable):
        return None
    return list(tools)  # once: an iterator given as tools is read here only


def _opens(item: Any) -> bool:
    return isinstance(item, ToolSource) and not item.is_open


def with_sources(tools: Any, start: Callable[[Any], Iterator[Event]]) -> Iterator[Event]:
    """`start(tools)`'s events, with the sources among `tools` opened around them."""
    given = _listed(tools)
    if given is None or not any(_opens(item) for item in given):
        return start(tools if given is None else given)
    return _opened(given, start)


def _opened(given: list[Any], start: Callable[[Any], Iterator[Event]]) -> Iterator[Event]:
    with ExitStack() as stack:
        tools: list[Any] = []
        for item in given:
            tools.extend(stack.enter_context(item.opening()) if _opens(item) else [item])
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
    given = _listed(tools)
    if given is None or not any(_opens(item) for item in given):
        return start(tools if given is None else given)
    return _aopened(given, start)


async def _aopened(given: list[Any], start: Callable[[Any], AsyncIterator[Event]]) -> AsyncIterator[Event]:
    async with AsyncExitStack() as stack:
        tools: list[Any] = []
        for item in given:
            tools.extend(await stack.enter_async_context(item.aopening()) if _opens(item) else [item])
        events = start(tools)
        try:
            async for event in events:
                if isinstance(event, Finished):
                    await stack.aclose()
                yield event
        finally:
            await aclose_stream(events)
