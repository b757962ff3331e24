"""A session's tool loop keeps every turn (calls and results too) in its history, sends them on
the next turn, and saves and resumes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chi_llm import InvalidRequest, MicroLLM
from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.domain.errors import ToolLoopLimit
from chi_llm.domain.generation import GenerationRequest


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def fake_llm(*replies: str | dict[str, Any]) -> MicroLLM:
    return MicroLLM(provider={"type": "fake", "replies": list(replies)})


def sent(llm: MicroLLM) -> list[GenerationRequest]:
    backend = llm.backend
    assert isinstance(backend, FakeTextGenerator)
    return backend.requests


ADD = {"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}, "id": "c1"}]}


def test_session_act_keeps_the_tool_turns_and_sends_them_next_time() -> None:
    llm = fake_llm(ADD, "It is 5.", "You asked 2+3.")
    session = llm.session(system="Be brief.")
    result = session.act("2+3?", tools=[add])
    assert result.text == "It is 5."
    assert session.history == [
        {"role": "user", "content": "2+3?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "name": "add", "arguments": {"a": 2, "b": 3}}],
        },
        {"role": "tool", "content": "5", "tool_call_id": "c1", "name": "add", "is_error": False},
        {"role": "assistant", "content": "It is 5."},
    ]
    assert session.chat("what did I ask?") == "You asked 2+3."
    backend = llm.backend
    assert isinstance(backend, FakeTextGenerator)
    last = backend.requests[-1]
    assert [m.role for m in last.messages] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert all(r.session == session.id for r in backend.requests)


async def test_session_aact_keeps_the_turns_too() -> None:
    session = fake_llm(ADD, "It is 5.").session()
    result = await session.aact("2+3?", tools=[add])
    assert result.text == "It is 5." and [t["role"] for t in session.history] == [
        "user",
        "assistant",
        "tool",
        "assistant",
    ]


def test_a_loop_that_fails_leaves_the_history_as_it_was() -> None:
    session = fake_llm(ADD, ADD).session()
    with pytest.raises(ToolLoopLimit):
        session.act("2+3?", tools=[add], max_rounds=1)
    assert session.history == []


def test_a_session_act_takes_no_history_of_its_own() -> None:
    with pytest.raises(InvalidRequest, match="from the session"):
        fake_llm().session().act("x", tools=[add], history=[])


def test_a_saved_session_with_tool_turns_resumes(tmp_path: Path) -> None:
    llm = fake_llm(ADD, "It is 5.", "again")
    session = llm.session()
    session.act("2+3?", tools=[add])
    path = session.save(tmp_path / "talk.json")
    resumed = llm.session(resume=path)
    assert resumed.history == session.history
    assert resumed.chat("more") == "again"


def test_session_chat_with_tools_returns_the_calls_and_keeps_the_turn() -> None:
    llm = fake_llm({"content": "Let me add.", **ADD}, "It is 5.")
    session = llm.session()
    completion = session.chat("2+3?", tools=[add], tool_choice="required", parallel_tool_calls=False)
    assert [(c.id, c.name, dict(c.arguments)) for c in completion.tool_calls] == [("c1", "add", {"a": 2, "b": 3})]
    assert llm.last_completion is completion
    tools = sent(llm)[0].options.tools
    assert tools is not None and tools.choice == "required" and tools.parallel is False
    assert session.history == [
        {"role": "user", "content": "2+3?"},
        {
            "role": "assistant",
            "content": "Let me add.",
            "tool_calls": [{"id": "c1", "name": "add", "arguments": {"a": 2, "b": 3}}],
        },
    ]
    session.add_tool_result("c1", 5)  # not text: sent as JSON, as the loop sends it
    assert session.chat(tools=[add]).text == "It is 5."  # no new message: the model answers the results
    last = sent(llm)[-1]
    assert [(m.role, m.content, m.tool_call_id, m.name) for m in last.messages] == [
        ("user", "2+3?", None, None),
        ("assistant", "Let me add.", None, None),
        ("tool", "5", "c1", "add"),
    ]
    assert [t["role"] for t in session.history] == ["user", "assistant", "tool", "assistant"]


async def test_session_achat_with_tools_and_an_error_result() -> None:
    llm = fake_llm(ADD, "Adding failed.")
    session = llm.session()
    completion = await session.achat("2+3?", tools=[add])
    assert [c.name for c in completion.tool_calls] == ["add"]
    session.add_tool_result("c1", "no adding today", is_error=True)
    assert (await session.achat()) == "Adding failed."  # without tools: the text, as chat gives it
    assert session.history[2] == {
        "role": "tool",
        "content": "no adding today",
        "tool_call_id": "c1",
        "name": "add",
        "is_error": True,
    }


def test_a_turn_waiting_for_tool_results_is_refused_before_anything_is_sent() -> None:
    llm = fake_llm(ADD, "unused")
    session = llm.session()
    session.chat("2+3?", tools=[add])
    with pytest.raises(InvalidRequest, match=r"'c1' \(add\).*add_tool_result"):
        session.chat("and now?", tools=[add])
    with pytest.raises(InvalidRequest, match=r"'c9'.*waiting: 'c1'"):
        session.add_tool_result("c9", "x")
    session.add_tool_result("c1", "5")
    with pytest.raises(InvalidRequest, match="'c1'"):
        session.add_tool_result("c1", "5")  # answered already
    assert len(sent(llm)) == 1


def test_session_chat_without_a_message_needs_tool_results_to_answer() -> None:
    session = fake_llm("hello").session()
    with pytest.raises(InvalidRequest, match="add_tool_result"):
        session.chat()
    with pytest.raises(InvalidRequest, match="tool_choice"):
        session.chat("hi", tool_choice="required")
    assert session.chat("hi") == "hello" and session.history[-1] == {"role": "assistant", "content": "hello"}
