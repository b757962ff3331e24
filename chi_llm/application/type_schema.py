"""A JSON Schema from what a caller hands `extract` or a tool's signature: a schema mapping, a
dataclass, a TypedDict, or any class with `model_json_schema()` (pydantic models, without depending
on pydantic) — and the function that turns a validated JSON value back into that type."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from chi_llm.application.type_parts import Definitions, json_values, mark, note, typed_required
from chi_llm.application.type_values import build, is_model
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
        defs = Definitions()
        schema = _object(target, defs)
        return ({**schema, "$defs": dict(defs)} if defs else schema), lambda value: build(target, value)
    raise InvalidRequest(
        "schema must be a JSON Schema mapping, a dataclass, a TypedDict or a class with model_json_schema(); "
        f"got {target!r}"
    )


def hint_schema(hint: Any, defs: Definitions) -> dict[str, Any]:
    """The JSON Schema of one type hint. The `$defs` a pydantic model's schema brings are moved
    into `defs`, for the caller to place at its schema's root (where their `$ref`s point)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        schema, said = hint_schema(args[0], defs), note(args[1:])
        return {**schema, "description": said} if said else schema
    if mark(hint):
        return hint_schema(args[0], defs)
    simple = _simple(hint, origin, args)
    if simple is not None:
        return simple
    if origin in (Union, types.UnionType):
        options = [hint_schema(a, defs) for a in args]
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin in (list, tuple, set, frozenset, dict) or hint in (list, tuple, set, dict):
        return _collection(hint, origin, args, defs)
    if isinstance(hint, type) and (dataclasses.is_dataclass(hint) or typing.is_typeddict(hint)):
        return _object(hint, defs)
    if is_model(hint):
        return _model(hint, defs)
    raise InvalidRequest(
        f"cannot describe {hint!r} as JSON Schema; use str, int, float, bool, lists, tuples, dicts, "
        "Literal, Enum, Optional, Annotated, nested dataclasses, TypedDicts or pydantic models"
    )


def _simple(hint: Any, origin: Any, args: tuple[Any, ...]) -> dict[str, Any] | None:
    """Scalars, null, Any, Literal and Enum; None for anything else."""
    if hint in SCALARS:
        return {"type": SCALARS[hint]}
    if hint is type(None) or hint is None:
        return {"type": "null"}
    if hint is Any:
        return {}
    if origin is Literal:
        return {"enum": json_values(hint, list(args))}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {"enum": json_values(hint, [member.value for member in hint])}
    return None


def _collection(hint: Any, origin: Any, args: tuple[Any, ...], defs: Definitions) -> dict[str, Any]:
    if origin is dict or hint is dict:
        return {"type": "object", "additionalProperties": hint_schema(args[1], defs) if len(args) == 2 else {}}
    if origin is tuple and args and args[-1] is not Ellipsis:
        items = [hint_schema(a, defs) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
    return {"type": "array", "items": hint_schema(args[0] if args else Any, defs)}


def _model(model: Any, defs: Definitions) -> dict[str, Any]:
    schema = dict(model.model_json_schema())
    for name, definition in dict(schema.pop("$defs", None) or {}).items():
        defs.define(name, definition)
    return schema


def _object(cls: type, defs: Definitions) -> dict[str, Any]:
    if cls in defs.building:
        defs.building[cls] = True
        return {"$ref": f"#/$defs/{cls.__name__}"}
    defs.building[cls] = False
    try:
        schema = _fields(cls, defs)
    finally:
        referred = defs.building.pop(cls)
    if referred:
        defs.define(cls.__name__, schema)
    return schema


def _fields(cls: type, defs: Definitions) -> dict[str, Any]:
    hints = get_type_hints(cls, include_extras=True)
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
        required = [name for name in names if typed_required(cls, name, hints[name])]
    properties = {name: hint_schema(hints[name], defs) for name in names}
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
