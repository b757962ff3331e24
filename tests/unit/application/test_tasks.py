"""summarize / translate / analyze: inputs longer than the context are split with the backend's
tokenizer and combined (map-reduce), never cut off; short ones take one call."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.fake import FakeTextGenerator, fake_tokens
from chi_llm.application.generation import GenerationService
from chi_llm.application.tasks import TaskService
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import GenerationOptions


def service(context: int = 4096, replies: list[str] | None = None) -> tuple[TaskService, FakeTextGenerator]:
    fake = FakeTextGenerator(replies or [], context=context)
    return TaskService(GenerationService(fake, defaults=GenerationOptions(max_tokens=20))), fake


def test_a_short_text_is_one_call() -> None:
    tasks, fake = service(replies=["A short summary."])
    done = tasks.summarize("One paragraph about the sea.", "bullets")
    assert (done.text, done.pieces) == ("A short summary.", 1)
    assert len(fake.requests) == 1 and "bullet points" in fake.requests[0].messages[-1].content


def test_a_long_text_is_split_to_fit_and_combined() -> None:
    paragraphs = [" ".join(f"p{i}w{j}" for j in range(60)) for i in range(12)]  # 720 words
    tasks, fake = service(context=400)  # budget: 400 - 20 - 200 = 180 words a call
    done = tasks.summarize("\n\n".join(paragraphs))
    assert done.pieces > 1
    seen = " ".join(r.messages[-1].content for r in fake.requests[: done.pieces])
    assert all(f"p{i}w{j}" in seen for i in range(12) for j in range(60))  # nothing dropped
    assert all(len(fake_tokens(r.messages[-1].content)) <= 400 - 20 for r in fake.requests)
    assert "notes on its parts" in fake.requests[-1].messages[-1].content


def test_translate_keeps_every_piece_in_order() -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 50 for i in range(6))
    tasks, fake = service(context=300)
    done = tasks.translate(text, to="French")
    assert done.pieces > 1 and done.text.count("Echo:") == done.pieces  # one translation a piece
    assert "into French" in fake.requests[0].messages[-1].content
    with pytest.raises(InvalidRequest, match="which language"):
        tasks.translate("x", to=" ")


def test_analyze_answers_the_question_over_every_part() -> None:
    code = "\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(80))
    tasks, fake = service(context=300)
    done = tasks.analyze(code, "Is there a bug?")
    assert done.pieces > 1
    assert "Is there a bug?" in fake.requests[-1].messages[-1].content
    assert "Part 1:" in fake.requests[-1].messages[-1].content


def test_bad_input_is_refused() -> None:
    tasks, _ = service()
    with pytest.raises(InvalidRequest, match="style"):
        tasks.summarize("x", style="poem")
    with pytest.raises(InvalidRequest, match="empty"):
        tasks.analyze("   ")


@given(st.text(alphabet=st.sampled_from("ab \n.!"), min_size=1, max_size=3000), st.integers(20, 200))
def test_pieces_fit_and_cover_the_text(text: str, budget: int) -> None:
    tasks, fake = service()
    pieces = tasks.split(text, budget)
    assert all(fake.count_tokens(p) <= budget for p in pieces)
    assert "".join(text.split()) == "".join("".join(pieces).split())  # every non-space character, in order


def test_the_library_calls() -> None:
    from chi_llm import MicroLLM

    llm = MicroLLM(provider={"type": "fake", "replies": ["Short.", "Kurz.", "It adds."]})
    assert llm.summarize("A long story.") == "Short."
    assert llm.translate("Short.", to="German") == "Kurz."
    assert llm.analyze("def f(x): return x + 1") == "It adds."


def test_ask_reads_a_long_context_part_by_part() -> None:
    context = "\n\n".join(f"Fact {i}: " + "filler " * 60 for i in range(8)) + "\n\nThe key is under the mat."
    tasks, fake = service(context=300)
    fake.queue(*(["NOT IN THIS PART"] * 20))  # every part says it holds nothing... but the last
    done = tasks.ask("Where is the key?", context)
    assert done.pieces > 1
    asked = [r.messages[-1].content for r in fake.requests]
    assert all("Where is the key?" in a for a in asked)
    assert any("under the mat" in a for a in asked)  # the part that holds it was read


def test_the_facade_asks_whole_when_it_fits_and_in_parts_when_not() -> None:
    from chi_llm import MicroLLM

    short = MicroLLM(provider={"type": "fake", "replies": ["Under the mat."]})
    assert short.ask("Where is the key?", "The key is under the mat.") == "Under the mat."
    long = MicroLLM(provider={"type": "fake", "context": 200})
    answer = long.ask("Where is the key?", " ".join(["filler"] * 500) + " The key is under the mat.")
    assert answer.startswith("Echo:")  # answered (from parts), not refused for its length


def test_the_ask_command_reads_a_long_context_in_parts(isolated: object) -> None:
    import json
    from pathlib import Path

    from tests.support.cli import run

    Path(".chi_llm.json").write_text(json.dumps({"provider": {"type": "fake", "context": 200}}))
    Path("long.txt").write_text(" ".join(["filler"] * 600) + " The key is under the mat.")
    done = run("ask", "Where is the key?", "--context-file", "long.txt")
    assert done.exit_code == 0, done.stderr  # answered from parts, not refused for its length
    assert done.stdout.startswith("Echo:")
