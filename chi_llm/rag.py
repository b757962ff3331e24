"""chi_llm 2.x's module path `chi_llm.rag` (MicroRAG, Document, quick_rag, FastEmbedWrapper,
SentenceTransformerWrapper) with 2.x's methods and results; each name gives a DeprecationWarning
pointing at today's `from chi_llm import MicroRAG, quick_rag`."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    from chi_llm.entrypoints import legacy_rag

    if name in legacy_rag.NAMES:
        return legacy_rag.export(name)
    raise AttributeError(f"module 'chi_llm.rag' has no attribute {name!r}")
