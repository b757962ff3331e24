"""Names and filters as a knowledge base holds them: a file name whose bytes are not UTF-8
(os.fsdecode carries those bytes as lone surrogates) is stored and shown with them escaped as
\\xNN, which any store and any output can hold; filters are checked before they reach a store."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import Any

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.shown_text import shown

FIELDS = ("source", "document_id", "heading")  # filtered as stored; any other key is metadata
_ESCAPED = re.compile(rb"\\x([0-9a-f]{2})")


def stored_name(name: str) -> str:
    """`name` with undecodable bytes escaped (caf\\xe9.txt); any other name unchanged."""
    return shown(name)


def name_on_disk(stored: str) -> str:
    """The file name a stored name escaped (its \\xNN as bytes again), for looking it up."""
    raw = _ESCAPED.sub(lambda match: bytes([int(match.group(1), 16)]), stored.encode("utf-8"))
    return os.fsdecode(raw)


def checked_filter(where: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """`where` with the stored fields' values as stored; InvalidRequest for a key or value no
    store can compare (not text, a whole or finite number, or true/false)."""
    if not where:
        return None
    checked: dict[str, Any] = {}
    for key, value in where.items():
        if not isinstance(key, str) or not key or stored_name(key) != key:
            raise InvalidRequest(f"filter keys are non-empty UTF-8 text; got {key!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidRequest(f"filter {key!r}: {value!r} is not a number that can be compared; use a finite one")
        if not isinstance(value, (str, int, float)):  # bool is an int
            raise InvalidRequest(
                f"filter {key!r}: values are text, numbers or true/false, not {type(value).__name__} ({value!r})"
            )
        if key in FIELDS:
            checked[key] = stored_name(str(value))
        elif isinstance(value, str) and stored_name(value) != value:
            raise InvalidRequest(f"filter {key!r}: the value {stored_name(value)!r} is not UTF-8 text")
        else:
            checked[key] = value
    return checked
