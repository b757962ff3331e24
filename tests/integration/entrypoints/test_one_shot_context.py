"""A one-shot generation loads the real model with the small context it sized."""

from __future__ import annotations

from pathlib import Path

import pytest

from chi_llm.adapters.llama_cpp.loader import loaded_models
from chi_llm.entrypoints.cli.options import MIN_CONTEXT
from tests.support.cli import run


def test_generate_loads_the_model_with_the_small_context(
    isolated: Path, default_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHI_LLM_HOME", str(default_model_path.parent.parent))
    assert run("generate", "-m", "4", "-t", "0", "hi").exit_code == 0
    contexts = {m.params.context for m in loaded_models() if m.params.path == default_model_path.resolve()}
    assert MIN_CONTEXT in contexts
