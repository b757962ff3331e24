"""A session's tool loop keeps every turn (calls and results too) in its history, sends them on
the next turn, and saves and resumes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chi_llm import InvalidRequest, MicroLLM
from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.domain.errors import ToolLoopLimit


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def fake_llm(*replies: str | dict[str, Any]) -> MicroLLM:
    return MicroLLM(provider={"type": "fake", "replies": list(replies)})


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
