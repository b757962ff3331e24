"""Tools for tool calling: Python functions described as tools, and the toolbox that offers
them to a model and runs the calls it makes."""

from chi_llm.application.tools.approval import Verdict
from chi_llm.application.tools.drive import Hooks, aoutcome, arun_loop, outcome, run_loop
from chi_llm.application.tools.events import (
    ActResult,
    CallResult,
    CallStarted,
    Finished,
    LoopEvent,
    RoundDone,
    TextDelta,
)
from chi_llm.application.tools.function_tool import FunctionTool, tool
from chi_llm.application.tools.loop_state import ToolLoop
from chi_llm.application.tools.signature import describe
from chi_llm.application.tools.toolbox import Toolbox, ToolLike, toolbox

__all__ = [
    "ActResult",
    "CallResult",
    "CallStarted",
    "Finished",
    "FunctionTool",
    "Hooks",
    "LoopEvent",
    "RoundDone",
    "TextDelta",
    "ToolLike",
    "ToolLoop",
    "Toolbox",
    "Verdict",
    "aoutcome",
    "arun_loop",
    "describe",
    "outcome",
    "run_loop",
    "tool",
    "toolbox",
]
