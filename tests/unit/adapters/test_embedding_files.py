"""The embedding model's files: verified one by one; a wrong file keeps nothing; offline reuse."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.embedding_files import EmbeddingModelFiles
from chi_llm.adapters.models.wheel_source import WheelModelSource
from chi_llm.domain.errors import ModelCorrupt
from chi_llm.domain.rag import EmbeddingFile, EmbeddingSpec

CONTENT = {"model.onnx": b"onnx bytes", "tokenizer.json": b"{}"}
SPEC = EmbeddingSpec(
    id="org/tiny",
    dimension=4,
    pooling="mean",
    normalize=True,
    requirement="pkg==1.0",
    folder="pkg/data",
    files=tuple(
        EmbeddingFile(name=n, size_bytes=len(b), sha256=hashlib.sha256(b).hexdigest()) for n, b in CONTENT.items()
    ),
)


class ScriptedWheel(WheelModelSource):
    """Writes the members as given (a stand-in for pip and the wheel); counts the fetches."""

    def __init__(self, content: dict[str, bytes]) -> None:
        super().__init__()
        self.content = content
        self.fetches = 0

    def fetch_members(self, label: str, requirement: str, members: dict[str, Path], *args: Any) -> None:
        self.fetches += 1
        for member, path in members.items():
            path.write_bytes(self.content[member.rsplit("/", 1)[1]])


def test_files_are_fetched_once_verified_and_reused(tmp_path: Path) -> None:
    wheel = ScriptedWheel(CONTENT)
    files = EmbeddingModelFiles(tmp_path / "emb", wheel)
    folder = files.ensure(SPEC, lambda _: None)
    assert (folder / "model.onnx").read_bytes() == b"onnx bytes" and files.is_ready(SPEC)
    assert files.ensure(SPEC, lambda _: None) == folder and wheel.fetches == 1
    assert sorted(p.name for p in (tmp_path / "emb").iterdir()) == [".org--tiny.lock", "org--tiny"]


def test_a_file_that_is_not_the_pinned_one_keeps_nothing(tmp_path: Path) -> None:
    files = EmbeddingModelFiles(tmp_path / "emb", ScriptedWheel({**CONTENT, "model.onnx": b"onnx bytez"}))
    with pytest.raises(ModelCorrupt, match=r"model\.onnx"):
        files.ensure(SPEC, lambda _: None)
    assert not files.is_ready(SPEC) and not files.folder_for(SPEC).exists()
    assert [p.name for p in (tmp_path / "emb").iterdir()] == [".org--tiny.lock"]


def test_a_truncated_file_after_the_fact_is_not_ready(tmp_path: Path) -> None:
    files = EmbeddingModelFiles(tmp_path / "emb", ScriptedWheel(CONTENT))
    folder = files.ensure(SPEC, lambda _: None)
    (folder / "model.onnx").write_bytes(b"onnx")
    assert not files.is_ready(SPEC)
