"""A tool from a Python function: its name, its docstring's description, and the JSON Schema of
its parameters from their type hints (and the docstring's or `Annotated`'s word on each)."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

from chi_llm.application.tools.docstrings import read_docstring
from chi_llm.application.type_parts import Definitions
from chi_llm.application.type_schema import hint_schema
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.tools import NAME, Tool

NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def unwrap(function: Callable[..., Any]) -> Callable[..., Any]:
    """The function behind any functools.partial around it."""
    while isinstance(function, functools.partial):
        function = function.func
    return function


def origin(function: Callable[..., Any]) -> str:
    """Where a function comes from, for messages: `module.qualname`."""
    inner = unwrap(function)
    qualname = getattr(inner, "__qualname__", None) or type(inner).__qualname__
    module = getattr(inner, "__module__", None)
    return f"{module}.{qualname}" if module else str(qualname)


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    inner = unwrap(function)
    if not (inspect.isroutine(inner) or isinstance(inner, type)):
        inner = type(inner).__call__  # a callable object: its __call__'s hints
    try:
        return typing.get_type_hints(inner, include_extras=True)
    except Exception as exc:  # a hint that does not resolve raises anything (NameError, TypeError...)
        raise InvalidRequest(
            f"cannot read the type hints of {origin(function)}: {exc} (the types its hints name must be "
            "importable from its module, not defined inside another function)"
        ) from None


def _parameters(function: Callable[..., Any]) -> list[inspect.Parameter]:
    where = origin(function)
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"cannot read the signature of {where} to make it a tool: {exc}") from None
    for parameter in parameters:
        if parameter.kind not in NAMED:
            raise InvalidRequest(
                f"{where}: parameter {parameter}: a tool's arguments are named, so *args, **kwargs and "
                "positional-only parameters cannot be described; give it named parameters only"
            )
    return parameters


def describe(
    function: Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> tuple[Tool, dict[str, Any]]:
    """(the tool, each parameter's type hint for turning JSON arguments back into Python values).

    Raises:
        InvalidRequest: naming the function and the parameter whose schema cannot be derived.
    """
    where = origin(function)
    inner = unwrap(function)
    chosen = name if name is not None else getattr(inner, "__name__", None)
    if not isinstance(chosen, str):
        raise InvalidRequest(f"{where} has no name to call it by; give one: tool(function, name=...)")
    if not NAME.match(chosen):
        raise InvalidRequest(
            f"{where}: tool name {chosen!r} is not allowed (1-64 letters, digits, '_' or '-'); "
            "give another: tool(function, name=...)"
        )
    parameters = _parameters(function)
    hints = _hints(function)
    summary, documented = read_docstring(inspect.getdoc(inner))
    defs = Definitions()
    properties: dict[str, Any] = {}
    for parameter in parameters:
        if parameter.name not in hints:
            raise InvalidRequest(
                f"{where}: parameter {parameter.name!r} has no type hint; annotate it (e.g. `{parameter.name}: str`) "
                "so the model knows what to pass"
            )
        try:
            schema = hint_schema(hints[parameter.name], defs)
        except InvalidRequest as exc:
            raise InvalidRequest(f"{where}: parameter {parameter.name!r}: {exc.message}") from None
        if "description" not in schema and parameter.name in documented:
            schema = {**schema, "description": documented[parameter.name]}
        properties[parameter.name] = schema
    required = [p.name for p in parameters if p.default is inspect.Parameter.empty]
    shape: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    shape["additionalProperties"] = False
    if defs:
        shape["$defs"] = dict(defs)
    made = Tool(name=chosen, description=summary if description is None else description, parameters=shape)
    return made, {p.name: hints[p.name] for p in parameters}
