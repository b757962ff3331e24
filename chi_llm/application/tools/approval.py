"""What `before_call` answers: True or None allows the call; False refuses it; a text refuses it
and says why. The model gets a refusal as an error result naming the tool."""

from __future__ import annotations

import inspect

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.tools import ToolCall

Verdict = bool | str | None


def refusal(call: ToolCall, said: object) -> str | None:
    """The refusal's text for the model, or None when the call may run."""
    if inspect.isawaitable(said):
        if inspect.iscoroutine(said):
            said.close()  # never awaited: close it rather than leave a warning behind
        raise InvalidRequest("before_call returned an awaitable; use an async driver (aact) for async hooks")
    if said is None or said is True:
        return None
    if said is False or isinstance(said, str):
        why = f": {said}" if isinstance(said, str) and said.strip() else ""
        return f"the application refused to run tool {call.name!r}{why}"
    raise InvalidRequest(f"before_call returns True, None, False or a reason (text), got {said!r}")
