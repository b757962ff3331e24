"""The batching engine under faults, on the real embedded model: floods from threads and asyncio at
once, cancellations while waiting or mid-prompt, callbacks and grammars that fail, prompts at the
context's end. Whatever happens to one request, the others are answered and nothing hangs."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pytest

from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.adapters.llama_cpp.engine.native import NativeContext
from chi_llm.adapters.llama_cpp.engine.requests import Outcome, Request
from chi_llm.adapters.llama_cpp.engine.sampling import SamplingPlan
from chi_llm.adapters.llama_cpp.engine.scheduler import Scheduler
from chi_llm.domain.errors import GenerationFailed
from chi_llm.domain.generation import Completion, GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema
from tests.support.bounded import within

GREEDY = SamplingPlan(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, repeat_penalty=1.0, seed=1)


def engine(path: Path, parallel: int, context: int = 1024) -> LlamaCppGenerator:
    return LlamaCppGenerator(locate=Path, default_model=str(path), context=context, parallel=parallel)


def ask(text: str, tokens: int = 8, **options: Any) -> GenerationRequest:
    return GenerationRequest(
        messages=(Message(role="user", content=text),),
        options=GenerationOptions(temperature=0.0, max_tokens=tokens, seed=1, **options),
    )


@pytest.fixture
def bounded() -> Iterator[None]:
    """A hang fails the test after 120 s instead of hanging the suite."""
    with within(120):
        yield


class Direct:
    """A request handed straight to the scheduler, its outcome kept."""

    def __init__(self, scheduler: Scheduler, prompt: list[int], **kwargs: Any) -> None:
        self.done = threading.Event()
        self.outcome: Outcome | None = None
        self.tokens: list[int] = []
        kwargs.setdefault("on_token", self._token)
        kwargs.setdefault("plan", GREEDY)
        kwargs.setdefault("limit", 8)
        self.request = Request(prompt=prompt, on_done=self._ended, **kwargs)
        scheduler.submit(self.request)

    def _token(self, token: int) -> bool:
        self.tokens.append(token)
        return True

    def _ended(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.done.set()

    def wait(self) -> Outcome:
        assert self.done.wait(60), "the request never ended"
        assert self.outcome is not None
        return self.outcome


def tokens_of(model: LlamaCppGenerator, text: str) -> list[int]:
    return list(model.load().llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))


def test_many_more_requests_than_slots_from_threads_and_asyncio(default_model_path: Path, bounded: None) -> None:
    model = engine(default_model_path, parallel=2)
    results: dict[str, Completion] = {}
    errors: list[BaseException] = []

    def in_thread(index: int) -> None:
        try:
            results[f"t{index}"] = model.generate(ask(f"Name a colour number {index}.", tokens=4 + index))
        except BaseException as exc:
            errors.append(exc)

    async def in_loop() -> None:
        answers = await asyncio.gather(
            *(model.agenerate(ask(f"Name an animal number {i}.", tokens=4 + i)) for i in range(6))
        )
        results.update({f"a{i}": answer for i, answer in enumerate(answers)})

    threads = [threading.Thread(target=in_thread, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    asyncio.run(in_loop())
    for thread in threads:
        thread.join(60)
    assert not errors and len(results) == 12
    for name, answer in results.items():
        index = int(name[1:])
        usage = answer.usage
        assert 1 <= usage.completion_tokens <= 4 + index
        assert answer.finish_reason in ("stop", "length") and (answer.finish_reason == "stop") == (
            usage.completion_tokens < 4 + index
        )
        assert 0 <= usage.cached_tokens < usage.prompt_tokens
    assert model.load().scheduler.busy() == 0


def test_a_request_cancelled_while_it_waits_for_a_slot_leaves_the_queue(
    default_model_path: Path, bounded: None
) -> None:
    model = engine(default_model_path, parallel=1)
    scheduler = model.load().scheduler

    async def scenario() -> Completion:
        first = asyncio.create_task(model.agenerate(ask("Tell me a long story about a dragon.", tokens=60)))
        while scheduler.busy() < 1:
            await asyncio.sleep(0.01)
        waiting = asyncio.create_task(model.agenerate(ask("Say hi", tokens=60)))
        while scheduler.busy() < 2:
            await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        for _ in range(200):  # it leaves the queue within a few steps, while the first decodes
            if scheduler.busy() == 1:
                break
            await asyncio.sleep(0.01)
        assert scheduler.busy() == 1 and not first.done()
        return await first

    decoded = model.tokens_decoded
    answer = asyncio.run(scenario())
    assert model.tokens_decoded - decoded == answer.usage.completion_tokens  # the cancelled one decoded nothing
    assert model.generate(ask("Say ok", tokens=3)).usage.completion_tokens >= 1


def test_a_request_cancelled_mid_prompt_leaves_its_slot_consistent(
    default_model_path: Path, bounded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = engine(default_model_path, parallel=1, context=2048)
    scheduler = model.load().scheduler
    long = ask("Summarise this: " + "The quick brown fox jumps over the lazy dog near the river bank. " * 90, 6)
    scheduler.call(scheduler.clear)
    fresh = model.generate(long)
    scheduler.call(scheduler.clear)
    reads: list[int] = []
    real = NativeContext.decode

    def spy(self: NativeContext, entries: Any) -> None:
        reads.append(sum(1 for e in entries if not e.logits))
        real(self, entries)

    monkeypatch.setattr(NativeContext, "decode", spy)

    async def cancel_after_three_chunks() -> None:
        task = asyncio.create_task(model.agenerate(long))
        while len(reads) < 3:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_after_three_chunks())
    chunks = fresh.usage.prompt_tokens // 128
    assert chunks >= 8 and 3 <= len(reads) < chunks  # it stopped before the prompt's end
    again = model.generate(long)  # the cells read before the cancel are reused, and are right
    assert again.usage.cached_tokens > 0 and again.text == fresh.text


def test_a_token_callback_that_raises_fails_its_request_only(default_model_path: Path, bounded: None) -> None:
    model = engine(default_model_path, parallel=2)
    scheduler = model.load().scheduler

    def broken(token: int) -> bool:
        raise ValueError("the consumer broke")

    failing = Direct(scheduler, tokens_of(model, "Once upon a time, in a small village, there was"), on_token=broken)
    outcome = failing.wait()
    assert outcome.ending == "error" and isinstance(outcome.error, ValueError)
    assert not any(slot.busy for slot in scheduler.slots)
    assert model.generate(ask("Say hi", tokens=3)).usage.completion_tokens >= 1  # the engine still serves


def test_an_error_inside_a_step_fails_the_requests_in_it_and_the_engine_goes_on(
    default_model_path: Path, bounded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chi_llm.adapters.llama_cpp.engine.sampling import Sampler

    model = engine(default_model_path, parallel=2)
    scheduler = model.load().scheduler
    real = Sampler.sample
    calls = [0]

    def flaky(self: Sampler, ctx: Any, row: int) -> int:
        calls[0] += 1
        if calls[0] == 2:
            raise RuntimeError("a fault in the engine")
        return real(self, ctx, row)

    monkeypatch.setattr(Sampler, "sample", flaky)
    with pytest.raises(GenerationFailed, match="a fault in the engine"):
        model.generate(ask("Tell me about the moon.", tokens=8))
    assert not any(slot.busy for slot in scheduler.slots)
    assert model.generate(ask("Say hi", tokens=3)).usage.completion_tokens >= 1


def test_a_grammar_llama_cpp_refuses_fails_that_request_only(default_model_path: Path, bounded: None) -> None:
    model = engine(default_model_path, parallel=2)
    scheduler = model.load().scheduler
    beside = model.stream(ask("Count from one to twenty.", tokens=30))
    next(beside)
    plan = replace(GREEDY, grammar="root ::= (")
    refused = Direct(scheduler, tokens_of(model, "Answer in JSON."), plan=plan)
    outcome = refused.wait()
    assert outcome.ending == "error" and isinstance(outcome.error, GenerationFailed) and not refused.tokens
    assert "".join(c.text for c in beside)  # the other request goes on to its end
    assert not any(slot.busy for slot in scheduler.slots)


def test_a_prompt_that_fills_the_context_and_one_that_reaches_its_end(default_model_path: Path, bounded: None) -> None:
    model = engine(default_model_path, parallel=2, context=256)
    llm = model.load().llm
    text = "word " * 400
    tokens = llm.tokenize(text.encode(), add_bos=True, special=True)
    full = llm.detokenize(tokens[1:255]).decode()  # with the BOS: 255 tokens, one short of the context
    while len(llm.tokenize(full.encode(), add_bos=True, special=True)) > 255:
        full = full[:-1]
    near = llm.detokenize(tokens[1:240]).decode()

    def raw(prompt: str, max_tokens: int) -> GenerationRequest:
        return GenerationRequest(prompt=prompt, options=GenerationOptions(temperature=0.0, max_tokens=max_tokens))

    answers: list[Completion] = []
    threads = [
        threading.Thread(target=lambda r=r: answers.append(model.generate(r)))
        for r in (raw(full, 50), raw(near, 50), raw("Once upon a time", 5))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 3
    for answer in answers:
        usage = answer.usage
        assert usage.prompt_tokens + usage.completion_tokens <= 256
        if usage.prompt_tokens >= 240:
            assert answer.finish_reason == "length" or usage.completion_tokens < 256 - usage.prompt_tokens
            assert usage.completion_tokens <= 256 - usage.prompt_tokens


def test_structured_answers_batched_with_plain_ones_keep_their_schema(default_model_path: Path, bounded: None) -> None:
    model = engine(default_model_path, parallel=3)
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    structured = ask("Make up a person with a name and an age.", tokens=60, schema=OutputSchema.of(schema))

    async def mixed() -> list[Completion]:
        return list(
            await asyncio.gather(
                model.agenerate(structured),
                model.agenerate(ask("Tell me a story about a cat.", tokens=40)),
                model.agenerate(structured),
                model.agenerate(ask("List three colours.", tokens=40)),
            )
        )

    answers = asyncio.run(mixed())
    for answer in (answers[0], answers[2]):
        value = json.loads(answer.text)
        assert set(value) == {"name", "age"} and isinstance(value["age"], int)
    for answer in (answers[1], answers[3]):
        assert answer.text and answer.structured is None


def test_label_scoring_waits_while_every_slot_decodes_and_scores_as_on_an_idle_engine(
    default_model_path: Path, bounded: None
) -> None:
    model = engine(default_model_path, parallel=2)
    scheduler = model.load().scheduler
    review = ask("Is this review positive or negative? 'I loved it, the best purchase I ever made.'")
    labels = ["positive", "negative", "neutral"]
    scheduler.call(scheduler.clear)
    idle = model.label_probabilities(review, "Answer: ", labels, "")
    scheduler.call(scheduler.clear)
    streams = [model.stream(ask(f"Tell me a long story about a dragon number {i}.", tokens=40)) for i in range(2)]
    for stream in streams:
        next(stream)
    assert all(slot.busy for slot in scheduler.slots)
    busy = model.label_probabilities(review, "Answer: ", labels, "")
    assert busy == pytest.approx(idle, abs=1e-9)
    assert all("".join(c.text for c in stream) is not None for stream in streams)


def turn(text: str, *history: str) -> tuple[Message, ...]:
    roles: list[Literal["user", "assistant"]] = ["user", "assistant"] * len(history)
    return (
        *(Message(role=r, content=t) for r, t in zip(roles, history, strict=False)),
        Message(role="user", content=text),
    )


def chat(model: LlamaCppGenerator, messages: tuple[Message, ...], session: str | None, tokens: int = 12) -> Completion:
    options = GenerationOptions(temperature=0.0, max_tokens=tokens, seed=1)
    return model.generate(GenerationRequest(messages=messages, options=options, session=session))


FIRST = "Hello, my name is Ann and I like long walks by the sea with my old dog Rex."


def test_a_session_exported_and_imported_while_others_decode_answers_as_its_original(
    default_model_path: Path, bounded: None
) -> None:
    model = engine(default_model_path, parallel=2)
    first = chat(model, turn(FIRST), "export-a").text
    other = model.stream(ask("Tell me a long story about a dragon.", tokens=40))
    next(other)
    state = model.export_session("export-a")
    assert state is not None and model.import_session("export-b", state)
    second = turn("What is my dog called?", FIRST, first)
    copy = chat(model, second, "export-b")
    original = chat(model, second, "export-a")
    assert copy.usage.cached_tokens > 30 and copy.text == original.text
    assert "".join(c.text for c in other)


def test_a_conversation_whose_slot_was_taken_answers_as_without_interference(
    default_model_path: Path, bounded: None
) -> None:
    model = engine(default_model_path, parallel=1)
    scheduler = model.load().scheduler

    def fresh() -> None:
        for name in ("alone", "pushed"):
            model.end_session(name)
        scheduler.call(scheduler.clear)

    fresh()
    first = chat(model, turn(FIRST), "alone").text
    alone = chat(model, turn("What is my dog called?", FIRST, first), "alone")
    fresh()
    assert chat(model, turn(FIRST), "pushed").text == first
    chat(model, turn("Write a haiku about autumn leaves falling."), None)  # takes the one slot
    assert scheduler.sessions.holds("pushed")
    pushed = chat(model, turn("What is my dog called?", FIRST, first), "pushed")
    assert pushed.usage.cached_tokens == alone.usage.cached_tokens > 30 and pushed.text == alone.text
    fresh()


def test_ending_a_session_while_its_request_runs(default_model_path: Path, bounded: None) -> None:
    model = engine(default_model_path, parallel=2)
    scheduler = model.load().scheduler
    options = GenerationOptions(temperature=0.0, max_tokens=40, seed=1)
    running = model.stream(GenerationRequest(messages=turn(FIRST), options=options, session="ending"))
    next(running)
    model.end_session("ending")
    assert "ending" not in {slot.owner for slot in scheduler.slots}
    assert "".join(c.text for c in running)
    assert not scheduler.sessions.holds("ending") and "ending" not in {slot.owner for slot in scheduler.slots}
    assert chat(model, turn("Hello again"), "ending", tokens=3).usage.completion_tokens >= 1


def test_a_prompt_longer_than_the_context_or_empty_fails_alone(default_model_path: Path, bounded: None) -> None:
    from chi_llm.domain.errors import ContextLengthExceeded, InvalidRequest

    model = engine(default_model_path, parallel=2, context=256)
    scheduler = model.load().scheduler
    beside = model.stream(ask("Count from one to twenty.", tokens=30))
    next(beside)
    long = tokens_of(model, "word " * 300)
    assert len(long) > 256
    outcome = Direct(scheduler, long).wait()
    assert outcome.ending == "error" and isinstance(outcome.error, ContextLengthExceeded)
    empty = Direct(scheduler, []).wait()  # nothing to read: it would hold its slot forever
    assert empty.ending == "error" and isinstance(empty.error, InvalidRequest)
    last = list(beside)[-1]
    assert last.finish_reason in ("stop", "length") and last.usage is not None and last.usage.completion_tokens > 1


def test_label_scoring_past_the_context_is_refused_and_leaves_the_cache_right(
    default_model_path: Path, bounded: None
) -> None:
    from chi_llm.domain.errors import ChiLlmError

    model = engine(default_model_path, parallel=1, context=256)
    scheduler = model.load().scheduler
    scheduler.call(scheduler.clear)
    story = ask("Tell me a short story about a lighthouse keeper and his cat.", tokens=10)
    fresh = model.generate(story)
    long = ask("Is this review positive or negative? " + "The film was long and slow. " * 30)
    with pytest.raises(ChiLlmError):
        model.label_probabilities(long, "Answer: " * 20, ["positive", "negative"], "")
    again = model.generate(story)  # whatever the scoring left in the slot must be what it says it holds
    assert again.text == fresh.text


def test_a_completion_callback_that_raises_harms_no_other_request(default_model_path: Path, bounded: None) -> None:
    model = engine(default_model_path, parallel=2)
    scheduler = model.load().scheduler
    beside = model.stream(ask("Count from one to twenty.", tokens=30))
    next(beside)
    called: list[Outcome] = []

    def broken(outcome: Outcome) -> None:
        called.append(outcome)
        raise ValueError("the consumer broke")

    scheduler.submit(Request(prompt=[], plan=GREEDY, limit=4, on_token=lambda _: True, on_done=broken))
    last = list(beside)[-1]
    assert called and last.finish_reason in ("stop", "length")  # the other answer was not failed with it
    assert last.usage is not None and last.usage.completion_tokens > 1


def test_time_to_first_token_counts_the_wait_for_a_slot(default_model_path: Path, bounded: None) -> None:
    import time

    model = engine(default_model_path, parallel=1)
    held = model.stream(ask("Tell me a long story about a dragon.", tokens=120))
    next(held)
    started = time.perf_counter()
    waited = model.generate(ask("Say hi", tokens=2))
    elapsed = time.perf_counter() - started
    list(held)
    first = waited.timings.time_to_first_token
    assert first is not None and elapsed / 2 < first <= waited.timings.total <= elapsed  # from submission


def test_seeded_sampling_is_the_same_alone_and_batched(default_model_path: Path, bounded: None) -> None:
    model = engine(default_model_path, parallel=3)
    scheduler = model.load().scheduler

    def sampled(seed: int) -> GenerationRequest:
        options = GenerationOptions(temperature=0.9, top_p=0.9, max_tokens=24, seed=seed)
        return GenerationRequest(messages=(Message(role="user", content="Invent a name for a cat."),), options=options)

    alone = []
    for seed in (1, 2, 3):
        scheduler.call(scheduler.clear)
        alone.append(model.generate(sampled(seed)).text)
    scheduler.call(scheduler.clear)

    async def together() -> list[Completion]:
        return list(await asyncio.gather(*(model.agenerate(sampled(seed)) for seed in (1, 2, 3))))

    assert [answer.text for answer in asyncio.run(together())] == alone
    assert len(set(alone)) > 1  # the seeds did matter


def test_an_async_consumer_that_raises_mid_answer_frees_its_slot(default_model_path: Path, bounded: None) -> None:
    model = engine(default_model_path, parallel=1)

    async def consume() -> None:
        async for chunk in model.astream(ask("Tell me a long story about a dragon.", tokens=400)):
            if chunk.text:
                raise ValueError("the consumer broke")

    with pytest.raises(ValueError, match="the consumer broke"):
        asyncio.run(consume())
    before = model.tokens_decoded
    answer = model.generate(ask("Say hi", tokens=3))  # the one slot is free again at once
    assert answer.usage.completion_tokens <= 3 and model.tokens_decoded - before <= 3 + 2
