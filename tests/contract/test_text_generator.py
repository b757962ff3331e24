"""The TextGenerator contract, run against every adapter (see conftest.ADAPTERS)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from chi_llm.domain.errors import ContextLengthExceeded, ModelNotFound
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from tests.contract.conftest import CONTEXT, Subject

GREEDY: dict[str, Any] = {"temperature": 0.0, "seed": 7}


def ask(text: str, **options: Any) -> GenerationRequest:
    return GenerationRequest(
        messages=(Message(role="user", content=text),), options=GenerationOptions(**{**GREEDY, **options})
    )


def test_generate_returns_text_and_usage(subject: Subject) -> None:
    completion = subject.generator.generate(ask("Write one sentence about the sea.", max_tokens=24))
    assert completion.text.strip()
    assert completion.finish_reason in ("stop", "length")
    assert completion.usage.prompt_tokens > 0
    assert 0 < completion.usage.completion_tokens <= 24
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_stream_yields_deltas_then_exactly_one_finish_reason(subject: Subject) -> None:
    chunks = list(subject.generator.stream(ask("Name three colours.", max_tokens=16)))
    finals = [c for c in chunks if c.finish_reason is not None]
    assert len(finals) == 1 and chunks[-1] is finals[0]
    assert finals[0].usage is not None and finals[0].usage.completion_tokens > 0
    deltas = chunks[:-1]
    assert deltas and all(c.text for c in deltas)


def test_stream_and_generate_agree(subject: Subject) -> None:
    request = ask("Say something about mountains.", max_tokens=20)
    whole = subject.generator.generate(request)
    streamed = "".join(c.text for c in subject.generator.stream(request))
    assert whole.text.strip() and streamed == whole.text


async def test_async_parity_with_sync(subject: Subject) -> None:
    request = ask("Describe a tree.", max_tokens=20)
    sync = subject.generator.generate(request)
    completion = await subject.generator.agenerate(request)
    chunks = [c async for c in subject.generator.astream(request)]
    assert sync.text.strip() and completion.text == sync.text
    assert "".join(c.text for c in chunks) == sync.text
    if subject.stream_usage:  # what a cache saved depends on what ran before: not compared
        counted = (completion.usage.prompt_tokens, completion.usage.completion_tokens)
        assert counted == (sync.usage.prompt_tokens, sync.usage.completion_tokens)
    else:
        assert completion.usage.completion_tokens > 0
    assert sum(1 for c in chunks if c.finish_reason) == 1


def test_max_tokens_is_honoured(subject: Subject) -> None:
    completion = subject.generator.generate(ask("Tell me a long story about a dragon and a knight.", max_tokens=3))
    assert completion.usage.completion_tokens <= 3
    if completion.finish_reason == "length":
        assert completion.usage.completion_tokens == 3


def test_stop_sequence_is_honoured(subject: Subject) -> None:
    request = ask("Tell me a long story about a dragon and a knight.", max_tokens=40)
    full = subject.generator.generate(request).text
    words = full.split()
    assert len(words) >= 4, full
    stop = words[len(words) // 2]
    cut = subject.generator.generate(ask(request.messages[0].content, max_tokens=40, stop=(stop,)))
    assert cut.finish_reason == "stop"
    assert stop not in cut.text
    assert cut.text == full[: full.index(stop)]
    reports = subject.generator.name in ("fake", "llama.cpp")  # which stop ended it: where the backend knows
    assert cut.stop_sequence == (stop if reports else cut.stop_sequence) and cut.stop_sequence in (stop, None)
    assert subject.generator.generate(request).stop_sequence is None


def test_raw_prompt_is_continued_not_answered(subject: Subject) -> None:
    text = "Once upon a time"
    raw = subject.generator.generate(GenerationRequest(prompt=text, options=GenerationOptions(max_tokens=8, **GREEDY)))
    seen = subject.received() if subject.received is not None else None
    chat = subject.generator.generate(ask(text, max_tokens=8))
    assert raw.text and 0 < raw.usage.completion_tokens <= 8
    if seen is None:  # the backend applies the chat template itself: a raw prompt is shorter
        assert raw.usage.prompt_tokens < chat.usage.prompt_tokens
    elif subject.native_raw:
        assert seen.prompt == text and not seen.messages
    else:
        assert seen.prompt is None and text in seen.messages[-1].content


def test_closing_a_stream_stops_decoding(subject: Subject) -> None:
    if subject.decoded is None:
        pytest.skip("this server's decoding cannot be observed from outside")
    stream = subject.generator.stream(ask("Count from one to one thousand in words.", max_tokens=200))
    before = subject.decoded()
    for _ in range(3):
        next(stream)
    stream.close()
    time.sleep(0.3)  # a remote server notices the closed connection within a token or two
    settled = subject.decoded()
    time.sleep(0.3)
    assert subject.decoded() == settled  # nothing decodes once the stream is closed
    assert settled - before <= 10
    assert subject.generator.generate(ask("Hi", max_tokens=4)).usage.completion_tokens > 0


async def test_cancelling_an_async_stream_stops_decoding(subject: Subject) -> None:
    if subject.decoded is None:
        pytest.skip("this server's decoding cannot be observed from outside")
    received = asyncio.Event()

    async def consume() -> None:
        async for _ in subject.generator.astream(ask("Count from one to one thousand in words.", max_tokens=200)):
            received.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(received.wait(), timeout=60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.3)  # the worker notices within a token
    settled = subject.decoded()
    await asyncio.sleep(0.3)
    assert subject.decoded() == settled
    completion = await subject.generator.agenerate(ask("Hi", max_tokens=4))
    assert completion.usage.completion_tokens > 0


def test_overlong_prompt_raises_context_length_exceeded(subject: Subject) -> None:
    text = "word " * (CONTEXT * 2)
    with pytest.raises(ContextLengthExceeded) as error:
        subject.generator.generate(ask(text, max_tokens=4))
    assert error.value.context == CONTEXT
    assert error.value.prompt_tokens > CONTEXT
    assert str(CONTEXT) in str(error.value)


def test_truncate_makes_an_overlong_prompt_fit(subject: Subject) -> None:
    text = "word " * (CONTEXT * 2)
    completion = subject.generator.generate(ask(text, max_tokens=4, truncate=True))
    assert completion.usage.prompt_tokens < CONTEXT
    history = GenerationRequest(
        messages=(
            Message(role="system", content="Be brief."),
            Message(role="user", content="old " * CONTEXT),
            Message(role="assistant", content="ok"),
            Message(role="user", content="Hello there"),
        ),
        options=GenerationOptions(max_tokens=4, truncate=True, **GREEDY),
    )
    assert subject.generator.generate(history).usage.prompt_tokens < CONTEXT


def test_unknown_model_raises_model_not_found(subject: Subject) -> None:
    if subject.unknown_model is None:
        pytest.skip("this server serves any model name it is sent")
    request = GenerationRequest(messages=(Message(role="user", content="hi"),), model=subject.unknown_model)
    with pytest.raises(ModelNotFound):
        subject.generator.generate(request)
    with pytest.raises(ModelNotFound):
        list(subject.generator.stream(request))


def test_prompt_tokens_is_the_prompt_the_answer_reports(subject: Subject) -> None:
    history = GenerationRequest(
        messages=(
            Message(role="system", content="Be brief."),
            Message(role="user", content="Hello there"),
            Message(role="assistant", content="Hi!"),
            Message(role="user", content="Name a colour."),
        ),
        options=GenerationOptions(max_tokens=4, **GREEDY),
    )
    raw = GenerationRequest(prompt="Once upon a time", options=GenerationOptions(max_tokens=4, **GREEDY))
    counted = subject.generator.prompt_tokens(history)
    if counted is None:
        pytest.skip("this backend cannot count a prompt (its callers estimate)")
    assert counted == subject.generator.generate(history).usage.prompt_tokens > 0
    assert subject.generator.prompt_tokens(raw) == subject.generator.generate(raw).usage.prompt_tokens > 0
