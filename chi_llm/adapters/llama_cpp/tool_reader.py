"""Reading a local model's answer as it streams: text deltas until a tool call starts, then one
tool-call delta per call as each is written whole (its arguments' JSON text exactly as the model
wrote it). Whatever split the text arrives in, the chunks assemble to the same answer.

In a syntax with call tags, an answer whose first non-blank text is a call object written without
them (`{"name": ...}`, bare or in a ```json fence, tool_syntax.call_opening) is read as calls too,
as llama.cpp's server reads Hermes answers: small models trained for tools often drop the tags."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import replace

from chi_llm.adapters.llama_cpp.decode import held_back
from chi_llm.adapters.llama_cpp.tool_syntax import FENCE, WAIT, CallSyntax, blanks, call_fields, call_opening, fence_end
from chi_llm.domain.generation import Chunk, FinishReason
from chi_llm.domain.tools import ToolCallDelta

_DECODER = json.JSONDecoder()
_ARGS_KEY = re.compile(r'"(?:arguments|parameters)"\s*:\s*')
_NAME = re.compile(r'"name"\s*:\s*"([A-Za-z0-9_-]{1,64})"')


def new_id() -> str:
    """A call's id: nine letters and digits (Mistral's templates refuse any other id)."""
    return "call" + secrets.token_hex(3)[:5]


def _arguments_text(region: str, start: int, end: int, arguments: object) -> str:
    """The arguments' JSON text as written between `start` and `end` (the call object); a
    string value holding JSON (as OpenAI sends arguments) is that JSON text."""
    if isinstance(arguments, str):
        return arguments
    found = _ARGS_KEY.search(region, start, end)
    if found is not None:
        try:
            value, stop = _DECODER.raw_decode(region, found.end())
        except json.JSONDecodeError:
            value, stop = None, found.end()
        if value == arguments and stop <= end:
            return region[found.end() : stop]
    return json.dumps(arguments, ensure_ascii=False)


class CallReader:
    """Splits an answer into text and calls written in `syntax`. `feed` the text as it comes,
    then `finish` with the decoder's finish reason."""

    def __init__(self, syntax: CallSyntax, make_id: Callable[[], str] = new_id) -> None:
        self.syntax = syntax
        self.make_id = make_id
        self.pending = ""  # text not handed on yet (it may be the start of a call)
        self.region: str | None = None  # the answer from the first call on
        self.pos = 0  # how far into `region` the calls have been read
        self.calls = 0
        self.decided = syntax.anywhere  # a syntax whose calls open the answer decides at its first letter
        self.plain = False  # no call can come any more
        self.opening = syntax.anywhere  # the answer's start may still open a call without tags
        self.bare = False  # the calls are written without tags, from the answer's start
        self.fence = False  # they are in a ```json fence
        self.closed = False  # that fence is closed: the calls are over

    def feed(self, text: str) -> list[Chunk]:
        if self.region is not None:
            self.region += text
            return self._read(fed=text)
        self.pending += text
        if self.opening:
            at = call_opening(self.pending)
            if at == WAIT:
                return []
            self.opening = False
            if at is not None:
                self.bare, self.region, self.pending = True, self.pending[at:], ""
                self.fence = self.region.startswith(FENCE)
                return self._read()
        if not self.decided:
            first = blanks(self.pending, 0)
            if first == len(self.pending):
                return []
            self.decided = True
            if self.pending.startswith(self.syntax.start, first):
                self.region, self.pending = self.pending[first:], ""
                return self._read()
            self.plain = True
        if self.plain:
            out, self.pending = self.pending, ""
            return [Chunk(text=out)] if out else []
        found = self.pending.find(self.syntax.start)
        if found >= 0:
            before, self.region, self.pending = self.pending[:found], self.pending[found:], ""
            return ([Chunk(text=before)] if before else []) + self._read()
        keep = held_back(self.pending, [self.syntax.start])
        out, self.pending = self.pending[: len(self.pending) - keep], self.pending[len(self.pending) - keep :]
        return [Chunk(text=out)] if out else []

    def _call(self, pos: int, *, final: bool) -> tuple[ToolCallDelta, int] | None:
        """The call written at `pos` of the region and where it ends, or None when it is not
        (yet) whole. `final`: the answer is over, so a call missing only its closing tag counts."""
        region, syntax = self.region or "", self.syntax
        opener = "" if self.bare else syntax.prefix.strip()
        if self.fence and not self.calls:
            pos = fence_end(region, pos)
        if not region.startswith(opener, pos):
            return None
        start = blanks(region, pos + len(opener))
        try:
            value, end = _DECODER.raw_decode(region, start)
        except (json.JSONDecodeError, RecursionError):
            return None
        fields = call_fields(value, syntax)
        if fields is None or (self.bare and not {syntax.args_key, "arguments", "parameters"} & set(value)):
            return None  # a bare object is a call only with its arguments (not any JSON with a name)
        closer = "" if self.bare else syntax.suffix.strip()
        after = blanks(region, end)
        if region.startswith(closer, after):
            after += len(closer)
        elif not final:
            return None
        elif closer.startswith(region[after:].rstrip()):  # the closing tag cut off: the call is whole
            after = len(region)
        delta = ToolCallDelta(
            index=self.calls,
            id=self.make_id(),
            name=fields[0],
            arguments=_arguments_text(region, start, end, fields[1]),
        )
        return delta, after

    def _read(self, *, final: bool = False, fed: str | None = None) -> list[Chunk]:
        out: list[Chunk] = []
        closer = "" if self.bare else self.syntax.suffix.strip()
        if self.bare and (self.closed or (fed is not None and not {"}", "`"} & set(fed))):
            return out  # the fence closed, or no call can have ended: no JSON parse for every token
        while True:
            region = self.region or ""
            if not final and closer and closer not in region[self.pos :]:
                return out  # no call can be whole yet: no JSON parse for every token of a long call
            pos = blanks(region, self.pos)
            found = self._call(pos, final=final)
            if found is None:
                if self.fence and self.calls and region.startswith(FENCE, pos):
                    self.pos, self.closed = pos + len(FENCE), True
                return out
            delta, self.pos = found
            self.calls += 1
            out.append(Chunk(tool_calls=(delta,)))

    def finish(self, reason: FinishReason) -> list[Chunk]:
        """The rest of the answer: held-back text, a call missing its closing tag; a call cut off
        by the token limit as a delta that cannot assemble (collect then says to raise max_tokens);
        anything else the model wrote after its calls as text."""
        if self.region is None:
            out, self.pending = self.pending, ""
            return [Chunk(text=out)] if out else []
        chunks = self._read(final=True)
        rest = self.region[blanks(self.region, self.pos) :]
        self.pos = len(self.region)
        if not rest:
            return chunks
        if reason == "length" and rest.startswith(("{", FENCE) if self.bare else self.syntax.start):
            named = _NAME.search(rest)
            delta = ToolCallDelta(
                index=self.calls, id=self.make_id(), name=named.group(1) if named else None, arguments=rest
            )
            return [*chunks, Chunk(tool_calls=(delta,))]
        return [*chunks, Chunk(text=rest)]

    def reason(self, reason: FinishReason) -> FinishReason:
        return "tool_calls" if self.calls and reason == "stop" else reason


class ToolChunks:
    """An `emit` for the decoder that hands on what a CallReader makes of its chunks."""

    def __init__(self, emit: Callable[[Chunk], None], reader: CallReader) -> None:
        self.emit = emit
        self.reader = reader

    def __call__(self, chunk: Chunk) -> None:
        if chunk.finish_reason is None:
            for piece in self.reader.feed(chunk.text):
                self.emit(piece)
            return
        for piece in self.reader.finish(chunk.finish_reason):
            self.emit(piece)
        self.emit(replace(chunk, finish_reason=self.reader.reason(chunk.finish_reason)))
