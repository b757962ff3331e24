"""A tool paired with the function that runs it, and `tool()` that makes one from a function
(its schema derived, or given)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, overload

from chi_llm.application.tools.docstrings import read_docstring
from chi_llm.application.tools.signature import describe, origin, unwrap
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.tools import Tool


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionTool:
    """A tool and its function. `hints` (parameter name → type hint) turn the model's JSON
    arguments into the function's Python types; a parameter without one gets the JSON value."""

    tool: Tool
    function: Callable[..., Any]
    hints: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.tool, Tool) or not callable(self.function):
            raise InvalidRequest("FunctionTool pairs a Tool with a callable; make one with tool(function)")

    @property
    def name(self) -> str:
        return self.tool.name

    @property
    def origin(self) -> str:
        """The function's `module.qualname`, for messages."""
        return origin(self.function)

    @property
    def is_async(self) -> bool:
        """Whether calling the function gives a coroutine to await (`async def`, also behind
        functools.partial or as an object's `async def __call__`)."""
        function = unwrap(self.function)
        call = function if inspect.isroutine(function) else type(function).__call__
        return inspect.iscoroutinefunction(call)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The function itself, so a decorated function stays callable."""
        return self.function(*args, **kwargs)


@overload
def tool(
    function: Callable[..., Any],
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> FunctionTool: ...


@overload
def tool(
    function: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], FunctionTool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> FunctionTool | Callable[[Callable[..., Any]], FunctionTool]:
    """A function as a tool: `tool(fn)`, `tool(fn, name=..., description=...)`, or as a
    decorator (`@tool` / `@tool(name=...)`). With `parameters` (a JSON Schema object) the schema
    is yours and the function receives the arguments as JSON values; without, it is derived
    from the signature, type hints and docstring.

    Raises:
        InvalidRequest: the schema cannot be derived (naming the function and the parameter).
    """

    def make(chosen: Callable[..., Any]) -> FunctionTool:
        if not callable(chosen):
            raise InvalidRequest(f"tool() takes a function; got {chosen!r}")
        if parameters is None:
            made, hints = describe(chosen, name=name, description=description)
            return FunctionTool(tool=made, function=chosen, hints=hints)
        named = name if name is not None else getattr(unwrap(chosen), "__name__", None)
        if not isinstance(named, str):
            raise InvalidRequest(f"{origin(chosen)} has no name to call it by; give one: tool(function, name=...)")
        said = description if description is not None else read_docstring(inspect.getdoc(unwrap(chosen)))[0]
        return FunctionTool(tool=Tool(name=named, description=said, parameters=dict(parameters)), function=chosen)

    return make if function is None else make(function)
