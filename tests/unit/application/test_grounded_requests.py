"""Requests whose answers draw on their prompt's own text are marked `grounded` (a local model then
tries prompt-lookup drafts): task helpers, extraction, RAG answers, `ask` with a context, and any
call given `grounded=True`; a translation and a plain question are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chi_llm import MicroLLM, MicroRAG
from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.application.generation import GenerationService
from chi_llm.application.structured import StructuredService
from chi_llm.application.tasks import TaskService
from chi_llm.domain.generation import GenerationOptions
from chi_llm.domain.structured import OutputSchema


def fake_llm(*replies: str) -> tuple[MicroLLM, FakeTextGenerator]:
    llm = MicroLLM(provider={"type": "fake", "replies": list(replies)})
    backend = llm.backend
    assert isinstance(backend, FakeTextGenerator)
    return llm, backend


def test_task_helpers_are_grounded_but_a_translation_is_not() -> None:
    fake = FakeTextGenerator(["done"] * 8)
    tasks = TaskService(GenerationService(fake, defaults=GenerationOptions(max_tokens=20)))
    tasks.summarize("One paragraph about the sea.")
    tasks.analyze("def f(x):\n    return x")
    tasks.ask("Why?", "Because.")
    assert len(fake.requests) >= 3 and all(r.options.grounded for r in fake.requests)
    tasks.translate("Bonjour", to="English")
    assert fake.requests[-1].options.grounded is False


def test_an_extraction_is_grounded() -> None:
    service = StructuredService(GenerationService(FakeTextGenerator(['{"name": "Ada"}'])), JsonSchemaValidator())
    schema = OutputSchema.of({"type": "object", "properties": {"name": {"type": "string"}}})
    assert service.prepare("Ada wrote the first program", schema).options.grounded


def test_ask_with_a_context_is_grounded_and_a_plain_question_is_not() -> None:
    llm, backend = fake_llm("a", "b", "c", "d")
    llm.ask("How long?", context="Books are lent for three weeks.")
    llm.ask("How long?")
    llm.generate("Copy this: abc", grounded=True)
    llm.ask("How long?", context="Three weeks.", grounded=False)
    assert [r.options.grounded for r in backend.requests] == [True, False, True, False]


def test_a_rag_answer_is_grounded(monkeypatch: pytest.MonkeyPatch, isolated: Path, tmp_path: Path) -> None:
    config = {
        "provider": {"type": "fake", "replies": ["Water twice a week [1]."]},
        "rag": {"embedding_model": "fake", "min_score": 0.0},
    }
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(config))
    rag = MicroRAG(db_path=tmp_path / "kb")
    rag.add_documents(["Water tomatoes twice a week at the base."])
    seen: list[GenerationOptions] = []
    real = FakeTextGenerator.generate

    def spy(self: FakeTextGenerator, request):  # type: ignore[no-untyped-def]
        seen.append(request.options)
        return real(self, request)

    monkeypatch.setattr(FakeTextGenerator, "generate", spy)
    rag.query("How often do I water tomatoes?")
    assert seen and all(o.grounded for o in seen)
