"""MicroLLM's tool calling on the fake backend: one call returning the model's calls, and the
tool loop (act, aact, act_stream) running them through the application's hooks."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from chi_llm import InvalidRequest, MicroLLM
from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.application.tools import CallResult, CallStarted, Finished, RoundDone, TextDelta
from chi_llm.domain.errors import InvalidToolCall, ToolLoopLimit
from chi_llm.domain.generation import Completion, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import Tool, ToolCall
from chi_llm.entrypoints.cli.output import exit_code


def fake_llm(*replies: str | dict[str, Any]) -> MicroLLM:
    return MicroLLM(provider={"type": "fake", "replies": list(replies)})


def sent(llm: MicroLLM) -> list[GenerationRequest]:
    backend = llm.backend
    assert isinstance(backend, FakeTextGenerator)
    return backend.requests


def calls(*pairs: tuple[str, dict[str, Any]], content: str = "") -> dict[str, Any]:
    return {"content": content, "tool_calls": [{"name": name, "arguments": args} for name, args in pairs]}


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def shape(messages: tuple[Message, ...] | list[Message]) -> list[tuple[Any, ...]]:
    return [
        (m.role, m.content, [(c.name, dict(c.arguments)) for c in m.tool_calls], m.name, m.is_error) for m in messages
    ]


def test_chat_with_tools_returns_the_completion_with_the_models_calls() -> None:
    llm = fake_llm(calls(("add", {"a": 2, "b": 3})), "plain")
    completion = llm.chat("2+3?", tools=[add], tool_choice="required")
    assert isinstance(completion, Completion) and completion.finish_reason == "tool_calls"
    assert [(c.name, dict(c.arguments)) for c in completion.tool_calls] == [("add", {"a": 2, "b": 3})]
    tools = sent(llm)[0].options.tools
    assert tools is not None and [t.name for t in tools.tools] == ["add"] and tools.choice == "required"
    assert llm.last_completion is completion
    assert llm.chat("again") == "plain"  # without tools: the text, as before
    assert sent(llm)[1].options.tools is None


def test_chat_takes_tool_messages_in_history_to_send_results_back() -> None:
    llm = fake_llm("It is 5.")
    call = ToolCall(id="c1", name="add", arguments={"a": 2, "b": 3})
    history: list[Message | dict[str, str]] = [
        {"role": "user", "content": "2+3?"},
        Message(role="assistant", content="", tool_calls=(call,)),
        Message(role="tool", content="5", tool_call_id="c1", name="add"),
    ]
    answer = llm.chat("so?", history=history, tools=[add])
    assert answer.text == "It is 5."
    assert [m.role for m in sent(llm)[0].messages] == ["user", "assistant", "tool", "user"]


def test_tool_choice_without_tools_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="go with tools"):
        fake_llm("x").chat("hi", tool_choice="required")


async def test_achat_with_tools_returns_the_completion() -> None:
    llm = fake_llm(calls(("add", {"a": 1, "b": 1})))
    completion = await llm.achat("1+1?", tools=[add])
    assert [c.name for c in completion.tool_calls] == ["add"]


def test_act_runs_the_calls_and_returns_the_final_answer_after_two_rounds() -> None:
    llm = fake_llm(calls(("add", {"a": 2, "b": 3})), "The sum is 5.")
    result = llm.act("What is 2+3?", tools=[add])
    assert result.text == "The sum is 5." and result.rounds == 2
    assert [(r.call.name, r.content, r.status, r.value) for r in result.calls] == [("add", "5", "ok", 5)]
    assert [m.role for m in result.messages] == ["user", "assistant", "tool", "assistant"]
    second = sent(llm)[1]
    assert second.messages[-1].role == "tool" and second.messages[-1].content == "5"
    assert second.messages[-1].tool_call_id == result.messages[1].tool_calls[0].id
    assert second.options.tools is not None  # every round offers the tools
    assert llm.last_completion is result.completion


def test_results_that_are_not_text_go_back_as_json() -> None:
    def where(city: str) -> dict[str, Any]:
        return {"city": city, "coords": (1.5, 2)}

    llm = fake_llm(calls(("where", {"city": "Oslo"})), "done")
    result = llm.act("where?", tools=[where])
    assert result.calls[0].content == '{"city": "Oslo", "coords": [1.5, 2]}'


async def test_async_tools_asked_together_run_concurrently() -> None:
    first_in, second_in = asyncio.Event(), asyncio.Event()

    async def first() -> str:
        """Wait for the second."""
        first_in.set()
        await second_in.wait()  # only returns if the second runs meanwhile
        return "one"

    async def second() -> str:
        """Wait for the first."""
        second_in.set()
        await first_in.wait()
        return "two"

    llm = fake_llm(calls(("first", {}), ("second", {})), "both")
    result = await llm.aact("go", tools=[first, second], tool_timeout=10)
    assert [(r.content, r.status) for r in result.calls] == [("one", "ok"), ("two", "ok")]


def test_a_raising_tool_gives_the_model_an_error_result_and_the_loop_goes_on() -> None:
    def lookup(key: str) -> str:
        """Look up."""
        raise ValueError(f"no entry {key!r}")

    llm = fake_llm(calls(("lookup", {"key": "x"})), "Sorry, not found.")
    result = llm.act("find x", tools=[lookup])
    assert result.text == "Sorry, not found."
    tool_message = sent(llm)[1].messages[-1]
    assert tool_message.is_error and "ValueError: no entry 'x'" in tool_message.content


@pytest.mark.parametrize(("verdict", "said"), [(False, "refused"), ("not on Sundays", "not on Sundays")])
def test_before_call_refuses_and_the_tool_does_not_run(verdict: bool | str, said: str) -> None:
    ran: list[int] = []

    def remove(path: str) -> str:
        """Remove a file."""
        ran.append(1)
        return "removed"

    seen: list[tuple[str, CallResult]] = []
    llm = fake_llm(calls(("remove", {"path": "/x"})), "I was not allowed.")
    result = llm.act(
        "clean up",
        tools=[remove],
        before_call=lambda call: verdict,
        after_call=lambda call, res: seen.append((call.name, res)),
    )
    assert ran == [] and result.text == "I was not allowed."
    assert result.calls[0].status == "refused" and said in result.calls[0].content
    assert sent(llm)[1].messages[-1].is_error
    assert [(name, res.status) for name, res in seen] == [("remove", "refused")]


async def test_an_async_before_call_can_ask_and_allow() -> None:
    asked: list[ToolCall] = []

    async def approve(call: ToolCall) -> bool:
        asked.append(call)
        return True

    llm = fake_llm(calls(("add", {"a": 1, "b": 2})), "3")
    result = await llm.aact("1+2", tools=[add], before_call=approve)
    assert [c.name for c in asked] == ["add"] and result.calls[0].content == "3"


def test_a_sync_loop_refuses_an_async_before_call() -> None:
    async def approve(call: ToolCall) -> bool:
        return True

    llm = fake_llm(calls(("add", {"a": 1, "b": 2})), "3")
    with pytest.raises(InvalidRequest, match="aact"):
        llm.act("1+2", tools=[add], before_call=approve)


def test_an_unknown_tool_goes_back_to_the_model_once() -> None:
    llm = fake_llm(calls(("multiply", {"a": 2})), calls(("add", {"a": 2, "b": 2})), "4")
    result = llm.act("2*2", tools=[add])
    assert result.text == "4"
    assert [(r.call.name, r.status) for r in result.calls] == [("multiply", "invalid"), ("add", "ok")]
    assert "not offered" in result.calls[0].content and "add" in result.calls[0].content


def test_arguments_that_do_not_validate_or_parse_go_back_to_the_model_once() -> None:
    bad_json = {"tool_calls": [{"name": "add", "arguments": '{"a": 1,'}]}
    llm = fake_llm(calls(("add", {"a": "two"})), calls(("add", {"a": 1, "b": 1})), bad_json, "2")
    result = llm.act("1+1", tools=[add])
    assert [r.status for r in result.calls] == ["invalid", "ok", "invalid"]
    assert "'a'" in result.calls[0].content and "not JSON" in result.calls[2].content
    assert result.text == "2"


def test_a_tool_called_wrongly_twice_in_a_row_is_a_clear_error() -> None:
    llm = fake_llm(calls(("multiply", {})), calls(("multiply", {})), "never")
    with pytest.raises(InvalidToolCall, match="'multiply' wrongly twice in a row") as caught:
        llm.act("2*2", tools=[add])
    assert caught.value.kind == "invalid_tool_call" and exit_code(caught.value) == 2


def test_more_rounds_than_max_rounds_is_a_clear_error_and_the_last_calls_do_not_run() -> None:
    ran: list[int] = []

    def tick() -> str:
        """Tick."""
        ran.append(1)
        return "tock"

    llm = fake_llm(*[calls(("tick", {}))] * 5)
    with pytest.raises(ToolLoopLimit, match="max_rounds=3") as caught:
        llm.act("go", tools=[tick], max_rounds=3)
    assert caught.value.rounds == 3 and len(ran) == 2 and len(sent(llm)) == 3
    assert caught.value.kind == "tool_loop_limit" and exit_code(caught.value) == 2


def test_a_required_tool_choice_becomes_auto_after_the_first_round() -> None:
    llm = fake_llm(calls(("add", {"a": 1, "b": 1})), "2")
    llm.act("1+1", tools=[add], tool_choice="add")
    choices = [r.options.tools.choice for r in sent(llm) if r.options.tools is not None]
    assert choices == ["add", "auto"]


def test_a_hanging_sync_tool_times_out_into_an_error_result() -> None:
    release = threading.Event()

    def hang() -> str:
        """Hang."""
        release.wait(10)
        return "late"

    llm = fake_llm(calls(("hang", {})), "gave up")
    try:
        result = llm.act("go", tools=[hang], tool_timeout=0.1)
    finally:
        release.set()
    assert result.calls[0].status == "timeout" and "0.1 s" in result.calls[0].content
    assert result.text == "gave up"


async def test_a_hanging_async_tool_is_cancelled_into_an_error_result() -> None:
    cancelled = asyncio.Event()

    async def hang() -> str:
        """Hang."""
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "late"

    llm = fake_llm(calls(("hang", {})), "gave up")
    result = await llm.aact("go", tools=[hang], tool_timeout=0.1)
    assert result.calls[0].status == "timeout" and cancelled.is_set()


def test_act_stream_events_come_in_order() -> None:
    llm = fake_llm(calls(("add", {"a": 1, "b": 2}), content="Let me add."), "It is 3.")
    events = list(llm.act_stream("1+2", tools=[add]))
    kinds = [type(e).__name__ for e in events]
    first_start = kinds.index("CallStarted")
    assert set(kinds[:first_start]) == {"TextDelta"}
    assert kinds[first_start : first_start + 3] == ["CallStarted", "CallResult", "RoundDone"]
    assert set(kinds[first_start + 3 : -1]) == {"TextDelta"} and kinds[-1] == "Finished"
    text = [e for e in events if isinstance(e, TextDelta)]
    assert "".join(e.text for e in text if e.round == 1) == "Let me add."
    assert "".join(e.text for e in text if e.round == 2) == "It is 3."
    started = next(e for e in events if isinstance(e, CallStarted))
    done = next(e for e in events if isinstance(e, RoundDone))
    assert done.results[0].call == started.call and done.completion.tool_calls == (started.call,)
    final = events[-1]
    assert isinstance(final, Finished) and final.result.text == "It is 3."


def test_bad_arguments_are_refused_at_the_call_not_at_the_first_event() -> None:
    llm = fake_llm("x")
    with pytest.raises(InvalidRequest, match="max_rounds"):
        llm.act_stream("go", tools=[add], max_rounds=0)
    with pytest.raises(InvalidRequest, match="no function"):
        llm.act_stream("go", tools=[Tool(name="bare")])


def test_sync_and_async_loops_give_the_same_messages() -> None:
    def double(x: int) -> int:
        """Double."""
        return 2 * x

    async def negate(x: int) -> int:
        """Negate."""
        return -x

    script: list[str | dict[str, Any]] = [
        calls(("double", {"x": 2}), ("negate", {"x": 3}), content="Working."),
        calls(("nope", {})),
        "Done.",
    ]
    synced = fake_llm(*script).act("go", tools=[double, negate], system="Be brief.")
    awaited = asyncio.run(fake_llm(*script).aact("go", tools=[double, negate], system="Be brief."))
    assert shape(synced.messages) == shape(awaited.messages)
    assert [m.tool_call_id for m in synced.messages] == [m.tool_call_id for m in awaited.messages]
    assert synced.messages[0].role == "system" and synced.text == awaited.text == "Done."
    assert [r.content for r in synced.calls] == ["4", "-3", awaited.calls[2].content]


def test_chat_without_tools_takes_message_objects_in_history_too() -> None:
    llm = fake_llm("fine")
    assert (
        llm.chat("and now?", history=[Message(role="user", content="hi"), {"role": "assistant", "content": "hey"}])
        == "fine"
    )
    assert [(m.role, m.content) for m in sent(llm)[0].messages] == [
        ("user", "hi"),
        ("assistant", "hey"),
        ("user", "and now?"),
    ]
