"""Decoding an answer that may call tools: the text read into text and call deltas (tool_reader).

With `tool_choice` auto (a syntax whose calls may come anywhere) the grammar is lazy, as
llama.cpp's own server makes it: the text is decoded free, stopping at the call opener; if the
model writes it, decoding goes on from there under the grammar of the calls. A grammar over the
whole vocabulary at every token would slow a small model's plain answers about threefold.

The answer's start is watched too (its first few tokens, held back meanwhile): when its first
non-blank text opens a call without the tags (`{"name":`, bare or in a ```json fence, as small
models trained for tools often write; llama.cpp's server triggers its Hermes grammar alike), the
answer is decoded again from there under the grammar of such calls. The trade-off is llama.cpp's
too: an answer that opens with a JSON object whose first key is "name" becomes a call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chi_llm.adapters.llama_cpp.decode import OPENING, DecodeJob, TokenCounter, decode
from chi_llm.adapters.llama_cpp.loader import LoadedModel
from chi_llm.adapters.llama_cpp.tool_grammar import lazy, tool_grammar
from chi_llm.adapters.llama_cpp.tool_reader import CallReader, ToolChunks
from chi_llm.adapters.llama_cpp.tool_syntax import CallSyntax, call_opening
from chi_llm.domain.generation import Chunk, Timings, Usage
from chi_llm.domain.tools import ToolSet


def with_tools(
    job: DecodeJob, tools: ToolSet, syntax: CallSyntax, room: int, vocab: Any, *, grammar: bool
) -> DecodeJob:
    """`job` reading calls in `syntax`, under the tools' grammar (lazy for auto) unless `grammar`
    is off (the `tool_grammar` setting). `room`: the most tokens the answer may take."""
    job = replace(job, calls=syntax)
    if not grammar:
        return job
    if lazy(tools, syntax):
        return replace(
            job,
            after_opener=tool_grammar(tools, syntax, tokens=room, vocab=vocab, opened=True),
            after_start=tool_grammar(tools, syntax, tokens=room, vocab=vocab, start=True),
        )
    return replace(job, grammar=tool_grammar(tools, syntax, tokens=room, vocab=vocab))


def _phase(
    model: LoadedModel,
    job: DecodeJob,
    counter: TokenCounter,
    emit: Callable[[Chunk], None],
    cancelled: threading.Event,
) -> tuple[list[str], Chunk, str | None]:
    """Decode `job`, handing on its text deltas; its text, final chunk and the stop that ended it."""
    texts: list[str] = []
    finals: list[Chunk] = []

    def keep(chunk: Chunk) -> None:
        if chunk.finish_reason is None:
            texts.append(chunk.text)
            emit(chunk)
        else:
            finals.append(chunk)

    matched = decode(model, job, counter, keep, cancelled)
    return texts, finals[-1], matched


def _joined(first: Chunk, second: Chunk, prompt: int) -> Chunk:
    """The final chunk of an answer decoded in two runs."""
    one, two = first.usage or Usage(prompt_tokens=prompt, completion_tokens=0), second.usage
    one_t, two_t = first.timings, second.timings
    return replace(
        second,
        usage=Usage(
            prompt_tokens=prompt,
            completion_tokens=one.completion_tokens + (two.completion_tokens if two else 0),
            cached_tokens=one.cached_tokens,
        ),
        timings=Timings(
            time_to_first_token=(one_t.time_to_first_token if one_t else None)
            or (two_t.time_to_first_token if two_t else None),
            total=(one_t.total if one_t else 0.0) + (two_t.total if two_t else 0.0),
            threads=two_t.threads if two_t else None,
        ),
    )


def decode_calls(
    model: LoadedModel,
    job: DecodeJob,
    counter: TokenCounter,
    emit: Callable[[Chunk], None],
    cancelled: threading.Event,
) -> None:
    """`decode` for an answer that may call tools (`job.calls` is their syntax)."""
    syntax = job.calls
    if syntax is None:
        decode(model, job, counter, emit, cancelled)
        return
    out = ToolChunks(emit, CallReader(syntax))
    if job.after_opener is None:
        decode(model, job, counter, out, cancelled)
        return
    opening = call_opening if job.after_start is not None else None
    free = replace(job, grammar=None, stops=[*job.stops, syntax.start], opening=opening)
    texts, first, matched = _phase(model, free, counter, out, cancelled)
    if matched not in (syntax.start, OPENING) or cancelled.is_set() or first.usage is None:
        out(first)
        return
    written = "".join(texts)  # with OPENING, the blanks before the call: it is decoded again
    if matched == syntax.start:
        out(Chunk(text=syntax.start))  # the opener, which ended the free text as a stop
        written += syntax.start
    tokens: list[int] = model.llm.tokenize(written.encode("utf-8"), add_bos=False, special=True)
    left = job.options.token_limit - first.usage.completion_tokens
    if left < 1 or len(job.prompt) + len(tokens) >= model.context:
        out(replace(first, finish_reason="length"))
        return
    calls = replace(
        job,
        prompt=[*job.prompt, *tokens],
        grammar=job.after_opener if matched == syntax.start else job.after_start,
        after_opener=None,
        after_start=None,
        options=replace(job.options, max_tokens=left),
    )
    _, second, _ = _phase(model, calls, counter, out, cancelled)
    out(_joined(first, second, len(job.prompt)))
