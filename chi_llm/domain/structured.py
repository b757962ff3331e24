"""Structured output: the JSON Schema an answer must follow, and the error when it does not.

A schema travels inside GenerationOptions as `OutputSchema`: canonical JSON text, so options stay
immutable and hashable; each backend enforces it with its own mechanism (a llama.cpp grammar,
`response_format` json_schema, Ollama's `format`, Gemini's `responseSchema`, an Anthropic forced
tool) or, where it cannot, asks for JSON and the caller validates."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chi_llm.domain.errors import InvalidRequest

MAX_SCHEMA_DEPTH = 64  # JSON nesting of a schema: deeper ones exhaust validators' recursion


def nesting(value: Any) -> int:
    """How deeply objects and arrays nest in a JSON value (walked without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, Mapping | list | tuple):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, Mapping) else node))
    return deepest


@dataclass(frozen=True, slots=True)
class OutputSchema:
    """A JSON Schema for the answer. `name` is what backends that name schemas are told."""

    text: str
    name: str = "output"

    @classmethod
    def of(cls, schema: Mapping[str, Any], name: str = "output") -> OutputSchema:
        if not isinstance(schema, Mapping):
            raise InvalidRequest(f"a JSON Schema is a mapping, got {type(schema).__name__}")
        if nesting(schema) > MAX_SCHEMA_DEPTH:
            raise InvalidRequest(f"the JSON Schema is nested more than {MAX_SCHEMA_DEPTH} levels deep; flatten it")
        try:
            text = json.dumps(schema, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise InvalidRequest(f"the JSON Schema is not JSON: {exc}") from exc
        return cls(text=text, name=name)

    @property
    def value(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.text)
        return loaded

    @property
    def strict_ready(self) -> bool:
        """Whether OpenAI's strict mode accepts it: every object closed, every property required."""
        return _strict(self.value)


def _strict(node: Any) -> bool:
    if isinstance(node, list):
        return all(_strict(n) for n in node)
    if not isinstance(node, dict):
        return True
    if node.get("type") == "object" or "properties" in node:
        properties = node.get("properties") or {}
        if node.get("additionalProperties") is not False or set(node.get("required") or ()) != set(properties):
            return False
    return all(_strict(v) for k, v in node.items() if k not in ("enum", "const", "default", "examples"))


class SchemaValidator(ABC):
    """Checks a JSON value against a JSON Schema (the port `extract` validates every answer with)."""

    @abstractmethod
    def errors(self, instance: Any, schema: Mapping[str, Any]) -> list[str]:
        """Every problem, one line each (`$.age: 'x' is not of type 'integer'`); empty when valid."""

    @abstractmethod
    def check_schema(self, schema: Mapping[str, Any]) -> list[str]:
        """Problems with the schema itself; empty when it is a valid JSON Schema."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Extraction:
    """What `extract` produced: the validated value, the model's text, and the attempts it took
    (2 when one repair was needed)."""

    value: Any
    raw: str
    attempts: int = 1
    enforced: bool = False  # the backend bound its decoding to the schema (else: requested, validated)


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """The label (or labels with `multi`) chosen, always among those given."""

    labels: tuple[str, ...]
    raw: str
    # Where the backend exposes log-probabilities (llama.cpp): how likely each label was, and
    # the chosen one's share. None elsewhere, and with `multi`.
    scores: Mapping[str, float] | None = None
    confidence: float | None = None

    @property
    def label(self) -> str | None:
        return self.labels[0] if self.labels else None
