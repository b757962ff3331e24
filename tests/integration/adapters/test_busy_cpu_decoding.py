"""Decoding on the real embedded model while its thread count changes (a busy CPU): the answer is
the one an unchanged count gives, and the change shows in the completion's timings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.adapters.llama_cpp.engine.native import NativeContext
from chi_llm.adapters.llama_cpp.thread_control import ThreadControl
from chi_llm.domain.generation import GenerationOptions, GenerationRequest, ThreadUse
from chi_llm.domain.results import to_json

GREEDY = GenerationOptions(temperature=0.0, max_tokens=24, seed=1)
REQUEST = GenerationRequest(prompt="The three primary colours are", options=GREEDY)


class DropsToOne(ThreadControl):
    """What the controller does when a neighbour takes a core, after the third token."""

    def __init__(self) -> None:
        super().__init__(2)
        self.seen = 0

    def observe(self, seconds: float, shape: int = 1) -> int:
        self.seen += 1
        if self.seen == 3:
            self.threads = 1
        return self.threads


class TryingOne(ThreadControl):
    """A try at one thread, running: generating steps at 1, the kept count 2."""

    def __init__(self) -> None:
        super().__init__(2)
        self.threads = 1

    @property
    def settled(self) -> int:
        return 2

    def observe(self, seconds: float, shape: int = 1) -> int:
        return self.threads


def generator(path: Path, **kwargs: object) -> LlamaCppGenerator:
    return LlamaCppGenerator(locate=Path, default_model=str(path), context=512, **kwargs)  # type: ignore[arg-type]


def test_fewer_threads_mid_answer_give_the_same_answer_and_are_reported(
    default_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llama_cpp import llama_n_threads, llama_n_threads_batch

    adapter = generator(default_model_path)
    loaded = adapter.load()
    monkeypatch.setattr(loaded.scheduler, "control", ThreadControl(2, fixed=True))
    steady = adapter.generate(REQUEST)
    assert steady.timings.threads == ThreadUse(used=2, most=2, changes=0)

    monkeypatch.setattr(loaded.scheduler, "control", DropsToOne())
    changed = adapter.generate(REQUEST)
    assert changed.text == steady.text and changed.usage.completion_tokens == steady.usage.completion_tokens
    assert changed.timings.threads == ThreadUse(used=1, most=2, changes=1)
    assert changed.timings.threads.contended
    shown = {"used": 1, "most": 2, "changes": 1, "contended": True}  # as --json and the bridge show it
    assert to_json(changed.timings.threads) == shown
    ctx = loaded.llm._ctx.ctx
    assert (llama_n_threads(ctx), llama_n_threads_batch(ctx)) == (1, 1)

    monkeypatch.setattr(loaded.scheduler, "control", ThreadControl(2, fixed=True))
    assert adapter.generate(REQUEST).text == steady.text  # the next answer starts on its own count
    assert llama_n_threads(ctx) == 2


def test_a_thread_count_the_user_chose_is_kept_and_the_default_adapts(default_model_path: Path) -> None:
    chosen = generator(default_model_path, threads=1).load()
    assert chosen.threads.fixed and chosen.threads.most == 1
    assert not generator(default_model_path).load().threads.fixed


def test_a_prompt_read_while_a_one_thread_try_runs_uses_the_kept_count(
    default_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The controller measures generating steps only: a prompt read during its try at one thread
    runs on the count it keeps (at one thread a prompt took twice as long here)."""
    seen: list[tuple[int, int]] = []
    real = NativeContext.decode

    def spy(self: NativeContext, entries: Any) -> None:
        seen.append((len(entries), self.threads))
        real(self, entries)

    monkeypatch.setattr(NativeContext, "decode", spy)
    adapter = generator(default_model_path)
    loaded = adapter.load()
    monkeypatch.setattr(loaded.scheduler, "control", TryingOne())
    adapter.generate(REQUEST)
    assert [threads for size, threads in seen if size > 1] == [2]
    steps = [threads for size, threads in seen if size == 1]
    assert steps and set(steps) == {1}
