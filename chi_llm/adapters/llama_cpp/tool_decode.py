"""Decoding an answer that may call tools: the text read into text and call deltas (tool_reader).

With `tool_choice` auto (a syntax whose calls may come anywhere) the grammar is lazy, as
llama.cpp's own server makes it: the text is decoded free, stopping at the call opener; if the
model writes it, decoding goes on from there under the grammar of the calls. A grammar over the
whole vocabulary at every token would slow a small model's plain answers about threefold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chi_llm.adapters.llama_cpp.decode import DecodeJob, TokenCounter, decode
from chi_llm.adapters.llama_cpp.loader import LoadedModel
from chi_llm.adapters.llama_cpp.tool_grammar import lazy, tool_grammar
from chi_llm.adapters.llama_cpp.tool_reader import CallReader, ToolChunks
from chi_llm.adapters.llama_cpp.tool_syntax import CallSyntax
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
        return replace(job, after_opener=tool_grammar(tools, syntax, tokens=room, vocab=vocab, opened=True))
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
    free = replace(job, grammar=None, stops=[*job.stops, syntax.start])
    texts, first, matched = _phase(model, free, counter, out, cancelled)
    if matched != syntax.start or cancelled.is_set() or first.usage is None:
        out(first)
        return
    out(Chunk(text=syntax.start))  # the opener, which ended the free text as a stop
    written = "".join(texts) + syntax.start
    tokens: list[int] = model.llm.tokenize(written.encode("utf-8"), add_bos=False, special=True)
    left = job.options.token_limit - first.usage.completion_tokens
    if left < 1 or len(job.prompt) + len(tokens) >= model.context:
        out(replace(first, finish_reason="length"))
        return
    calls = replace(
        job,
        prompt=[*job.prompt, *tokens],
        grammar=job.after_opener,
        after_opener=None,
        options=replace(job.options, max_tokens=left),
    )
    _, second, _ = _phase(model, calls, counter, out, cancelled)
    out(_joined(first, second, len(job.prompt)))
