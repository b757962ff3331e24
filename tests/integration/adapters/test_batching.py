"""Continuous batching on the real embedded model: requests decode together in one llama_decode
per step, greedy answers are the same alone or batched, a long prompt is read in chunks beside the
others' decoding, cancelled requests leave at once, shared prefixes are copied, and prompt-lookup
drafts never change a greedy answer."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.adapters.llama_cpp.engine.native import Entry, NativeContext
from chi_llm.adapters.llama_cpp.engine.slots import COPY_MIN
from chi_llm.domain.generation import Completion, GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message

PROMPTS = [
    "Write a poem about the sea.",
    "Explain how a bicycle works.",
    "List five fruits and describe each one.",
    "Tell me a story about a dragon who learns to read. " * 12,  # over one prefill chunk
    "What is the capital of a small country? Answer in one sentence.",
    "Describe a sunrise over the mountains. " * 20,  # two chunks and more
]


def engine(path: Path, **kwargs: Any) -> LlamaCppGenerator:
    return LlamaCppGenerator(locate=Path, default_model=str(path), context=2048, **kwargs)


def ask(text: str, tokens: int = 40, **options: Any) -> GenerationRequest:
    return GenerationRequest(
        messages=(Message(role="user", content=text),),
        options=GenerationOptions(temperature=0.0, max_tokens=tokens, seed=1, **options),
    )


def together(model: LlamaCppGenerator, requests: list[GenerationRequest]) -> list[Completion]:
    done: list[Completion | None] = [None] * len(requests)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            done[index] = model.generate(requests[index])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    return [d for d in done if d is not None]


def test_greedy_answers_are_the_same_alone_and_batched(default_model_path: Path, steps: list[list[Entry]]) -> None:
    model = engine(default_model_path, parallel=4)
    scheduler = model.load().scheduler
    alone = []
    for prompt in PROMPTS:  # each from an empty cache: a cached prefix changes how a prompt is chunked
        scheduler.call(scheduler.clear)
        alone.append(model.generate(ask(prompt)).text)
    assert max(len({e.seq for e in step}) for step in steps) == 1  # one at a time: nothing to batch
    steps.clear()
    scheduler.call(scheduler.clear)
    batched = together(model, [ask(p) for p in PROMPTS])
    assert [c.text for c in batched] == alone
    assert max(len({e.seq for e in step}) for step in steps) >= 3  # they did decode together


def test_a_long_prompt_is_read_in_chunks_while_the_others_keep_decoding(
    default_model_path: Path, steps: list[list[Entry]]
) -> None:
    model = engine(default_model_path, parallel=2)
    first = model.stream(ask("Write a very long story about a dragon and a knight.", tokens=400))
    next(first)
    long = ask("Summarise this: " + "The quick brown fox jumps over the lazy dog. " * 60, tokens=4)
    model.generate(long)
    # Prompt chunks: several tokens of one sequence, each chunk a decode of its own.
    read = [i for i, s in enumerate(steps) if len(s) > 1 and len({e.seq for e in s}) == 1]
    long_seq = steps[read[-1]][0].seq
    chunks = [i for i in read if steps[i][0].seq == long_seq]
    first_seq = steps[read[0]][0].seq  # the first answer's prompt was read first
    assert first_seq != long_seq  # it was still being written: the long prompt took the other slot
    # The long prompt's chunks by step: a step's chunks follow each other with no token of the
    # first answer between them.
    by_step: list[list[int]] = [[chunks[0]]]
    for a, b in itertools.pairwise(chunks):
        if any(e.seq == first_seq for s in steps[a + 1 : b] for e in s):
            by_step.append([b])
        else:
            by_step[-1].append(b)
    assert len(by_step) >= 4  # the first answer got a token between every two steps of the reading
    assert all(sum(len(steps[i]) for i in step) <= 128 for step in by_step)
    list(first)


def test_a_joining_request_does_not_wait_for_the_whole_answer_of_another(default_model_path: Path) -> None:
    model = engine(default_model_path, parallel=2)
    long = model.stream(ask("Tell me a long story about a dragon.", tokens=200))
    next(long)
    short = model.generate(ask("Say hi", tokens=3))
    assert short.usage.completion_tokens <= 3
    rest = "".join(c.text for c in long)  # the long answer is still being written
    assert rest


def test_a_cancelled_request_frees_its_slot_at_once(default_model_path: Path) -> None:
    model = engine(default_model_path, parallel=1)
    stream: Iterator[Any] = model.stream(ask("Tell me a long story about a dragon.", tokens=400))
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    before = model.tokens_decoded
    answer = model.generate(ask("Say hi", tokens=3))  # the one slot is free again
    assert answer.usage.completion_tokens <= 3 and model.tokens_decoded - before <= 3 + 2


def test_a_shared_prefix_is_copied_from_the_slot_holding_it(
    default_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies: list[tuple[int, int, int]] = []
    real = NativeContext.copy

    def spy(self: NativeContext, source: int, target: int, keep: int) -> bool:
        copies.append((source, target, keep))
        return real(self, source, target, keep)

    monkeypatch.setattr(NativeContext, "copy", spy)
    model = engine(default_model_path, parallel=2)
    system = "You are a careful assistant for a hardware store. " * 20
    busy = model.stream(
        GenerationRequest(
            messages=(Message(role="system", content=system), Message(role="user", content="Tell me a story.")),
            options=GenerationOptions(temperature=0.0, max_tokens=100),
        )
    )
    next(busy)  # its slot is busy: the next request goes to the other slot
    second = model.generate(
        GenerationRequest(
            messages=(Message(role="system", content=system), Message(role="user", content="Do you sell nails?")),
            options=GenerationOptions(temperature=0.0, max_tokens=4),
        )
    )
    assert copies and copies[0][2] > 150
    assert second.usage.cached_tokens == copies[0][2]
    list(busy)


def test_prompt_lookup_drafts_keep_greedy_answers_exactly(default_model_path: Path, steps: list[list[Entry]]) -> None:
    model = engine(default_model_path, parallel=1, threads=1)  # a fixed count: llama.cpp's numerics depend on it
    passage = (
        "The library opens at nine in the morning and closes at six in the evening. "
        "Members may borrow up to five books for three weeks. Late returns cost ten cents a day."
    )
    text = f"Repeat this text exactly, word for word:\n\n{passage}"
    plain = model.generate(ask(text, tokens=60))
    steps.clear()
    drafted = model.generate(ask(text, tokens=60, grounded=True))
    assert drafted.text == plain.text
    assert any(sum(1 for e in s if e.logits) > 1 for s in steps)  # drafts were verified in steps
    assert len(steps) < plain.usage.completion_tokens  # and some were kept: fewer steps than tokens


def test_a_shared_chat_header_is_reused_and_the_answer_is_the_one_an_empty_cache_gives(
    default_model_path: Path,
) -> None:
    """Prompts read in the grid's chunks (engine/slots.py): cells up to a boundary are the ones a
    fresh read gives, so a short shared prefix (the chat template's header) is worth reusing."""
    model = engine(default_model_path, parallel=1)
    scheduler = model.load().scheduler
    questions = [f"[{tag}] Name three colours of the rainbow." for tag in ("first", "second", "third")]
    fresh = []
    for question in questions:
        scheduler.call(scheduler.clear)
        done = model.generate(ask(question, tokens=24))
        assert done.usage.cached_tokens == 0
        fresh.append(done.text)
    warm = [model.generate(ask(question, tokens=24)) for question in questions]  # one slot, in turn
    assert [w.text for w in warm] == fresh
    header = warm[1].usage.cached_tokens
    assert 16 <= header < COPY_MIN and header % 8 == 0  # the shared header, to a boundary
