"""The limits a JSON Schema meets before it becomes a llama.cpp grammar (see schema_reduce), and
the small checks the walk uses."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Literal

MAX_DEPTH = 32  # nesting of schemas inside schemas
MAX_NODES = 2000  # schemas in all (refs counted once)
MAX_ALTERNATIVES = 256  # enum values, anyOf/oneOf branches or types at one place
MAX_AMBIGUITY = 256  # alternatives multiplied along one path: llama.cpp tracks each at once, per token
MAX_PROPERTIES = 256  # properties (or tuple items) of one object (array)
MAX_OPTIONAL = 64  # optional properties of one object (the converter is quadratic in them)
MAX_REPEAT = 1024  # a minLength/minItems, spelled out in the grammar
MAX_OPTIONAL_REPEAT = 256  # maxLength/maxItems beyond the minimum; further is left to validation
MAX_TOTAL_REPEAT = 8192  # all of those together
MAX_PATTERN = 512  # characters of a `pattern` the grammar enforces (longer: validated after)
MAX_PATTERN_REPEAT = 64  # a {m,n} inside such a pattern

TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")
ANY_VALUE: dict[str, Any] = {"type": ["object", "array", "string", "number", "boolean", "null"]}
FORMATS = ("date", "time", "date-time")
SMALL_RANGE = 256  # an integer range this small becomes an enum: minimum/maximum hold by construction
# Printable ASCII only (every vocabulary spells it; a rarer character may have no token, and
# llama.cpp aborts when no token fits), without escapes that name other characters.
_UNSAFE_PATTERN = re.compile(r"[^\x20-\x7e]|\\[xuUc0-9pPk]")
_QUANTIFIER = re.compile(r"\{([^}]*)\}")


Kind = Literal["never", "fit", "limit"]


class SchemaProblem(Exception):
    """Why a schema cannot become a grammar: it can `never` be satisfied, its shortest answer
    does not `fit` the request's tokens, or it is over a `limit` (or malformed). A problem that
    makes an anyOf branch or an optional property unsatisfiable drops just that part."""

    def __init__(self, message: str, *, kind: Kind) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind

    @property
    def unsatisfiable(self) -> bool:
        return self.kind != "limit"


def never(path: str, why: str) -> SchemaProblem:
    return SchemaProblem(f"{path}: {why}", kind="never")


def bad(path: str, why: str) -> SchemaProblem:
    return SchemaProblem(f"{path}: {why}", kind="limit")


def whole(node: Mapping[str, Any], key: str, path: str) -> int | None:
    """A length/count bound: absent, or a whole number >= 0."""
    value = node.get(key)
    if value is None:
        return None
    if not is_number(value):
        raise bad(path, f"{key} must be a whole number, got {value!r}")
    if value != int(value) or value < 0:
        raise bad(path, f"{key} must be a whole number >= 0, got {value!r}")
    return int(value)


def is_number(value: Any) -> bool:
    """A JSON number Python compares exactly: an int of any size, or a finite float."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def bound(node: Mapping[str, Any], key: str) -> float | None:
    value = node.get(key)
    if isinstance(value, int | float) and is_number(value):
        return value  # an int stays exact: 10**400 has no float
    return None  # not a bound the converter reads; validation judges it


def matches(value: Any, kind: str) -> bool:
    """Whether a JSON value is of a JSON Schema type."""
    if kind == "integer":
        whole_float = isinstance(value, float) and value.is_integer()
        return (isinstance(value, int) and not isinstance(value, bool)) or whole_float
    checks: dict[str, Any] = {"object": dict, "array": list, "string": str, "null": type(None), "boolean": bool}
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, checks[kind])


def json_length(value: Any) -> int:
    return len(json.dumps(value))


def pattern_ok(pattern: Any) -> bool:
    """Whether the converter can take `pattern` safely: anchored, short, printable ASCII, without
    escapes that could name a character no token can produce, and with small {m,n} quantifiers."""
    if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN or len(pattern) < 2:
        return False
    if not (pattern.startswith("^") and pattern.endswith("$")) or _UNSAFE_PATTERN.search(pattern):
        return False
    total = 0
    for inside in _QUANTIFIER.findall(pattern):
        parts = [p.strip() for p in inside.split(",")]
        if len(parts) > 2 or not all(p.isdigit() for p in parts if p) or not parts[0]:
            return False
        numbers = [int(p) for p in parts if p]
        if max(numbers) > MAX_PATTERN_REPEAT or (len(numbers) == 2 and numbers[1] < numbers[0]):
            return False
        total += max(numbers)
    return total <= MAX_PATTERN_REPEAT * 4


_CLASSES = {"d": "0-9", "w": "a-zA-Z0-9_", "s": " \\t\\n\\r"}
_PLAIN = {".": "\\x2E", "-": "\\x2D", "/": "/"}  # escapes GBNF does not know, as it writes them


def gbnf_pattern(pattern: str) -> str:
    """`pattern` with the common regex escapes the converter passes through verbatim (and
    llama.cpp would refuse) spelled the way GBNF reads them: \\d, \\w, \\s, \\., \\-, \\/."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            e = pattern[i + 1]
            if e in _CLASSES:
                out.append(_CLASSES[e] if in_class else f"[{_CLASSES[e]}]")
            elif e in _PLAIN:
                out.append(_PLAIN[e] if in_class else f"[{_PLAIN[e]}]")
            else:
                out.append(c + e)
            i += 2
            continue
        in_class = (in_class or c == "[") and not (in_class and c == "]")
        out.append(c)
        i += 1
    return "".join(out)
