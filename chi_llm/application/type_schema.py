"""A JSON Schema from what a caller hands `extract`: a schema mapping, a dataclass, a TypedDict,
or any class with `model_json_schema()` (pydantic models, without depending on pydantic) — and the
function that turns a validated JSON value back into that type."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from chi_llm.domain.errors import InvalidRequest

Builder = Callable[[Any], Any]
SCALARS: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def schema_for(target: Any) -> tuple[dict[str, Any], Builder]:
    """(the JSON Schema, a builder from a valid JSON value to what the caller asked for)."""
    if isinstance(target, Mapping):
        return dict(target), lambda value: value
    model_schema = getattr(target, "model_json_schema", None)
    if isinstance(target, type) and callable(model_schema):
        validate = getattr(target, "model_validate", None)
        return dict(model_schema()), (validate if callable(validate) else lambda value: target(**value))
    if isinstance(target, type) and (dataclasses.is_dataclass(target) or typing.is_typeddict(target)):
        return _schema(target), lambda value: _build(target, value)
    raise InvalidRequest(
        "schema must be a JSON Schema mapping, a dataclass, a TypedDict or a class with model_json_schema(); "
        f"got {target!r}"
    )


def _schema(hint: Any) -> dict[str, Any]:
    if hint in SCALARS:
        return {"type": SCALARS[hint]}
    if hint is type(None):
        return {"type": "null"}
    if hint is Any:
        return {}
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        return {"enum": list(args)}
    if origin in (Union, types.UnionType):
        options = [_schema(a) for a in args]
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin in (list, tuple, set, frozenset) or hint in (list, tuple, set):
        item = args[0] if args else Any
        return {"type": "array", "items": _schema(item)}
    if origin is dict or hint is dict:
        return {"type": "object", "additionalProperties": _schema(args[1]) if len(args) == 2 else {}}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {"enum": [member.value for member in hint]}
    if isinstance(hint, type) and (dataclasses.is_dataclass(hint) or typing.is_typeddict(hint)):
        return _object(hint)
    raise InvalidRequest(
        f"cannot describe {hint!r} as JSON Schema; use str, int, float, bool, lists, dicts, "
        "Literal, Enum, Optional, nested dataclasses or TypedDicts"
    )


def _object(cls: type) -> dict[str, Any]:
    hints = get_type_hints(cls)
    if dataclasses.is_dataclass(cls):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        required = [
            name
            for name, f in fields.items()
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        names = list(fields)
    else:
        names = list(hints)
        required = [name for name in names if name in getattr(cls, "__required_keys__", set(names))]
    properties = {name: _schema(hints[name]) for name in names}
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _build(hint: Any, value: Any) -> Any:
    """A validated JSON value as an instance of `hint` (nested dataclasses and enums rebuilt)."""
    origin, args = get_origin(hint), get_args(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
        hints = get_type_hints(hint)
        return hint(**{k: _build(hints[k], v) for k, v in value.items() if k in hints})
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if origin in (list, set, frozenset, tuple) and isinstance(value, list) and args:
        built = [_build(args[0], v) for v in value]
        return origin(built) if origin is not list else built
    if origin in (Union, types.UnionType) and value is not None:
        non_null = [a for a in args if a is not type(None)]
        return _build(non_null[0], value) if len(non_null) == 1 else value
    if typing.is_typeddict(hint) and isinstance(value, dict):
        hints = get_type_hints(hint)
        return {k: _build(hints[k], v) if k in hints else v for k, v in value.items()}
    return value
