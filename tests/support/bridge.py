"""JSON-RPC request lines for the bridge."""

from __future__ import annotations

import json
from typing import Any


def request(rid: int | str | None, method: str, **params: Any) -> str:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if rid is not None:
        message["id"] = rid
    return json.dumps(message)
