"""A call's JSON arguments checked against its tool's schema and turned into the function's
Python values, with errors that name the tool and the argument (they go back to the model)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chi_llm.application.tools.function_tool import FunctionTool
from chi_llm.application.type_values import build
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.structured import SchemaValidator

SHOWN = 5  # problems listed in one message
WHERE = re.compile(r"^\$((?:\.[^.:\[]+|\[\d+\])+): (.*)$", re.DOTALL)


def _say(problem: str) -> str:
    """`$.address.city: ...` as `argument 'address.city': ...` (a problem at the root as it is)."""
    found = WHERE.match(problem)
    if found is None:
        return problem.removeprefix("$: ")
    return f"argument {found.group(1).removeprefix('.')!r}: {found.group(2)}"


def _reason(exc: Exception) -> str:
    """Why a type refused a value, on one line (a pydantic error as `where: message` each)."""
    errors = getattr(exc, "errors", None)
    found = errors() if callable(errors) else None
    if isinstance(found, list) and found and all(isinstance(error, dict) for error in found):
        return "; ".join(f"{'.'.join(map(str, e.get('loc', ()))) or '$'}: {e.get('msg', '')}" for e in found[:SHOWN])
    return " ".join(str(exc).split()) or type(exc).__name__


def check(runner: FunctionTool, arguments: Mapping[str, Any], validator: SchemaValidator) -> None:
    """Raise when the arguments do not follow the tool's parameters schema."""
    problems = validator.errors(dict(arguments), runner.tool.parameters)
    if problems:
        listed = "; ".join(_say(problem) for problem in problems[:SHOWN])
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise InvalidRequest(
            f"the arguments for tool {runner.name!r} do not follow its parameters: {listed}{more}. "
            "Call it again with arguments that follow its schema"
        )


def convert(runner: FunctionTool, arguments: Mapping[str, Any], validator: SchemaValidator) -> dict[str, Any]:
    """The keyword arguments to call the function with: checked, then each built into its
    parameter's type (enums, dataclasses, TypedDicts, pydantic models, lists, tuples)."""
    check(runner, arguments, validator)
    values: dict[str, Any] = {}
    for key, value in arguments.items():
        hint = runner.hints.get(key)
        try:
            values[key] = value if hint is None else build(hint, value)
        except (ValueError, TypeError) as exc:  # the type's own checks: a model's validation, __post_init__
            raise InvalidRequest(f"tool {runner.name!r}: argument {key!r} is not valid: {_reason(exc)}") from None
    return values
