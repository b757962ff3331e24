"""Asking the client before a tool call runs: the bridge sends `generate/tool_approval` {id,
approval_id, call_id, name, arguments} and waits for the client's `generate/approve`
{approval_id, allow, always}. No answer in time, a cancelled chat or a bridge shutting down
denies the call; the model then gets a refusal as the call's result. `always` allows that tool
without asking again for as long as this bridge runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chi_llm.domain.tools import ToolCall

APPROVAL_TIMEOUT = 600.0  # seconds a call waits for the user's answer before it is denied
POLL = 0.05  # seconds between looks at the chat's cancel flag while waiting


@dataclass
class Waiting:
    """One call waiting for the user's answer."""

    name: str
    answered: threading.Event = field(default_factory=threading.Event)
    allow: bool = False
    why: str = "the user denied it"


class Approvals:
    def __init__(self, timeout: float = APPROVAL_TIMEOUT) -> None:
        self.timeout = timeout
        self.always: set[str] = set()
        self._lock = threading.Lock()
        self._waiting: dict[str, Waiting] = {}
        self._count = 0
        self._closed: str | None = None  # why no question is asked any more (the bridge shuts down)

    def ask(
        self, call: ToolCall, notify: Callable[[Mapping[str, Any]], None], cancelled: threading.Event
    ) -> bool | str:
        """True when the call may run, else the refusal's reason (before_call's answer)."""
        if call.name in self.always:
            return True
        with self._lock:
            if self._closed is not None:
                return self._closed
            self._count += 1
            approval_id = f"approval-{self._count}"
            waiting = self._waiting[approval_id] = Waiting(call.name)
        notify({"approval_id": approval_id, "call_id": call.id, "name": call.name, "arguments": dict(call.arguments)})
        deadline = time.monotonic() + self.timeout
        try:
            while not waiting.answered.wait(POLL):
                if cancelled.is_set():
                    return "the chat was cancelled before the user answered"
                if time.monotonic() >= deadline:
                    return f"the user did not answer within {self.timeout:g} s"
        finally:
            with self._lock:
                self._waiting.pop(approval_id, None)
        return True if waiting.allow else waiting.why

    def take(self, approval_id: str) -> Waiting | None:
        """The call waiting under this id, no longer waiting (None: answered, timed out or gone)."""
        with self._lock:
            return self._waiting.pop(approval_id, None)

    def settle(self, waiting: Waiting, allow: bool, always: bool = False) -> None:
        if allow and always:
            self.always.add(waiting.name)
        waiting.allow = allow
        waiting.answered.set()

    def deny_all(self, why: str) -> None:
        """Every waiting call denied, and every later one without asking (the bridge is shutting
        down: no client is left to answer)."""
        with self._lock:
            self._closed = why
            waiting, self._waiting = list(self._waiting.values()), {}
        for each in waiting:
            each.why = why
            each.answered.set()
