"""Client-side truncation of a history with tool calls: never a result without its call, never
a call without its results, and a tool turn cut short keeps what makes it a tool turn."""

from __future__ import annotations

from chi_llm.adapters.providers.http.base import fit_messages
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall

CALL = ToolCall(id="c1", name="clock", arguments={})


def test_dropping_a_call_drops_its_results_with_it() -> None:
    turns = (
        Message(role="system", content="s"),
        Message(role="user", content="x" * 400),
        Message(role="assistant", content="y" * 200, tool_calls=(CALL,)),
        Message(role="tool", content="noon", tool_call_id="c1", name="clock"),
        Message(role="user", content="and now?"),
    )
    kept = fit_messages(turns, context=40, room=10)
    assert kept[-1].content == "and now?"
    assert [m.role for m in kept] == ["system", "user"]  # the call went, and its result with it


def test_a_last_tool_turn_cut_short_stays_a_tool_turn() -> None:
    turns = (
        Message(role="user", content="time?"),
        Message(role="tool", content="z" * 400, tool_call_id="c1", name="clock"),
    )
    last = fit_messages(turns, context=40, room=10)[-1]
    assert (last.role, last.tool_call_id, last.name) == ("tool", "c1", "clock") and len(last.content) < 400


def test_the_call_a_last_tool_turn_answers_is_kept() -> None:
    turns = (
        Message(role="user", content="x" * 400),
        Message(role="assistant", content="y" * 200, tool_calls=(CALL, ToolCall(id="c2", name="clock", arguments={}))),
        Message(role="tool", content="noon", tool_call_id="c1", name="clock"),
        Message(role="tool", content="one", tool_call_id="c2", name="clock"),
    )
    kept = fit_messages(turns, context=40, room=10)
    assert [m.role for m in kept] == ["assistant", "tool", "tool"]  # the old question went, the round stayed


def test_a_call_counts_its_arguments() -> None:
    big = ToolCall(id="c1", name="clock", arguments={"text": "w " * 300})
    turns = (
        Message(role="user", content="first"),
        Message(role="assistant", content="", tool_calls=(big,)),
        Message(role="tool", content="ok", tool_call_id="c1", name="clock"),
        Message(role="user", content="again"),
    )
    assert [m.role for m in fit_messages(turns, context=60, room=10)] == ["user"]
