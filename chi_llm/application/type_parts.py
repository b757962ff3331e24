"""The pieces of type_schema that do not recurse: the `$defs` a schema gathers, Annotated's
description, JSON-able enum values, and TypedDict's Required/NotRequired marks."""

from __future__ import annotations

from typing import Any, get_origin

from chi_llm.domain.errors import InvalidRequest


class Definitions(dict[str, Any]):
    """The `$defs` a schema gathers for its root, and the classes being described now (one met
    again inside itself, a recursive type, becomes a `$ref` to its definition)."""

    def __init__(self) -> None:
        super().__init__()
        self.building: dict[type, bool] = {}  # class -> whether something inside it referred to it

    def define(self, name: str, schema: Any) -> None:
        if self.setdefault(name, schema) != schema:
            raise InvalidRequest(f"two different types are both named {name!r}; rename one")


def note(metadata: tuple[Any, ...]) -> str | None:
    """The description in Annotated's metadata: a string, or an object with a `description`
    (pydantic's Field)."""
    for item in metadata:
        text = item if isinstance(item, str) else getattr(item, "description", None)
        if isinstance(text, str) and text:
            return text
    return None


def json_values(hint: Any, values: list[Any]) -> list[Any]:
    """An enum's values, which JSON must be able to carry (strings, numbers, booleans, null)."""
    if not all(value is None or isinstance(value, str | int | float | bool) for value in values):
        raise InvalidRequest(f"the values of {hint!r} are not all strings, numbers, booleans or null")
    return values


def typed_required(cls: type, name: str, hint: Any) -> bool:
    """Whether a TypedDict's key is required: its Required/NotRequired mark (which the class
    misses when annotations are strings), else the class's own word."""
    found = mark(hint)
    if found:
        return found == "Required"
    return name in getattr(cls, "__required_keys__", {name})


def mark(hint: Any) -> str | None:
    """The mark ("Required" or "NotRequired") of a TypedDict key so marked (typing's since 3.11, or
    typing_extensions' on 3.10), else None."""
    name = getattr(get_origin(hint), "_name", None)
    return name if name in ("Required", "NotRequired") else None
