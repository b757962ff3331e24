"""What the tool loop reports as it goes (`act_stream` yields these) and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from chi_llm.domain.generation import Completion
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolCall

# ok: the tool returned; error: it raised; refused: before_call said no; timeout: it did not
# finish in time; invalid: the model named no offered tool, or arguments that do not follow its schema
CallStatus = Literal["ok", "error", "refused", "timeout", "invalid"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TextDelta:
    """A piece of the model's text in round `round` (1-based)."""

    round: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStarted:
    """An allowed call is about to run."""

    round: int
    call: ToolCall


@dataclass(frozen=True, slots=True, kw_only=True)
class CallResult:
    """A call's outcome: `content` is what goes back to the model (its tool message); `value` is
    what the tool returned (None unless `status` is ok)."""

    round: int
    call: ToolCall
    content: str
    status: CallStatus = "ok"
    value: Any = field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.status != "ok"

    def message(self) -> Message:
        """The tool message that answers the call."""
        return Message(
            role="tool", content=self.content, tool_call_id=self.call.id, name=self.call.name, is_error=self.is_error
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundDone:
    """A round that asked for calls is over: its completion and every call's result, in the
    order the model asked for them."""

    round: int
    completion: Completion
    results: tuple[CallResult, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActResult:
    """The loop's outcome: the final answer's `text` and `completion`, every message of the
    conversation (the request's, then each round's assistant turn and tool results, then the
    final answer), every call's result, and the rounds run."""

    text: str
    completion: Completion
    messages: tuple[Message, ...]
    calls: tuple[CallResult, ...]
    rounds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Finished:
    """The model answered without calls: the last event."""

    result: ActResult


LoopEvent = TextDelta | CallStarted | CallResult | RoundDone | Finished
