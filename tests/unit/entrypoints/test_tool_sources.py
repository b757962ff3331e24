"""Tool sources (what an MCP toolbox is to the tool loop), with an in-process source that
records its openings: an open source gives its tools; one that is not open is opened for one
loop and closed when the loop ends, by an answer, an error, a consumer that stops, or a
cancellation; `chat` refuses one that is not open."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest

from chi_llm import MicroLLM
from chi_llm.application.tools import Finished, FunctionTool, tool
from chi_llm.application.tools.sources import ToolSource
from chi_llm.domain.errors import InvalidRequest, ToolLoopLimit
from chi_llm.domain.generation import close_stream


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


async def slow(seconds: float) -> str:
    """Wait."""
    await asyncio.sleep(seconds)
    return "done"


class Recorded(ToolSource):
    """A source whose openings are written down: ("open", n) and ("close", n)."""

    def __init__(self, *functions: Any) -> None:
        self.functions = functions
        self.log: list[tuple[str, int]] = []
        self.owned = False

    @property
    def is_open(self) -> bool:
        return self.owned

    @property
    def tools(self) -> list[FunctionTool]:
        if not self.owned:
            raise InvalidRequest("not open: open it first")
        return [tool(f) for f in self.functions]

    def _opened(self) -> tuple[int, list[FunctionTool]]:
        number = sum(1 for kind, _ in self.log if kind == "open") + 1
        self.log.append(("open", number))
        return number, [tool(f) for f in self.functions]

    @contextmanager
    def opening(self) -> Iterator[Sequence[FunctionTool]]:
        number, tools = self._opened()
        try:
            yield tools
        finally:
            self.log.append(("close", number))

    @asynccontextmanager
    async def aopening(self) -> AsyncIterator[Sequence[FunctionTool]]:
        number, tools = self._opened()
        try:
            yield tools
        finally:
            self.log.append(("close", number))


def calls(name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def fake_llm(*replies: str | dict[str, Any]) -> MicroLLM:
    return MicroLLM(provider={"type": "fake", "replies": list(replies)})


def test_act_opens_a_source_for_the_loop_and_closes_it_when_the_loop_ends() -> None:
    source = Recorded(add)
    result = fake_llm(calls("add", a=2, b=3), "5").act("2+3?", tools=[source])
    assert [(c.call.name, c.content) for c in result.calls] == [("add", "5")]
    assert source.log == [("open", 1), ("close", 1)]


def test_the_source_is_closed_before_the_answer_is_handed_on() -> None:
    source = Recorded(add)
    for event in fake_llm(calls("add", a=1, b=1), "2").act_stream("1+1?", tools=[source]):
        if isinstance(event, Finished):
            assert source.log == [("open", 1), ("close", 1)]
        else:
            assert source.log == [("open", 1)]


def test_a_loop_that_fails_still_closes_the_source() -> None:
    source = Recorded(add)
    with pytest.raises(ToolLoopLimit):
        fake_llm(calls("add", a=1, b=1), calls("add", a=1, b=1)).act("?", tools=[source], max_rounds=1)
    assert source.log == [("open", 1), ("close", 1)]


def test_a_consumer_that_stops_early_closes_the_source() -> None:
    source = Recorded(add)
    events = fake_llm(calls("add", a=1, b=1), "2").act_stream("?", tools=[source])
    next(events)
    assert source.log == [("open", 1)]
    close_stream(events)
    assert source.log == [("open", 1), ("close", 1)]


def test_a_stream_never_started_opens_nothing() -> None:
    source = Recorded(add)
    fake_llm("hi").act_stream("?", tools=[source])
    assert source.log == []


def test_each_loop_has_its_own_opening_and_an_open_source_is_left_to_its_owner() -> None:
    source = Recorded(add)
    llm = fake_llm(calls("add", a=1, b=1), "2", calls("add", a=2, b=2), "4")
    llm.act("?", tools=[source])
    llm.act("?", tools=[source])
    assert source.log == [("open", 1), ("close", 1), ("open", 2), ("close", 2)]
    source.owned = True
    result = fake_llm(calls("add", a=1, b=2), "3").act("?", tools=[source])
    assert result.calls[0].content == "3" and len(source.log) == 4  # used as it is, not opened again


def test_a_sources_tools_join_the_others_and_names_stay_unique() -> None:
    def echo(text: str) -> str:
        """Say it back."""
        return text

    source = Recorded(add)
    result = fake_llm(calls("echo", text="hi"), "ok").act("?", tools=[echo, source])
    assert result.calls[0].content == "hi"
    with pytest.raises(InvalidRequest, match="unique"):
        fake_llm("x").act("?", tools=[add, source])
    assert source.log == [("open", 1), ("close", 1), ("open", 2), ("close", 2)]


def test_chat_takes_an_open_source_and_refuses_one_that_is_not() -> None:
    source = Recorded(add)
    with pytest.raises(InvalidRequest, match="not open"):
        fake_llm("x").chat("?", tools=[source])
    source.owned = True
    completion = fake_llm(calls("add", a=1, b=1)).chat("?", tools=[source])
    assert [c.name for c in completion.tool_calls] == ["add"]


async def test_aact_opens_and_closes_the_source() -> None:
    source = Recorded(add)
    result = await fake_llm(calls("add", a=2, b=2), "4").aact("?", tools=[source])
    assert result.calls[0].content == "4" and source.log == [("open", 1), ("close", 1)]


async def test_a_cancelled_aact_closes_the_source() -> None:
    source = Recorded(slow)
    task = asyncio.create_task(fake_llm(calls("slow", seconds=30), "x").aact("?", tools=[source], tool_timeout=None))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if source.log:
            break
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert source.log == [("open", 1), ("close", 1)]


def test_a_session_act_opens_and_closes_the_source() -> None:
    source = Recorded(add)
    session = fake_llm(calls("add", a=2, b=3), "5").session()
    result = session.act("2+3?", tools=[source])
    assert result.text == "5" and source.log == [("open", 1), ("close", 1)]
    assert [m["role"] for m in session.history][-2:] == ["tool", "assistant"]


def test_a_source_given_alone_is_opened_like_a_list_of_one() -> None:
    source = Recorded(add)
    result = fake_llm(calls("add", a=1, b=2), "3").act("?", tools=source)  # type: ignore[arg-type]
    assert result.calls[0].content == "3" and source.log == [("open", 1), ("close", 1)]


def test_tools_given_as_an_iterator_are_read_once_and_all_offered() -> None:
    llm = fake_llm(calls("add", a=1, b=2), "3")
    result = llm.act("?", tools=iter([add]))
    assert result.calls[0].content == "3" and result.calls[0].status == "ok"
