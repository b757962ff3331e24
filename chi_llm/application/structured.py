"""Structured output use cases: `extract` (a JSON value that follows a schema, validated, with one
bounded repair) and `classify` (labels constrained to those given)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from typing import Any

from chi_llm.application.generation import GenerationService
from chi_llm.domain.errors import InvalidRequest, StructuredOutputError
from chi_llm.domain.generation import Completion, GenerationOptions, GenerationRequest, atexts, texts
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import Classification, Extraction, OutputSchema, SchemaValidator

EXTRACT_SYSTEM = (
    "You extract information from the user's text. Reply with only a JSON value that follows this "
    "JSON Schema, with no explanation and no code fence. Use null or leave out what the text does not say "
    "when the schema allows it.\nJSON Schema: {schema}"
)
LABEL_PREFIX = '{"label": "'  # where the label starts in the answer, for scoring each one
REPAIR = "Your answer does not follow the schema:\n{errors}\nReply again with only the corrected JSON."
FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse(text: str) -> tuple[Any, list[str]]:
    """The JSON value in an answer (a code fence around it is tolerated), or why there is none."""
    body = FENCE.sub(r"\1", text).strip()
    try:  # strict=False: a raw newline inside a string (llama.cpp's grammar allows one) is kept
        return json.loads(body, strict=False), []
    except ValueError as exc:
        return None, [f"$: not JSON ({exc})"]
    except RecursionError:
        return None, ["$: nested too deeply to read"]


class StructuredService:
    """Runs extraction and classification on the generation service, validating every answer."""

    def __init__(self, generation: GenerationService, validator: SchemaValidator) -> None:
        self.generation = generation
        self.validator = validator
        self.last_completion: Completion | None = None
        self.last_extraction: Extraction | None = None

    def prepare(
        self, text: str, schema: OutputSchema, instructions: str | None = None, options: GenerationOptions | None = None
    ) -> GenerationRequest:
        """The extraction request for `text`: the schema rides in its options; every way of running
        it (`extract`, `aextract`, `stream_extract`, `astream_extract`) takes it from there."""
        problems = self.validator.check_schema(schema.value)
        if problems:
            raise InvalidRequest(f"the schema is not a valid JSON Schema: {'; '.join(problems)}")
        system = EXTRACT_SYSTEM.format(schema=schema.text)
        if instructions:
            system += f"\n{instructions}"
        given = options or GenerationOptions()
        chosen = replace(
            given, schema=schema, temperature=0.0 if given.temperature is None else given.temperature, grounded=True
        )
        return self.generation.chat_request([Message(role="user", content=text)], chosen, system=system)

    @staticmethod
    def _schema(request: GenerationRequest) -> OutputSchema:
        if request.options.schema is None:
            raise InvalidRequest("an extraction request carries its schema: make it with `prepare`")
        return request.options.schema

    def _check(self, completion: Completion, schema: OutputSchema) -> tuple[Any, list[str]]:
        enforced = self.generation.generator.enforces(schema)
        self.last_completion = replace(completion, structured="enforced" if enforced else "requested")
        value = schema.value
        parsed, problems = parse(completion.text)
        return parsed, problems or self.validator.errors(parsed, value)

    def _extraction(self, value: Any, completion: Completion, attempt: int) -> Extraction:
        enforced = self.last_completion is not None and self.last_completion.structured == "enforced"
        self.last_extraction = Extraction(value=value, raw=completion.text, attempts=attempt, enforced=enforced)
        return self.last_extraction

    @staticmethod
    def _repair(request: GenerationRequest, raw: str, problems: Sequence[str]) -> GenerationRequest:
        listed = "\n".join(f"- {p}" for p in problems[:10])
        turns = (*request.messages, Message(role="assistant", content=raw or "(empty)"))
        turns += (Message(role="user", content=REPAIR.format(errors=listed)),)
        return replace(request, messages=turns)

    @staticmethod
    def _failed(raw: str, problems: Sequence[str]) -> StructuredOutputError:
        return StructuredOutputError(
            "the model's answer does not follow the schema, even after a repair attempt: "
            f"{'; '.join(problems[:3])}. Try a larger model, a simpler schema, or a backend that enforces schemas",
            raw=raw,
            errors=problems,
        )

    def _judged(
        self, request: GenerationRequest, completion: Completion, attempt: int
    ) -> Extraction | GenerationRequest:
        """The extraction when the answer follows the schema; else, after the first attempt, the
        request that repairs it, and after the second the failure (raised)."""
        parsed, problems = self._check(completion, self._schema(request))
        if not problems:
            return self._extraction(parsed, completion, attempt)
        if attempt > 1:
            raise self._failed(completion.text, problems)
        return self._repair(request, completion.text, problems)

    def extract(self, request: GenerationRequest) -> Extraction:
        """Run a `prepare`d request: the validated value, after one repair attempt where needed."""
        for attempt in (1, 2):
            step = self._judged(request, self.generation.generate(request), attempt)
            if isinstance(step, Extraction):
                return step
            request = step
        raise AssertionError("unreachable: the second attempt returns or raises")  # pragma: no cover

    async def aextract(self, request: GenerationRequest) -> Extraction:
        for attempt in (1, 2):
            step = self._judged(request, await self.generation.agenerate(request), attempt)
            if isinstance(step, Extraction):
                return step
            request = step
        raise AssertionError("unreachable: the second attempt returns or raises")  # pragma: no cover

    def stream_extract(self, request: GenerationRequest) -> Iterator[str]:
        """The answer's text as it is produced; when the stream ends it is validated (and, if it
        does not fit, repaired once without streaming). The result is `last_extraction`."""
        ended: list[Completion] = []
        yield from texts(self.generation.stream(request), request.model, ended.append)
        repair = self._judged(request, ended[0], 1)
        if isinstance(repair, GenerationRequest):
            self._judged(repair, self.generation.generate(repair), 2)

    async def astream_extract(self, request: GenerationRequest) -> AsyncIterator[str]:
        """`stream_extract` for asyncio."""
        ended: list[Completion] = []
        async for piece in atexts(self.generation.astream(request), request.model, ended.append):
            yield piece
        repair = self._judged(request, ended[0], 1)
        if isinstance(repair, GenerationRequest):
            self._judged(repair, await self.generation.agenerate(repair), 2)

    # -- classification ----------------------------------------------------------------------
    @staticmethod
    def label_schema(labels: Sequence[str], *, multi: bool) -> OutputSchema:
        clean = list(dict.fromkeys(str(label).strip() for label in labels if str(label).strip()))
        if len(clean) < 2:
            raise InvalidRequest("give at least two different labels to classify into")
        if multi:
            key, field = (
                "labels",
                {"type": "array", "items": {"enum": clean}, "uniqueItems": True, "maxItems": len(clean)},
            )
        else:
            key, field = "label", {"enum": clean}
        shape = {"type": "object", "properties": {key: field}, "required": [key], "additionalProperties": False}
        return OutputSchema.of(shape, name="classification")

    @staticmethod
    def _choices(schema: OutputSchema) -> list[str]:
        """The labels as `label_schema` cleaned them (stripped, deduplicated)."""
        field = next(iter(schema.value["properties"].values()))
        return list(field["items"]["enum"] if "items" in field else field["enum"])

    @classmethod
    def _classify_instructions(cls, schema: OutputSchema, multi: bool) -> str:
        how = "every label that applies (possibly none)" if multi else "the one label that fits best"
        return f"Classify the text: choose {how} from: {', '.join(cls._choices(schema))}."

    @staticmethod
    def _classification(extraction: Extraction, multi: bool) -> Classification:
        value = extraction.value
        chosen = value["labels"] if multi else [value["label"]]
        return Classification(labels=tuple(chosen), raw=extraction.raw)

    def _label_request(
        self, text: str, labels: Sequence[str], multi: bool, options: GenerationOptions | None
    ) -> GenerationRequest:
        schema = self.label_schema(labels, multi=multi)
        return self.prepare(text, schema, self._classify_instructions(schema, multi), options)

    def _classified(self, extraction: Extraction, request: GenerationRequest, multi: bool) -> Classification:
        """The labels chosen; a single label with each label's probability where the backend has them."""
        result = self._classification(extraction, multi)
        return result if multi else self._scored(result, request)

    def classify(
        self, text: str, labels: Sequence[str], *, multi: bool = False, options: GenerationOptions | None = None
    ) -> Classification:
        request = self._label_request(text, labels, multi, options)
        return self._classified(self.extract(request), request, multi)

    async def aclassify(
        self, text: str, labels: Sequence[str], *, multi: bool = False, options: GenerationOptions | None = None
    ) -> Classification:
        request = self._label_request(text, labels, multi, options)
        extraction = await self.aextract(request)
        return await asyncio.to_thread(self._classified, extraction, request, multi)  # scoring blocks: off the loop

    def _scored(self, result: Classification, request: GenerationRequest) -> Classification:
        """With each label's probability where the backend exposes log-probabilities."""
        choices = self._choices(self._schema(request))
        scores = self.generation.generator.label_probabilities(request, LABEL_PREFIX, choices, '"')
        if not scores:
            return result
        return replace(result, scores=scores, confidence=scores.get(result.labels[0]))
