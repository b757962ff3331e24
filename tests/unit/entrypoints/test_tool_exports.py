"""The tool-calling names an application needs are importable from `chi_llm` itself."""

from __future__ import annotations

import chi_llm
from chi_llm import ActResult, InvalidToolCall, MicroLLM, Tool, ToolCall, ToolLoopLimit, ToolsUnsupported, tool


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_tool_calling_names_come_from_the_package(isolated: object) -> None:
    replies = [{"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]}, "It is 5."]
    llm = MicroLLM(provider={"type": "fake", "replies": replies})
    result = llm.act("What is 2 + 3?", [add])
    assert isinstance(result, ActResult) and result.text == "It is 5."
    assert [(c.call.name, c.content) for c in result.calls] == [("add", "5")]
    assert isinstance(result.calls[0].call, ToolCall) and Tool(name="t").name == "t"
    assert issubclass(ToolLoopLimit, chi_llm.InvalidRequest) and issubclass(InvalidToolCall, chi_llm.ChiLlmError)
    assert issubclass(ToolsUnsupported, chi_llm.InvalidRequest)
    assert {"tool", "Tool", "ToolCall", "ActResult", "ToolsUnsupported", "ToolLoopLimit", "InvalidToolCall"} <= set(
        chi_llm.__all__
    )
