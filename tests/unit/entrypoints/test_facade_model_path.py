"""`MicroLLM(model=...)` takes a path object as well as text: the notice for 2.x's `model_path=`
tells users to write `model=path`, so that spelling must work with the Path they had."""

from __future__ import annotations

from pathlib import Path

from chi_llm import MicroLLM


def test_a_path_object_is_a_model(tmp_path: Path) -> None:
    model = tmp_path / "mine.gguf"
    assert MicroLLM(model=model, provider={"type": "fake"}).model == str(model)
