"""How `chi-llm chat` shows a tool turn: to a person, the model's text on stdout and each call
and result as one line on stderr (results whole with --verbose); with --json, one JSON object
per line on stdout: `{"event": "call", ...}`, `{"event": "result", ...}`, `{"event": "answer", ...}`
(errors as `{"error": {...}}`, the shape of every command's --json error)."""

from __future__ import annotations

import json
import shutil
import sys
from typing import TYPE_CHECKING, Any

from chi_llm.domain.errors import ChiLlmError
from chi_llm.entrypoints.cli import output
from chi_llm.entrypoints.cli.generate import completion_json, routed

if TYPE_CHECKING:
    from chi_llm.application.tools import ActResult, CallResult
    from chi_llm.domain.generation import Completion
    from chi_llm.domain.tools import ToolCall

RESULT_MARK = {"ok": "→"}  # every other status (error, refused, timeout, invalid) shows ✗ and its name


def visible(text: str, *, keep_lines: bool = False) -> str:
    """`text` safe for a terminal: control characters (an escape sequence in a tool's result
    could move the cursor or recolour the screen) written as escapes; on one line unless
    `keep_lines` (then newlines and tabs stay)."""
    if not keep_lines:
        text = " ".join(text.split())
    kept = "\n\t" if keep_lines else ""
    return "".join(c if c.isprintable() or c in kept else c.encode("unicode_escape").decode("ascii") for c in text)


def clipped(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def call_text(call: ToolCall) -> str:
    """`name(a=1, city="Oslo")`: the arguments as JSON values."""
    shown = ", ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in call.arguments.items())
    return f"{call.name}({shown})"


class View:
    """One chat's output of tool turns (its width read once, from the terminal)."""

    def __init__(self, *, as_json: bool, verbose: bool) -> None:
        self.as_json = as_json
        self.verbose = verbose
        self.out = sys.stdout  # the JSON lines' stream, kept while tools' own prints go to stderr
        self.width = shutil.get_terminal_size((100, 24)).columns
        self.announced: set[str] = set()
        self.open_line = False  # the model's text so far does not end a line
        self.round = 1  # the round the calls being asked about belong to

    def begin(self) -> None:
        """A new turn: its first round."""
        self.round = 1

    def _emit(self, event: dict[str, Any]) -> None:
        output.emit_json(event, one_line=True, file=self.out)

    def _note(self, text: str, *, clip: bool = True) -> None:
        self.end_line()  # the note starts on a line of its own
        output.note(clipped(text, self.width) if clip and not self.verbose else text)

    def end_line(self) -> None:
        """End the model's line of text, if one is open (before an error or the next prompt)."""
        if self.open_line:
            output.line()
            self.open_line = False

    def text(self, piece: str) -> None:
        if not self.as_json and piece:
            output.write(piece)
            self.open_line = not piece.endswith("\n")

    def round_done(self) -> None:
        self.round += 1

    def call(self, call: ToolCall) -> None:
        """The model asked for `call` (shown once, before it is asked about or run)."""
        if call.id in self.announced:
            return
        self.announced.add(call.id)
        if self.as_json:
            event = {"event": "call", "round": self.round, "id": call.id, "name": call.name}
            self._emit(event | {"arguments": dict(call.arguments)})
        else:
            # whole and as written, whatever the width: this is what the user is asked to allow
            self._note(f"tool {visible(call_text(call), keep_lines=True)}", clip=False)

    def result(self, result: CallResult) -> None:
        self.call(result.call)  # an invalid call was never asked about: show it now
        if self.as_json:
            call = result.call
            event = {"event": "result", "round": result.round, "id": call.id, "name": call.name}
            event |= {"status": result.status, "is_error": result.is_error, "content": result.content}
            self._emit(event)
            return
        mark = RESULT_MARK.get(result.status, f"✗ {result.status}:")
        self._note(f"  {mark} {visible(result.content, keep_lines=self.verbose)}")

    def answer(self, llm: Any, completion: Completion, result: ActResult | None = None) -> None:
        """The turn's answer: the end of its line, or (--json) its answer event."""
        if not self.as_json:
            output.line()  # as a streamed reply ends (chat_turn)
            self.open_line = False
            return
        rounds = {"rounds": result.rounds, "calls": len(result.calls)} if result is not None else {}
        self._emit({"event": "answer"} | completion_json(completion) | routed(llm) | rounds)

    def stopped(self) -> None:
        """Ctrl-C stopped the turn (it is not kept in the history)."""
        self._note("(stopped)", clip=False)

    def error(self, error: ChiLlmError) -> None:
        """A turn that failed, in a chat that goes on."""
        if self.as_json:
            self._emit(output.error_json(error))
        else:
            self._note(f"chi-llm: error: {error.message}", clip=False)
