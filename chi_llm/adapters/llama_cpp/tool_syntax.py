"""How a local model writes a tool call, told from its chat template.

Two syntaxes, as the model families' own templates write calls in the history:
- Hermes (Qwen2.5/3, Hermes 2/3, and the generic format for templates without tools):
  `<tool_call>\\n{"name": NAME, "arguments": {...}}\\n</tool_call>`, several one after another;
- Llama 3.1+ JSON tool calling: `{"name": NAME, "parameters": {...}}`, one call, as the whole answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CallSyntax:
    """A call is `prefix` + `{"name": NAME, "<args_key>": ARGS}` + `suffix`; calls are joined by
    `separator`. `start` marks where a call begins in the answer: anywhere (`anywhere`), or only
    as the answer's first non-blank text."""

    name: str
    prefix: str
    suffix: str
    args_key: str
    anywhere: bool
    multiple: bool
    separator: str = "\n"

    @property
    def start(self) -> str:
        return self.prefix.strip() or "{"

    def head(self, name: str) -> str:
        """The call's text before its arguments (what the grammar writes as a literal)."""
        return f'{self.prefix}{{"name": {json.dumps(name)}, "{self.args_key}": '

    def tail(self) -> str:
        return "}" + self.suffix

    def text(self, name: str, arguments: str) -> str:
        """A whole call as this syntax writes it (for a history rendered as plain text)."""
        return self.head(name) + arguments + self.tail()


HERMES = CallSyntax(
    name="hermes", prefix="<tool_call>\n", suffix="\n</tool_call>", args_key="arguments", anywhere=True, multiple=True
)
LLAMA3 = CallSyntax(name="llama3", prefix="", suffix="", args_key="parameters", anywhere=False, multiple=False)


def detect(template: str) -> CallSyntax:
    """The syntax a template writes calls in: Llama 3's JSON when it speaks of `parameters` and
    the ipython role (Llama 3.1+), else Hermes' `<tool_call>` tags (also the generic format)."""
    if "<tool_call>" not in template and '"parameters"' in template and "ipython" in template:
        return LLAMA3
    return HERMES


def call_fields(value: Any, syntax: CallSyntax) -> tuple[str, Any] | None:
    """(name, arguments) of a parsed call object, or None when it is not one."""
    if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
        return None
    for key in (syntax.args_key, "arguments", "parameters"):
        if key in value:
            return value["name"], value[key]
    return value["name"], {}
