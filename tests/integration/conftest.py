"""Integration tests load real models with many different settings (slots, context, threads):
each loaded model keeps a decode thread and its KV cache for the process, so they are unloaded
after every module, not left to pile up for the rest of the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def _unload_models_after_the_module() -> Iterator[None]:
    yield
    from chi_llm.adapters.llama_cpp.loader import unload_all

    unload_all()
