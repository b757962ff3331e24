"""A validated JSON value turned back into the Python type it was described from (the other
half of type_schema): nested dataclasses, enums, TypedDicts, tuples and pydantic-style models."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints


def is_model(hint: Any) -> bool:
    """Whether `hint` is a pydantic-style model class (it describes and validates itself)."""
    return isinstance(hint, type) and callable(getattr(hint, "model_json_schema", None))


def build(hint: Any, value: Any) -> Any:
    """A validated JSON value as an instance of `hint` (nested dataclasses, enums and models
    rebuilt); the type's own checks (a model's validation, `__post_init__`) may raise."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        return build(args[0], value)
    if isinstance(hint, type):
        return _instance(hint, value)
    if origin is tuple and args and args[-1] is not Ellipsis and isinstance(value, list):
        return tuple(build(a, v) for a, v in zip(args, value, strict=False))
    if origin in (list, set, frozenset, tuple) and isinstance(value, list) and args:
        built = [build(args[0], v) for v in value]
        return origin(built) if origin is not list else built
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        return {k: build(args[1], v) for k, v in value.items()}
    if origin in (Union, types.UnionType) and value is not None:
        non_null = [a for a in args if a is not type(None)]
        return build(non_null[0], value) if len(non_null) == 1 else value
    return value


def _instance(hint: Any, value: Any) -> Any:
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        hints, make = get_type_hints(hint), typing.cast(Any, hint)
        return make(**{k: build(hints[k], v) for k, v in value.items() if k in hints})
    if issubclass(hint, enum.Enum):
        return hint(value)
    if is_model(hint) and callable(getattr(hint, "model_validate", None)):
        return hint.model_validate(value)
    if typing.is_typeddict(hint) and isinstance(value, dict):
        hints = get_type_hints(hint)
        return {k: build(hints[k], v) if k in hints else v for k, v in value.items()}
    return value
