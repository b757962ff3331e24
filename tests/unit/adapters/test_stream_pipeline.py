"""The one HTTP stream pipeline: the sync and async loops give the same chunks for the same bytes,
and errors reported inside a stream are mapped by the same pattern table as error bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.providers.http.framing import FrameDecoder, sse_frames
from chi_llm.adapters.providers.openai_compatible import OpenAICompatibleGenerator
from chi_llm.domain.errors import BackendUnavailable, ContextLengthExceeded, GenerationFailed
from chi_llm.domain.generation import Chunk
from tests.support.scripted_stream import REQUEST, ScriptedTransport, async_run, sync_run


def both(lines: list[str], context: int | None = None) -> tuple[list[Chunk], list[Chunk]]:
    return sync_run(lines, context), async_run(lines, context)


def shape(chunks: list[Chunk]) -> list[tuple[str, Any, Any]]:
    return [(c.text, c.finish_reason, c.usage) for c in chunks]


def delta(text: str) -> str:
    return "data: " + json.dumps({"choices": [{"delta": {"content": text}, "finish_reason": None}]})


pieces = st.lists(st.text(alphabet="ab \n", min_size=1, max_size=4), max_size=6)


@given(
    texts=pieces,
    comments=st.lists(st.booleans(), max_size=6),
    final_blank=st.booleans(),
    done=st.booleans(),
    crlf=st.booleans(),
)
def test_sync_and_async_streams_agree(
    texts: list[str], comments: list[bool], final_blank: bool, done: bool, crlf: bool
) -> None:
    lines: list[str] = []
    for index, text in enumerate(texts):
        if index < len(comments) and comments[index]:
            lines.append(": keep-alive")
        lines += [delta(text), ""]
    usage = {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": len(texts)}}
    lines.append("data: " + json.dumps(usage))
    if final_blank or done:
        lines.append("")
    if done:
        lines += ["data: [DONE]", "", delta("never"), ""]
    if crlf:
        lines = [line + "\r\n" for line in lines]
    sync, asynchronous = both(lines)
    assert shape(sync) == shape(asynchronous)
    assert "".join(c.text for c in sync) == "".join(texts)
    assert sync[-1].usage is not None and sync[-1].usage.completion_tokens == len(texts)


def test_the_decoder_fed_line_by_line_matches_whole_decoding() -> None:
    lines = ["event: x", 'data: {"a":', "data: 1}", "", ": c", 'data: {"b": 2}']
    decoder = FrameDecoder("sse", backend="t")
    fed = [frame for line in lines for frame in decoder.feed(line)] + decoder.end()
    assert fed == list(sse_frames(lines, backend="t"))
    assert [(f.event, f.data) for f in fed] == [("x", {"a": 1}), (None, {"b": 2})]


def error_line(message: str) -> list[str]:
    return [delta("partial"), "", "data: " + json.dumps({"error": {"message": message}}), ""]


def test_a_context_overflow_reported_mid_stream_keeps_its_numbers() -> None:
    message = "This model's maximum context length is 4096 tokens. However, your messages resulted in 5000 tokens."
    for loop, context in ((sync_run, 2048), (async_run, None)):
        with pytest.raises(ContextLengthExceeded) as error:
            loop(error_line(message), context)
        assert (error.value.prompt_tokens, error.value.context) == (5000, 4096)


def test_a_key_quoted_in_a_mid_stream_error_is_redacted() -> None:
    key = "sk-live-in-stream-12345"
    adapter = OpenAICompatibleGenerator(ScriptedTransport(error_line(f"bad key {key}"), (key,)), model="m")
    with pytest.raises(GenerationFailed) as error:
        list(adapter.stream(REQUEST))
    assert key not in str(error.value) and "[redacted]" in str(error.value)


@pytest.mark.parametrize(
    ("message", "kind"),
    [("overloaded_error: Overloaded", BackendUnavailable), ("something odd happened", GenerationFailed)],
)
def test_other_mid_stream_errors_are_mapped_by_the_table(message: str, kind: type[Exception]) -> None:
    for loop in (sync_run, async_run):
        with pytest.raises(kind):
            loop(error_line(message))
