"""JSON-RPC 2.0 messages: parsing a line into a request, and the response, error and
notification objects written back. Nothing here does I/O."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.results import to_json
from chi_llm.entrypoints.bridge.wire import SURROGATE

PROTOCOL_VERSION = "1"
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
APPLICATION_ERROR = -32000  # a chi-llm error; data.kind says which, as the CLI's --json errors do
REQUEST_CANCELLED = -32800
MAX_DEPTH = 64  # levels of objects and arrays in params (params itself is one)


@dataclass(frozen=True, slots=True)
class Request:
    id: int | str | None  # None: a notification (no response)
    method: str
    params: dict[str, Any]


class ProtocolError(Exception):
    def __init__(self, code: int, message: str, id: int | str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.id = id


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:24]} is too large for a number")
    return value


def _lone_surrogate(text: str) -> bool:
    """A code point JSON can escape (\\ud800) but no UTF-8 text can hold."""
    return not text.isascii() and SURROGATE.search(text) is not None


def _check_params(params: dict[str, Any], id: int | str | None) -> None:
    """Params nest at most MAX_DEPTH levels and hold only Unicode text (no lone surrogate)."""
    pending: list[tuple[Any, int]] = [(params, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if _lone_surrogate(value):
                raise ProtocolError(INVALID_PARAMS, "params hold a lone surrogate (\\ud800-\\udfff), not text", id)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise ProtocolError(INVALID_PARAMS, f"params nest deeper than {MAX_DEPTH} levels", id)
        items = [*value, *value.values()] if isinstance(value, dict) else value
        pending.extend((item, depth + 1) for item in items)


def parse(line: str) -> Request:
    """A request from one line; ProtocolError (with the id when one could be read) otherwise."""
    try:
        message = json.loads(line, parse_constant=_constant, parse_float=_finite)
    except ValueError as exc:
        raise ProtocolError(PARSE_ERROR, f"not JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError(PARSE_ERROR, "not JSON this bridge reads: nested too deep") from None
    if not isinstance(message, dict):
        raise ProtocolError(INVALID_REQUEST, "a request is a JSON object")
    id = message.get("id")
    if id is not None and (isinstance(id, bool) or not isinstance(id, (int, str))):
        raise ProtocolError(INVALID_REQUEST, "id must be a number or a string")
    if isinstance(id, str) and _lone_surrogate(id):
        raise ProtocolError(INVALID_REQUEST, "id holds a lone surrogate (\\ud800-\\udfff), not text")
    if message.get("jsonrpc") != "2.0":
        raise ProtocolError(INVALID_REQUEST, 'jsonrpc must be "2.0"', id)
    method = message.get("method")
    if not isinstance(method, str) or not method:
        raise ProtocolError(INVALID_REQUEST, "method must be a non-empty string", id)
    params = message.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ProtocolError(INVALID_PARAMS, "params must be an object (named parameters)", id)
    _check_params(params, id)
    return Request(id=id, method=method, params=params)


def result(id: int | str | None, value: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id, "result": to_json(value)}


def error(id: int | str | None, code: int, message: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return {"jsonrpc": "2.0", "id": id, "error": body}


def application_error(id: int | str | None, exc: ChiLlmError) -> dict[str, Any]:
    return error(id, APPLICATION_ERROR, exc.message, {"kind": exc.kind, "backend": exc.backend})


def busy(id: int | str | None, message: str) -> dict[str, Any]:
    """No place for the request now (see lanes.py): a chi-llm error of kind "busy"."""
    return error(id, APPLICATION_ERROR, message, {"kind": "busy", "backend": "bridge"})


def notification(method: str, params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": to_json(params)}
