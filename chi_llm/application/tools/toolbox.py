"""A toolbox: what a request offers (the ToolSet) from a mix of functions, async functions,
`tool(...)` values and bare Tool objects, and how to run the calls a model makes."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chi_llm.application.tools.arguments import convert
from chi_llm.application.tools.function_tool import FunctionTool, tool
from chi_llm.application.tools.sources import ToolSource
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.structured import SchemaValidator
from chi_llm.domain.tools import Tool, ToolCall, ToolMode, ToolSet

ToolLike = Tool | FunctionTool | ToolSource | Callable[..., Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Toolbox:
    """The tools offered (`tools`, a ToolSet) and the runner of each that has a function (a bare
    Tool is offered but not run: its calls are the application's to run)."""

    tools: ToolSet
    runners: Mapping[str, FunctionTool]
    validator: SchemaValidator

    def runner(self, name: str) -> FunctionTool:
        """The runner of tool `name`; InvalidRequest when none was offered or it has no function."""
        found = self.runners.get(name)
        if found is not None:
            return found
        if self.tools.named(name) is not None:
            raise InvalidRequest(f"tool {name!r} was offered without a function to run it; run its calls yourself")
        offered = ", ".join(t.name for t in self.tools.tools) or "none"
        raise InvalidRequest(f"the model called tool {name!r}, which was not offered (offered: {offered})")

    def arguments(self, call: ToolCall) -> dict[str, Any]:
        """The call's arguments as the function's keyword arguments, validated and converted."""
        return convert(self.runner(call.name), call.arguments, self.validator)

    def run(self, call: ToolCall) -> Any:
        """Run a call here and now (an async tool in its own event loop; refused inside one).
        The tool's own exceptions propagate unchanged."""
        runner = self.runner(call.name)
        values = self.arguments(call)
        if not runner.is_async:
            return runner.function(**values)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(runner.function(**values))
        raise InvalidRequest(f"tool {call.name!r} is async and an event loop is running: await arun(call) instead")

    async def arun(self, call: ToolCall) -> Any:
        """Run a call in asyncio: an async tool is awaited, a sync one runs in a worker thread so
        the loop (and other calls, gathered) go on meanwhile."""
        runner = self.runner(call.name)
        values = self.arguments(call)
        if runner.is_async:
            return await runner.function(**values)
        result = await asyncio.to_thread(runner.function, **values)
        return await result if inspect.isawaitable(result) else result


def _runners(item: ToolLike) -> list[Tool | FunctionTool]:
    if isinstance(item, Tool | FunctionTool):
        return [item]
    if isinstance(item, ToolSource):
        return list(item.tools)
    if callable(item):
        return [tool(item)]
    raise InvalidRequest(f"tools are functions, Tool objects or tool(...) values, or MCP toolboxes; got {item!r}")


def toolbox(
    items: Iterable[ToolLike],
    validator: SchemaValidator,
    *,
    choice: ToolMode | str = "auto",
    parallel: bool | None = None,
) -> Toolbox:
    """The toolbox of `items`. Raises InvalidRequest for a tool whose schema cannot be derived,
    a schema that is not valid JSON Schema, or a name given twice (naming where each came from)."""
    made = [entry for item in items for entry in _runners(item)]
    sources: dict[str, list[str]] = {}
    for entry in made:
        name = entry.name
        sources.setdefault(name, []).append(entry.origin if isinstance(entry, FunctionTool) else "a Tool object")
    repeated = {name: where for name, where in sources.items() if len(where) > 1}
    if repeated:
        said = "; ".join(f"{name!r} by {' and '.join(where)}" for name, where in sorted(repeated.items()))
        raise InvalidRequest(f"tool names must be unique; given twice: {said}. Rename one: tool(function, name=...)")
    tools = tuple(entry.tool if isinstance(entry, FunctionTool) else entry for entry in made)
    for offered in tools:
        problems = validator.check_schema(offered.parameters)
        if problems:
            raise InvalidRequest(f"tool {offered.name!r}: its parameters are not a valid JSON Schema: {problems[0]}")
    runners = {entry.name: entry for entry in made if isinstance(entry, FunctionTool)}
    return Toolbox(tools=ToolSet(tools=tools, choice=choice, parallel=parallel), runners=runners, validator=validator)
