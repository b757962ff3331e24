"""The tool loop as an application service, without the facade or the container: ToolLoop's
logic driven sync and async over a GenerationService on the fake; what results read as."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from typing import Any

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.application.generation import GenerationService
from chi_llm.application.tools import (
    CallResult,
    Finished,
    Hooks,
    LoopEvent,
    ToolLoop,
    arun_loop,
    run_loop,
    toolbox,
)
from chi_llm.application.tools.result_text import result_text
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass(frozen=True)
class Paint:
    colour: Colour
    coats: tuple[int, ...]


def weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def loop_over(*replies: str | dict[str, Any], max_rounds: int = 4) -> tuple[GenerationService, ToolLoop]:
    service = GenerationService(FakeTextGenerator(list(replies)))
    request = service.chat_request([Message(role="user", content="weather in Oslo?")])
    return service, ToolLoop(request, toolbox([weather], JsonSchemaValidator()), max_rounds=max_rounds)


CALL = {"tool_calls": [{"name": "weather", "arguments": {"city": "Oslo"}}]}


def test_the_loop_runs_on_a_service_without_the_container() -> None:
    service, loop = loop_over(CALL, "Sunny.")
    events = list(run_loop(service, loop, Hooks()))
    final = events[-1]
    assert isinstance(final, Finished) and final.result.text == "Sunny."
    assert [r.content for r in final.result.calls] == ["sunny in Oslo"]


def test_async_hooks_are_awaited_in_the_async_driver() -> None:
    seen: list[str] = []

    async def after(call: ToolCall, result: CallResult) -> None:
        await asyncio.sleep(0)
        seen.append(result.content)

    async def collect() -> list[LoopEvent]:
        service, loop = loop_over(CALL, "Sunny.")
        return [event async for event in arun_loop(service, loop, Hooks(after_call=after))]

    events = asyncio.run(collect())
    assert seen == ["sunny in Oslo"] and isinstance(events[-1], Finished)


def test_before_call_answering_something_else_is_a_clear_error() -> None:
    service, loop = loop_over(CALL, "Sunny.")
    with pytest.raises(InvalidRequest, match="True, None, False or a reason"):
        list(run_loop(service, loop, Hooks(before_call=lambda call: 3)))


def test_a_stream_whose_call_never_names_its_tool_is_an_error() -> None:
    from chi_llm.application.tools.lenient_calls import lenient_collect
    from chi_llm.domain.generation import Chunk, Timings, Usage
    from chi_llm.domain.tools import ToolCallDelta

    chunks = [
        Chunk(tool_calls=(ToolCallDelta(index=0, arguments="{"),)),
        Chunk(
            finish_reason="tool_calls",
            usage=Usage(prompt_tokens=1, completion_tokens=1),
            timings=Timings(time_to_first_token=None, total=0.0),
        ),
    ]
    with pytest.raises(InvalidRequest, match="never named its tool"):
        lenient_collect(chunks, None, {})


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("as is", "as is"),
        (3, "3"),
        (None, "null"),
        ({"a": [1, "é"]}, '{"a": [1, "é"]}'),
        (Paint(colour=Colour.RED, coats=(1, 2)), '{"colour": "red", "coats": [1, 2]}'),
        (object, "\"<class 'object'>\""),
    ],
)
def test_results_read_as_text_or_json(value: Any, text: str) -> None:
    assert result_text(value) == text


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), 0.0, -1.0, 10.0**12])
def test_a_call_timeout_that_no_wait_can_take_is_refused_up_front(timeout: float) -> None:
    from chi_llm.application.tools import Hooks
    from chi_llm.domain.errors import InvalidRequest

    with pytest.raises(InvalidRequest, match="tool timeout"):
        Hooks(timeout=timeout)


def test_a_call_timeout_of_a_day_or_none_is_taken() -> None:
    from chi_llm.application.tools import Hooks

    assert Hooks(timeout=86400.0).timeout == 86400.0 and Hooks(timeout=None).timeout is None
