"""JSON-RPC 2.0 messages: parsing a line into a request, and the response, error and
notification objects written back. Nothing here does I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.results import to_json

PROTOCOL_VERSION = "1"
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
APPLICATION_ERROR = -32000  # a chi-llm error; data.kind says which, as the CLI's --json errors do
REQUEST_CANCELLED = -32800


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


def parse(line: str) -> Request:
    """A request from one line; ProtocolError (with the id when one could be read) otherwise."""
    try:
        message = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(PARSE_ERROR, f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError(INVALID_REQUEST, "a request is a JSON object")
    id = message.get("id")
    if id is not None and (isinstance(id, bool) or not isinstance(id, (int, str))):
        raise ProtocolError(INVALID_REQUEST, "id must be a number or a string")
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


def notification(method: str, params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": to_json(params)}
