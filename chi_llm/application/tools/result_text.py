"""What goes back to the model as a tool's result: a return value as text, an exception as an
error text."""

from __future__ import annotations

import json
from typing import Any

from chi_llm.domain.results import to_json


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)  # pydantic models
    if callable(dump):
        return dump(mode="json")
    return str(value)


def result_text(value: Any) -> str:
    """A str as it is; anything else as JSON (dataclasses as objects, tuples and sets as lists,
    enums as their values, pydantic models as their dump, None as `null`, what JSON cannot carry
    as its str())."""
    if isinstance(value, str):
        return value
    return json.dumps(to_json(value), ensure_ascii=False, default=_plain)


def error_text(name: str, error: BaseException) -> str:
    """The error result of a tool that raised: the exception's type and text."""
    said = str(error).strip()
    return f"tool {name!r} failed: {type(error).__name__}{': ' + said if said else ''}"
