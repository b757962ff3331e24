"""Chat messages and conversion of the history shapes callers pass in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.tools import ToolCall

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[Role, ...] = ("system", "user", "assistant", "tool")


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One turn of a conversation. An assistant turn may carry the tool calls it asked for; a
    `tool` turn is one call's result: `tool_call_id` names the call, `name` its tool, `is_error`
    says the tool failed (its content then says how)."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    is_error: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidRequest(f"unknown message role {self.role!r}; use one of {', '.join(ROLES)}")
        if not isinstance(self.content, str):
            raise InvalidRequest(f"message content must be text, got {type(self.content).__name__}")
        check_text(self.content, f"the {self.role} message")
        if self.tool_calls and self.role != "assistant":
            raise InvalidRequest("only an assistant message carries tool calls")
        if (self.role == "tool") != (self.tool_call_id is not None):
            raise InvalidRequest("a tool message, and only a tool message, names the call it answers (tool_call_id)")


def check_text(text: str, what: str) -> None:
    """Text every backend can send: encodable as UTF-8 (no lone surrogates, which is what bytes
    that are not UTF-8 become in arguments, environment variables and file names)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequest(f"{what} is not valid text (position {exc.start}); pass UTF-8 text") from None


def history_to_messages(history: Iterable[Mapping[str, str]] | None) -> list[Message]:
    """Accept `[{"role", "content"}]` and the older `[{"user", "assistant"}]` pair shape."""
    messages: list[Message] = []
    for turn in history or ():
        if "role" in turn:
            role = turn["role"]
            if role not in ROLES:
                raise InvalidRequest(f"unknown message role {role!r} in history")
            messages.append(Message(role=role, content=str(turn.get("content", ""))))
            continue
        if not ({"user", "assistant"} & set(turn)):
            raise InvalidRequest("each history entry needs either 'role' and 'content', or 'user'/'assistant' keys")
        if "user" in turn:
            messages.append(Message(role="user", content=str(turn["user"])))
        if "assistant" in turn:
            messages.append(Message(role="assistant", content=str(turn["assistant"])))
    return messages
