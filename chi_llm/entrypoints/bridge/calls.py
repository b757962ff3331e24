"""What a method handler gets: its params (checked by small helpers), a way to send
notifications tied to its request, a cancellation flag, and the bridge's tools."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chi_llm.entrypoints.bridge.protocol import INVALID_PARAMS, ProtocolError
from chi_llm.entrypoints.bridge.tools import BridgeTools


@dataclass
class Call:
    id: int | str | None
    params: Mapping[str, Any]
    send: Callable[[str, Any], None]  # (method, params) -> a notification
    cancelled: threading.Event = field(default_factory=threading.Event)
    tools: BridgeTools = field(default_factory=BridgeTools)

    def notify(self, method: str, params: Mapping[str, Any]) -> None:
        self.send(method, {"id": self.id, **params})

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.params.get(name, default)
        if value is None and required:
            raise ProtocolError(INVALID_PARAMS, f"params.{name} is required", self.id)
        if value is not None and not isinstance(value, str):
            raise ProtocolError(INVALID_PARAMS, f"params.{name} must be a string", self.id)
        return value

    def required_text(self, name: str) -> str:
        return self.text(name, required=True) or ""

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.params.get(name, default)
        if not isinstance(value, bool):
            raise ProtocolError(INVALID_PARAMS, f"params.{name} must be true or false", self.id)
        return value

    def mapping(self, name: str, *, required: bool = False) -> dict[str, Any]:
        value = self.params.get(name)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise ProtocolError(INVALID_PARAMS, f"params.{name} must be an object", self.id)
        return value

    def scope(self) -> Literal["project", "global"]:
        value = self.text("scope", "project")
        if value == "global":
            return "global"
        if value != "project":
            raise ProtocolError(INVALID_PARAMS, 'params.scope must be "project" or "global"', self.id)
        return "project"
