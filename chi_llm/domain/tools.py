"""Tool calling: the tools a request offers, the calls a model makes, and the pieces of those
calls a stream carries (assembled per index into the same calls a whole answer gives)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chi_llm.domain.errors import InvalidRequest

# The longest a tool call may be waited for: a day (longer waits overflow a thread wait, and no
# call should need them).
MAX_TOOL_TIMEOUT = 86400.0

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what every provider accepts as a tool's name
ToolMode = Literal["auto", "none", "required"]
MODES: tuple[ToolMode, ...] = ("auto", "none", "required")


@dataclass(frozen=True, slots=True, kw_only=True)
class Tool:
    """A tool the model may call: its name, what it does, and the JSON Schema of its arguments
    (an object schema)."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not NAME.match(self.name):
            raise InvalidRequest(
                f"tool name {self.name!r} is not allowed: use 1-64 letters, digits, '_' or '-' "
                "(what every provider accepts)"
            )
        if not isinstance(self.parameters, Mapping) or self.parameters.get("type") != "object":
            raise InvalidRequest(f"tool {self.name!r}: its parameters must be a JSON Schema with type 'object'")


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """A call the model asked for: `arguments` parsed from `raw` (the JSON text it came as)."""

    id: str
    name: str
    arguments: Mapping[str, Any]
    raw: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallDelta:
    """A piece of a streamed call: the call at `index` gets its id and name once and its
    arguments' JSON text in fragments, concatenated in order."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolSet:
    """What a request offers: the tools, which the model must or may use (`choice`: auto, none,
    required, or one tool's name), and whether it may ask for several calls at once (None: the
    provider's default)."""

    tools: tuple[Tool, ...]
    choice: ToolMode | str = "auto"
    parallel: bool | None = None

    def __post_init__(self) -> None:
        names = [tool.name for tool in self.tools]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise InvalidRequest(f"tool names must be unique; given twice: {', '.join(repeated)}")
        if self.choice not in MODES and self.choice not in names:
            raise InvalidRequest(
                f"tool_choice {self.choice!r} is neither auto, none, required nor a tool given "
                f"({', '.join(names) or 'no tools'})"
            )

    def named(self, name: str) -> Tool | None:
        return next((tool for tool in self.tools if tool.name == name), None)


def parse_arguments(name: str, raw: str) -> Mapping[str, Any]:
    """A call's arguments from their JSON text (empty text: no arguments); an InvalidRequest
    naming the tool when they are not a JSON object."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"the model's arguments for tool {name!r} are not JSON ({exc.msg})") from None
    except RecursionError:
        raise InvalidRequest(f"the model's arguments for tool {name!r} are nested too deeply to read") from None
    if not isinstance(value, dict):
        raise InvalidRequest(f"the model's arguments for tool {name!r} are not a JSON object")
    return value


def assemble(deltas: Iterable[ToolCallDelta]) -> tuple[ToolCall, ...]:
    """The calls a stream's deltas make, in index order: per index the first id and name given
    and the concatenated argument fragments."""
    ids: dict[int, str] = {}
    names: dict[int, str] = {}
    texts: dict[int, list[str]] = {}
    for delta in deltas:
        texts.setdefault(delta.index, [])
        if delta.id and delta.index not in ids:
            ids[delta.index] = delta.id
        if delta.name and delta.index not in names:
            names[delta.index] = delta.name
        texts[delta.index].append(delta.arguments)
    calls = []
    for index in sorted(texts):
        name = names.get(index)
        if name is None:
            raise InvalidRequest(f"the stream's tool call {index} never named its tool")
        raw = "".join(texts[index])
        arguments = parse_arguments(name, raw)
        calls.append(ToolCall(id=ids.get(index) or f"call_{index}", name=name, arguments=arguments, raw=raw))
    return tuple(calls)
