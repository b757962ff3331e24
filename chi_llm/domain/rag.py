"""RAG value types: passages (chunks of documents), search hits, answers with their sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chi_llm.domain.results import JsonResult

SearchMode = Literal["vector", "text", "hybrid"]
SEARCH_MODES: tuple[SearchMode, ...] = ("vector", "text", "hybrid")


@dataclass(frozen=True, slots=True, kw_only=True)
class Passage(JsonResult):
    """One chunk of a document: `text` is `document[start:end]`; `heading` the section it is in."""

    id: str  # "<document id>#<index>"
    document_id: str
    source: str  # the file path (or what the caller named it)
    index: int
    start: int
    end: int
    text: str
    heading: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit(JsonResult):
    """A passage found by a search, with its score (higher is better; its scale depends on the mode)."""

    passage: Passage
    score: float

    def json_fields(self) -> Mapping[str, Any]:
        return {**self.passage.to_json(), "score": self.score}
