"""Shared fixtures of the local engine's tests."""

from __future__ import annotations

from typing import Any

import pytest

from chi_llm.adapters.llama_cpp.engine.native import Entry, NativeContext


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[list[Entry]]:
    """The entries of every llama_decode."""
    seen: list[list[Entry]] = []
    real = NativeContext.decode

    def spy(self: NativeContext, entries: Any) -> None:
        seen.append(list(entries))
        real(self, entries)

    monkeypatch.setattr(NativeContext, "decode", spy)
    return seen
