"""Tools for tool calling: Python functions described as tools, and the toolbox that offers
them to a model and runs the calls it makes."""

from chi_llm.application.tools.function_tool import FunctionTool, tool
from chi_llm.application.tools.signature import describe
from chi_llm.application.tools.toolbox import Toolbox, ToolLike, toolbox

__all__ = ["FunctionTool", "ToolLike", "Toolbox", "describe", "tool", "toolbox"]
