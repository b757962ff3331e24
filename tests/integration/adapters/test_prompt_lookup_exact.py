"""Prompt-lookup drafts on the real embedded model never change a greedy answer: for each grounded
kind, beside other sequences, under a JSON schema's grammar, at the token and context limits, with
stop sequences, when a draft runs past the end of the answer, and with several threads (where
drafts stay within the cells a several-token step is exact in).

Every answer is read from an empty cache: re-evaluating only a cached prompt's last token gives
it other logits than reading the prompt in one chunk of 64 tokens or more (llama.cpp numerics,
whatever the drafts). The thread count is fixed: past 256 cells it changes numerics too."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.adapters.llama_cpp.engine.lookup import EXACT_CELLS
from chi_llm.adapters.llama_cpp.engine.native import Entry
from chi_llm.domain.generation import Completion, GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema

PASSAGE = (
    "The library opens at nine in the morning and closes at six in the evening. "
    "Members may borrow up to five books for three weeks. Late returns cost ten cents a day. "
    "Children under twelve need a parent's signature to join. The reading room is quiet at all times."
)
LONG = (
    "The city library opens at nine in the morning and closes at six in the evening from Monday to "
    "Friday; on Saturdays it closes at two in the afternoon and it is closed on Sundays. Members may "
    "borrow up to five books at a time for three weeks, and renew them twice online unless someone "
    "else has reserved them. Late returns cost ten cents a day per book, up to a limit of five dollars. "
    "Children under twelve need a parent's signature to join, and their cards carry no late fees."
)
KINDS = {
    "copy": f"Repeat this text exactly, word for word:\n\n{PASSAGE}",
    "rewrite": f"Rewrite this text so that it speaks to the reader as 'you':\n\n{PASSAGE}",
    "summary": f"Summarize this text in two sentences:\n\n{PASSAGE}",
    "rag": f"Sources:\n[1] {PASSAGE}\n\nQuestion: How long may members keep books? Answer from the sources.",
}


def engine(path: Path, **kwargs: Any) -> LlamaCppGenerator:
    kwargs.setdefault("context", 2048)
    kwargs.setdefault("threads", 1)
    return LlamaCppGenerator(locate=Path, default_model=str(path), **kwargs)


def ask(text: str, tokens: int = 60, **options: Any) -> GenerationRequest:
    return GenerationRequest(
        messages=(Message(role="user", content=text),),
        options=GenerationOptions(temperature=0.0, max_tokens=tokens, seed=1, **options),
    )


def fresh(model: LlamaCppGenerator, request: GenerationRequest) -> Completion:
    scheduler = model.load().scheduler
    scheduler.call(scheduler.clear)
    return model.generate(request)


def both(model: LlamaCppGenerator, text: str, **options: Any) -> tuple[Completion, Completion]:
    """The answer without drafts, then with them."""
    return fresh(model, ask(text, **options)), fresh(model, ask(text, grounded=True, **options))


def same(plain: Completion, drafted: Completion) -> None:
    assert drafted.text == plain.text
    assert drafted.finish_reason == plain.finish_reason
    assert drafted.usage.completion_tokens == plain.usage.completion_tokens


def drafted_rows(steps: list[list[Entry]]) -> int:
    """Draft tokens evaluated: logits rows beyond one per sequence and step."""
    return sum(sum(1 for e in s if e.logits) - len({e.seq for e in s if e.logits}) for s in steps)


def test_each_grounded_kind_keeps_its_greedy_answer(default_model_path: Path, steps: list[list[Entry]]) -> None:
    model = engine(default_model_path, parallel=1)
    tried = {}
    for kind, text in KINDS.items():
        plain = fresh(model, ask(text, tokens=80))
        steps.clear()
        drafted = fresh(model, ask(text, tokens=80, grounded=True))
        same(plain, drafted)
        tried[kind] = drafted_rows(steps)
    assert tried["copy"] > 10  # drafts were evaluated (and the copy is where they are kept)


def test_answers_beside_other_sequences_are_kept(default_model_path: Path, steps: list[list[Entry]]) -> None:
    model = engine(default_model_path, parallel=3)
    requests = [
        ask(KINDS["copy"], grounded=True),
        ask("Tell me a story about a dragon."),
        ask(KINDS["rag"], grounded=True),
    ]
    alone = [fresh(model, ask(r.messages[0].content)).text for r in requests]
    steps.clear()
    scheduler = model.load().scheduler
    scheduler.call(scheduler.clear)
    done: list[Completion | None] = [None] * len(requests)

    def run(index: int) -> None:
        done[index] = model.generate(requests[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [d.text if d else None for d in done] == alone
    mixed = [s for s in steps if len({e.seq for e in s}) >= 2 and drafted_rows([s]) > 0]
    assert mixed  # drafts were verified in steps that decoded other sequences too


def test_a_schema_s_grammar_sees_only_sampled_tokens(default_model_path: Path, steps: list[list[Entry]]) -> None:
    model = engine(default_model_path, parallel=1)
    schema = OutputSchema.of(
        {
            "type": "object",
            "properties": {"opens": {"type": "string"}, "closes": {"type": "string"}, "books": {"type": "integer"}},
            "required": ["opens", "closes", "books"],
        }
    )
    text = f"Extract when the library opens and closes and how many books members may borrow:\n\n{PASSAGE}"
    plain, drafted = both(model, text, tokens=200, schema=schema)
    same(plain, drafted)
    assert drafted.text.startswith("{")  # the grammar held (the tiny model may not close it in time)
    assert drafted_rows(steps) > 0


def test_the_token_limit_is_kept_exactly(default_model_path: Path) -> None:
    model = engine(default_model_path, parallel=1)
    for tokens in (1, 2, 7, 23):
        plain, drafted = both(model, KINDS["copy"], tokens=tokens)
        same(plain, drafted)
        assert drafted.finish_reason == "length" and drafted.usage.completion_tokens == tokens


def test_the_context_limit_is_kept_exactly(default_model_path: Path) -> None:
    model = engine(default_model_path, parallel=1, context=140)
    plain, drafted = both(model, KINDS["copy"], tokens=500)
    same(plain, drafted)
    assert drafted.finish_reason == "length"
    assert drafted.usage.prompt_tokens + drafted.usage.completion_tokens == 140


def test_a_stop_sequence_inside_a_kept_draft_ends_the_answer_there(default_model_path: Path) -> None:
    model = engine(default_model_path, parallel=1)
    plain, drafted = both(model, KINDS["copy"], tokens=80, stop=("three weeks",))
    same(plain, drafted)
    assert drafted.finish_reason == "stop" and "five books" in drafted.text and "weeks" not in drafted.text


def test_a_draft_running_past_the_end_of_the_answer(default_model_path: Path, steps: list[list[Entry]]) -> None:
    model = engine(default_model_path, parallel=1)
    end = model.load().llm.token_eos()
    plain = fresh(model, ask(KINDS["copy"], tokens=120))
    steps.clear()
    drafted = fresh(model, ask(KINDS["copy"], tokens=120, grounded=True))
    same(plain, drafted)
    assert drafted.finish_reason == "stop"  # the model ended the copy itself
    answer_steps = steps[1:]  # after the prompt's
    assert any(e.token == end and e.logits for s in answer_steps for e in s)  # a draft held the end


def test_with_several_threads_drafts_stay_within_the_exact_cells(
    default_model_path: Path, steps: list[list[Entry]]
) -> None:
    model = engine(default_model_path, parallel=1, threads=2)
    # worded so that the answer runs past EXACT_CELLS (the tiny model stops early on other wordings)
    text = f"Repeat the following text exactly, word for word, without any changes:\n\n{LONG}"
    plain = fresh(model, ask(text, tokens=150))
    steps.clear()
    drafted = fresh(model, ask(text, tokens=150, grounded=True))
    same(plain, drafted)
    drafts = [e for s in steps for e in s[1:] if e.logits and len(s) > 1 and s[0].logits]
    assert drafts and all(e.pos < EXACT_CELLS for e in drafts)
    assert drafted.usage.prompt_tokens + drafted.usage.completion_tokens > EXACT_CELLS + 20


def test_the_numerics_the_exact_cells_rest_on(default_model_path: Path) -> None:
    """A several-token step gives a sequence the logits of a token at a time on one thread at any
    length, and on two threads below EXACT_CELLS cells only (what `exact_room` encodes)."""
    model = engine(default_model_path, parallel=1, threads=1)
    loaded = model.load()
    tokens = loaded.llm.tokenize(PASSAGE.encode() * 4, add_bos=False)[: EXACT_CELLS + 24]
    native = loaded.scheduler.native

    def rows(threads: int, size: int) -> list[Any]:
        native.set_threads(threads)
        native.drop(0)
        native.decode([Entry(0, t, i, False) for i, t in enumerate(tokens[:128])])
        got = []
        for start in range(128, len(tokens), size):
            chunk = tokens[start : start + size]
            native.decode([Entry(0, t, start + i, True) for i, t in enumerate(chunk)])
            got += [native.logits(i).copy() for i in range(len(chunk))]
        return got

    def differing(threads: int) -> list[int]:
        alone, several = loaded.scheduler.call(lambda: (rows(threads, 1), rows(threads, 4)))
        return [128 + i for i, (a, b) in enumerate(zip(alone, several, strict=True)) if (a != b).any()]

    try:
        assert differing(1) == []
        assert all(pos >= EXACT_CELLS for pos in differing(2))
    finally:
        loaded.scheduler.call(lambda: native.set_threads(1))
