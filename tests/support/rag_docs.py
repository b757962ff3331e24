"""Folders of documents for knowledge-base tests (prose on the fake embedder, or mixed kinds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chi_llm import MicroRAG

FAKE = {"provider": {"type": "fake"}, "rag": {"embedding_model": "fake", "min_score": 0.1}}


WORDS = [f"word{n}" for n in range(997)]


def prose(paragraphs: int, seed: int) -> str:
    return "\n\n".join(
        " ".join(WORDS[(seed * 31 + p * 7 + w) % len(WORDS)] for w in range(120)) for p in range(paragraphs)
    )


def prose_docs(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(FAKE))
    folder = isolated / "docs"
    folder.mkdir()
    for number in range(6):
        (folder / f"doc{number}.md").write_text(prose(8, number))
    return folder


def stored(db: Path) -> tuple[int, dict[str, int]]:
    rag = MicroRAG(db_path=db)
    return rag.count(), {Path(d.source).name: d.chunks for d in rag.list_sources()}


def mixed_docs(isolated: Path) -> Path:
    folder = isolated / "docs"
    folder.mkdir()
    (folder / "garden.md").write_text("# Garden\n\n## Shade\n\nLettuce and ferns grow in shade.\n")
    (folder / "cars.txt").write_text("The blue car needs new brakes.\n")
    (folder / "image.png").write_bytes(b"\x89PNG\x00\x00")
    return folder
