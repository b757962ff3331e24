"""`MicroLLM.extract` / `classify` (and their async twins): structured output on any backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chi_llm.application.structured import StructuredService
from chi_llm.application.type_schema import schema_for
from chi_llm.domain.generation import Completion, GenerationOptions
from chi_llm.domain.structured import Classification, Extraction, OutputSchema


class StructuredCalls:
    """Mixed into MicroLLM: `_structured()` gives the service, `_options` checks option names."""

    last_completion: Completion | None
    last_extraction: Extraction | None = None

    def _structured(self) -> StructuredService:
        raise NotImplementedError

    def _options(self, options: Mapping[str, Any]) -> GenerationOptions:
        raise NotImplementedError

    def extract(self, text: str, schema: Any, *, instructions: str | None = None, **options: Any) -> Any:
        """The data in `text` as `schema` describes it, validated.

        Args:
            schema: a JSON Schema mapping, a dataclass, a TypedDict, or a class with
                `model_json_schema()` (pydantic); the result is that type's instance (a dict
                or list for a mapping).
            instructions: more guidance for the model (what to do with missing values, ...).

        The backend enforces the schema where it can (a llama.cpp grammar, `response_format`,
        Ollama's `format`, Gemini's `responseSchema`, an Anthropic tool); every answer is then
        validated, and a wrong one gets one repair attempt showing the model the errors.
        Raises StructuredOutputError (with `.raw` and `.errors`) when it still does not fit.
        """
        shape, build = schema_for(schema)
        service = self._structured()
        extraction = service.extract(
            text, OutputSchema.of(shape, name=_name(schema)), instructions=instructions, options=self._options(options)
        )
        self.last_completion, self.last_extraction = service.last_completion, extraction
        return build(extraction.value)

    async def aextract(self, text: str, schema: Any, *, instructions: str | None = None, **options: Any) -> Any:
        shape, build = schema_for(schema)
        service = self._structured()
        extraction = await service.aextract(
            text, OutputSchema.of(shape, name=_name(schema)), instructions=instructions, options=self._options(options)
        )
        self.last_completion, self.last_extraction = service.last_completion, extraction
        return build(extraction.value)

    def classify(self, text: str, labels: Sequence[str], *, multi: bool = False, **options: Any) -> Any:
        """One of `labels` (or, with `multi`, the list of those that apply) — never anything else."""
        service = self._structured()
        result = service.classify(text, labels, multi=multi, options=self._options(options))
        self.last_completion = service.last_completion
        return _labels(result, multi)

    async def aclassify(self, text: str, labels: Sequence[str], *, multi: bool = False, **options: Any) -> Any:
        service = self._structured()
        result = await service.aclassify(text, labels, multi=multi, options=self._options(options))
        self.last_completion = service.last_completion
        return _labels(result, multi)


def _labels(result: Classification, multi: bool) -> Any:
    return list(result.labels) if multi else result.label


def _name(schema: Any) -> str:
    """What backends that name schemas are told: the class name, else `output`."""
    name = getattr(schema, "__name__", None) if isinstance(schema, type) else None
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name)[:64] if name else "output"
