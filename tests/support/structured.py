"""A small object schema (a person: name and age) for structured-output tests."""

from __future__ import annotations

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}
