"""Which requests need a backend that takes tools, and the error when none of those asked can."""

from __future__ import annotations

from collections.abc import Sequence

from chi_llm.domain.errors import ToolsUnsupported
from chi_llm.domain.generation import GenerationRequest


def needs_tools(request: GenerationRequest) -> bool:
    """A request declares tools (whatever its tool_choice: with "none" the model still sees them),
    or its history carries an assistant's tool calls or a tool's result."""
    if request.options.tools is not None:
        return True
    return any(m.role == "tool" or m.tool_calls for m in request.messages)


def tools_unsupported(providers: Sequence[str]) -> ToolsUnsupported:
    """The error for a request needing tools that none of `providers` (ids or backend names,
    in the order asked) can take."""
    which = ", ".join(providers)
    one = len(providers) == 1
    return ToolsUnsupported(
        f"{'provider ' + which + ' cannot' if one else 'none of the providers ' + which + ' can'} call tools, "
        "and this request declares tools or carries tool calls or results; pick a provider and model "
        "that support tools (provider= or --provider, or a profile's tags), or send the request without them",
        backend=providers[0] if one else "router",
    )
