"""The local engine under real use: conversations keep their own KV cache, every decode of a model
runs on its one thread, and an open stream never blocks or deadlocks another call."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.entrypoints.facade import MicroLLM


@pytest.fixture
def zero_config(default_model_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHI_LLM_HOME", str(default_model_path.parent.parent))


@pytest.fixture
def evaluated(default_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, bool]]:
    """(thread id, tokens, whether logits are read) of every llama.cpp decode."""
    from chi_llm.adapters.llama_cpp.engine.native import NativeContext

    calls: list[tuple[int, int, bool]] = []
    real = NativeContext.decode

    def spy(self: Any, entries: Any) -> Any:
        calls.append((threading.get_ident(), len(entries), any(e.logits for e in entries)))
        return real(self, entries)

    monkeypatch.setattr(NativeContext, "decode", spy)
    return calls


@pytest.fixture
def no_hang() -> Iterator[None]:
    """A deadlock fails the test after 120 s instead of hanging the suite."""

    def expired(*_: object) -> None:
        raise TimeoutError("the call hung")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(120)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def prompt_evaluation(calls: list[tuple[int, int, bool]], since: int) -> int:
    """Tokens evaluated for the prompt of the one generation that ran after `since` calls: its
    chunks, up to the one whose last token's logits are read."""
    total = 0
    for _, size, sampled in calls[since:]:
        total += size
        if sampled:
            break
    return total


def test_a_conversation_keeps_its_cache_across_another(
    zero_config: None, evaluated: list[tuple[int, int, bool]]
) -> None:
    llm = MicroLLM(temperature=0.0)
    ann, bob = llm.session(), llm.session()
    ann.chat("Hello, my name is Ann and I like long walks by the sea.", max_tokens=16)
    bob.chat("Hi there, I am Bob. I collect old maps of far away islands.", max_tokens=16)
    before = len(evaluated)
    ann.chat("What do I like?", max_tokens=4)
    usage = llm.last_usage
    new_tokens = usage.prompt_tokens - usage.cached_tokens
    assert usage.cached_tokens > 30 and new_tokens < 25  # Ann's history came back from her saved cache
    assert prompt_evaluation(evaluated, before) == new_tokens  # and only her new turn was evaluated
    assert [m["role"] for m in ann.history] == ["user", "assistant", "user", "assistant"]


def test_without_sessions_a_history_sent_again_is_found_in_a_slot(
    zero_config: None, evaluated: list[tuple[int, int, bool]]
) -> None:
    llm = MicroLLM(temperature=0.0)
    first = [{"role": "user", "content": "Hello, my name is Ann and I like long walks by the sea."}]
    first.append({"role": "assistant", "content": llm.chat(first[0]["content"], max_tokens=16)})
    llm.chat("Hi there, I am Bob. I collect old maps of far away islands.", max_tokens=16)
    before = len(evaluated)
    llm.chat("What do I like?", history=first, max_tokens=4)
    usage = llm.last_usage
    assert usage.cached_tokens > 30  # Bob's turn went to another slot; Ann's history was still cached
    assert prompt_evaluation(evaluated, before) == usage.prompt_tokens - usage.cached_tokens


def test_with_one_slot_a_conversation_is_saved_when_another_takes_it_and_comes_back(
    zero_config: None, evaluated: list[tuple[int, int, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHI_LLM_PARALLEL", "1")
    llm = MicroLLM(temperature=0.0)
    ann, bob = llm.session(), llm.session()
    ann.chat("Hello, my name is Ann and I like long walks by the sea.", max_tokens=16)
    bob.chat("Hi there, I am Bob. I collect old maps of far away islands.", max_tokens=16)
    sessions = llm.backend.load().sessions  # type: ignore[attr-defined]
    assert sessions.holds(ann.id) and not sessions.holds(bob.id)  # Bob's cells are live, Ann's saved
    before = len(evaluated)
    ann.chat("What do I like?", max_tokens=4)
    usage = llm.last_usage
    assert (
        usage.cached_tokens > 30 and prompt_evaluation(evaluated, before) == usage.prompt_tokens - usage.cached_tokens
    )
    assert sessions.holds(bob.id) and not sessions.holds(ann.id)
    bob.close()
    assert not sessions.holds(bob.id)


def test_with_several_slots_two_conversations_stay_live_side_by_side(zero_config: None) -> None:
    llm = MicroLLM(temperature=0.0)
    ann, bob = llm.session(), llm.session()
    ann.chat("Hello there", max_tokens=4)
    bob.chat("Good morning", max_tokens=4)
    loaded = llm.backend.load()  # type: ignore[attr-defined]
    owners = {slot.owner for slot in loaded.scheduler.slots}
    assert {ann.id, bob.id} <= owners and not loaded.sessions.holds(ann.id)  # nothing saved: no switch
    ann.close()
    assert ann.id not in {slot.owner for slot in loaded.scheduler.slots}


def test_every_decode_of_a_model_runs_on_its_one_thread(
    zero_config: None, evaluated: list[tuple[int, int, bool]]
) -> None:
    llm = MicroLLM(temperature=0.0)
    errors: list[BaseException] = []

    def sync_call() -> None:
        try:
            llm.generate("Count to three", max_tokens=4)
        except BaseException as exc:
            errors.append(exc)

    async def async_calls() -> None:
        await asyncio.gather(*(llm.agenerate(f"Say {i}", max_tokens=4) for i in range(3)))

    threads = [threading.Thread(target=sync_call) for _ in range(2)]
    for thread in threads:
        thread.start()
    asyncio.run(async_calls())
    for thread in threads:
        thread.join(120)
    assert not errors
    decode_threads = {ident for ident, _, _ in evaluated}
    assert len(decode_threads) == 1 and threading.get_ident() not in decode_threads


def test_an_open_stream_does_not_block_a_second_call(zero_config: None, no_hang: None) -> None:
    llm = MicroLLM(temperature=0.0)
    held = llm.stream("Tell me a long story about a dragon.", max_tokens=64)
    assert next(held)  # the stream is open and nobody reads it
    assert llm.generate("Say hi", max_tokens=3)  # same thread: neither blocked nor deadlocked
    other: list[str] = []
    thread = threading.Thread(target=lambda: other.append(llm.generate("Say ok", max_tokens=3)))
    thread.start()
    thread.join(60)
    assert other and not thread.is_alive()
    assert "".join(held)  # and the held stream still delivers the rest of its answer


def test_a_long_prompt_error_comes_from_the_call(default_model_path: Path) -> None:
    from chi_llm.domain.errors import ContextLengthExceeded

    engine = LlamaCppGenerator(locate=Path, default_model=str(default_model_path), context=64)
    request = GenerationRequest(messages=(Message(role="user", content="word " * 200),), options=GenerationOptions())
    with pytest.raises(ContextLengthExceeded):
        engine.stream(request)


def test_a_forked_child_gets_its_own_decode_thread(default_model_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from chi_llm.adapters.llama_cpp import LlamaCppGenerator\n"
        "from chi_llm.domain.generation import GenerationOptions, GenerationRequest\n"
        f"engine = LlamaCppGenerator(locate=Path, default_model={str(default_model_path)!r}, context=512)\n"
        "ask = GenerationRequest(prompt='Hello', options=GenerationOptions(max_tokens=3, temperature=0.0))\n"
        "first = engine.generate(ask).text\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    os._exit(0 if engine.generate(ask).text == first else 3)\n"
        "_, status = os.waitpid(child, 0)\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


RESUME = (
    "import json, sys\n"
    "from chi_llm import MicroLLM\n"
    "llm = MicroLLM(temperature=0.0)\n"
    "chat = llm.session(resume=sys.argv[1])\n"
    "chat.chat('What do I like?', max_tokens=4)\n"
    "print(json.dumps([llm.last_usage.cached_tokens, llm.last_usage.prompt_tokens, len(chat.history)]))\n"
)


def resumed(path: Path, home: Path, **env: str) -> list[int]:
    environment = {**os.environ, "CHI_LLM_HOME": str(home), **env}
    done = subprocess.run(
        [sys.executable, "-c", RESUME, str(path)], capture_output=True, text=True, timeout=120, env=environment
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_a_saved_conversation_resumes_in_a_new_process_without_evaluating_its_history(
    zero_config: None, default_model_path: Path, tmp_path: Path
) -> None:
    llm = MicroLLM(temperature=0.0)
    chat = llm.session(system="You are brief.")
    chat.chat("Hello, my name is Ann and I like long walks by the sea.", max_tokens=16)
    saved = chat.save(tmp_path / "ann.json")
    assert (tmp_path / "ann.json.kv").is_file()
    cached, prompt, turns = resumed(saved, default_model_path.parent.parent)
    assert turns == 4 and prompt - cached < 25 and cached > 30  # the history came back from the file
    cached, _, _ = resumed(saved, default_model_path.parent.parent, CHI_LLM_CONTEXT="1024")
    assert cached == 0  # made at another context: ignored, the history evaluated again


def test_a_file_that_is_not_a_saved_conversation_is_named(zero_config: None, tmp_path: Path) -> None:
    from chi_llm import InvalidRequest

    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(InvalidRequest, match="not a conversation saved by chi_llm"):
        MicroLLM().session(resume=bad)
