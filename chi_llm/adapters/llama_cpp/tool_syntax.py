"""How a local model writes a tool call, told from its chat template.

Two syntaxes, as the model families' own templates write calls in the history:
- Hermes (Qwen2.5/3, Hermes 2/3, and the generic format for templates without tools):
  `<tool_call>\\n{"name": NAME, "arguments": {...}}\\n</tool_call>`, several one after another;
- Llama 3.1+ JSON tool calling: `{"name": NAME, "parameters": {...}}`, one call, as the whole answer.

Models trained on Hermes calls often drop the tags: an answer whose first non-blank text opens
a call object, bare or in a ```json fence (`call_opening`), holds calls too, as llama.cpp's
server reads it.
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


WAIT = -1  # call_opening: the text so far may still become a call's opening
FENCE = "```"
_FENCE_TAGS = ("json", "")
_OPENING = ("{", " ", '"name"', " ", ":")  # a call object's start; " " stands for any blanks


def blanks(text: str, pos: int) -> int:
    """The first position at or after `pos` that is not blank."""
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def fence_end(text: str, pos: int) -> int:
    """Where the text after a ```json (or bare ```) fence opener at `pos` begins (past its blanks);
    `pos` when no fence opens there; WAIT when the text ends inside one."""
    if not text.startswith(FENCE, pos):
        return WAIT if FENCE.startswith(text[pos:]) and pos < len(text) else pos
    at = pos + len(FENCE)
    word = at
    while word < len(text) and text[word].isalpha():
        word += 1
    tag = text[at:word].lower()
    if word == len(text):
        return WAIT if any(t.startswith(tag) for t in _FENCE_TAGS) else pos
    if tag not in _FENCE_TAGS:
        return pos
    return blanks(text, word)


def call_opening(text: str) -> int | None:
    """Where a call written without the syntax's tags begins, when the answer's first non-blank
    text opens one: `{"name":`, bare or inside a ```json (or ```) fence, as llama.cpp's server
    reads Hermes answers (its lazy grammar's triggers); WAIT while `text` may still grow into
    one; None when it cannot (later JSON, a code answer, never opens a call)."""
    start = blanks(text, 0)
    if start == len(text):
        return WAIT
    at = fence_end(text, start)
    if at == WAIT or at == len(text):
        return WAIT
    for part in _OPENING:
        if part == " ":
            at = blanks(text, at)
            continue
        if not text.startswith(part, at):
            return WAIT if part.startswith(text[at:]) else None
        at += len(part)
    return start
