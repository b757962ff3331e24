"""chi_llm 2.x's MicroLLM spellings, read as today's (each old one with a DeprecationWarning that
says what to write instead): the task helpers' parameters (`format`, `max_sentences`,
`target_language`, `categories`), generate's `use_raw` and llama.cpp sampling keywords, the
`model_id`/`model_path` arguments and attributes, and a provider given as `{type, host, port}`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chi_llm.domain.errors import ChiLlmError, InvalidRequest
from chi_llm.domain.legacy import migrate_provider
from chi_llm.entrypoints.legacy_api import notice, old_spelling
from chi_llm.entrypoints.structured import StructuredCalls

# llama.cpp sampling keywords 2.x passed through per call; today they come from the model's
# catalog entry (`sampling`), which a `models:` entry in configuration overrides
SAMPLING_KEYWORDS = ("top_k", "min_p", "repeat_penalty")
_SCHEMA_WORDS = ("type", "properties", "items", "enum", "anyOf", "oneOf", "allOf", "$ref", "$schema", "const")


def provider_argument(provider: str | Mapping[str, Any] | None) -> tuple[str | Mapping[str, Any] | None, int | None]:
    """A provider mapping in today's shape (2.x's `host`/`port`, `timeout`, type names...
    mapped), and the `max_tokens` its 2.x `output_tokens` asked for."""
    if not isinstance(provider, Mapping):
        return provider, None
    migrated, notices, hoisted = migrate_provider(provider, "argument", final=True)
    for text in notices:
        if "'output_tokens'" not in text:
            notice("MicroLLM(provider=...): " + text.removeprefix("argument: "))
    if hoisted:
        old_spelling("MicroLLM(provider={..., 'output_tokens': N})", "pass MicroLLM(max_tokens=N)")
    return migrated, hoisted.get("max_tokens")


def model_argument(model_id: str | None, model_path: str | Path | None) -> str | None:
    """2.x's `model_id=` / `model_path=`: today one `model=` takes an id or a path."""
    if model_id is not None:
        old_spelling("MicroLLM(model_id=...)", "write MicroLLM(model=...)")
        return model_id
    if model_path is not None:
        old_spelling("MicroLLM(model_path=...)", "write MicroLLM(model=path)")
        return str(model_path)
    return None


def plain_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Per-call options without 2.x's llama.cpp sampling keywords (noticed, then left to the model's entry)."""
    given = [k for k in SAMPLING_KEYWORDS if k in options]
    if not given:
        return dict(options)
    old_spelling(
        f"{', '.join(given)} per call (not applied today)",
        "set it in the model's `sampling` (a `models:` entry in configuration), or pass temperature/top_p",
    )
    return {k: v for k, v in options.items() if k not in SAMPLING_KEYWORDS}


def raw_wanted(options: dict[str, Any]) -> bool:
    """2.x's `generate(prompt, use_raw=True)` (removed from `options`): today's `complete(text)`."""
    if "use_raw" not in options:
        return False
    old_spelling("generate(..., use_raw=True)", "use complete(text)")
    return bool(options.pop("use_raw"))


class LegacyCalls(StructuredCalls):
    """MicroLLM's task helpers taking 2.x's parameters too, and 2.x's attributes."""

    _tags: list[str] | None = None

    if TYPE_CHECKING:  # MicroLLM's own
        settings: Any

        @property
        def model(self) -> str | None: ...

        @property
        def backend(self) -> Any: ...

    # -- task helpers ------------------------------------------------------------------------------
    def summarize(
        self, text: str, style: str | int = "concise", max_sentences: int | None = None, **options: Any
    ) -> str:
        """A summary (`style`: concise, bullets, detailed or tldr) of any length of text;
        `max_sentences` (default 3) bounds the concise one."""
        if isinstance(style, int) and not isinstance(style, bool):  # 2.x: summarize(text, 5)
            old_spelling("summarize(text, N)", "write summarize(text, max_sentences=N)")
            max_sentences = style
            style = "concise"
        done = self._tasks().summarize(text, str(style), self._options(options), sentences=max_sentences)
        return done.text

    def translate(self, text: str, to: str | None = None, target_language: str | None = None, **options: Any) -> str:
        """`text` in the language `to` (a name: "French", "Japanese"...; default English)."""
        if target_language is not None:
            old_spelling("translate(target_language=...)", "write translate(text, to=...)")
        return super().translate(text, to or target_language or "English", **options)

    def classify(
        self,
        text: str,
        labels: Sequence[str] | None = None,
        *,
        multi: bool = False,
        categories: Sequence[str] | None = None,
        **options: Any,
    ) -> Any:
        """One of `labels` (or, with `multi`, the list of those that apply) — never anything else."""
        if categories is not None:
            old_spelling("classify(categories=...)", "write classify(text, labels=...)")
        chosen = labels if labels is not None else categories
        if not chosen:
            raise InvalidRequest("give the labels to choose from: classify(text, labels=['a', 'b'])")
        return super().classify(text, chosen, multi=multi, **options)

    def extract(
        self,
        text: str,
        schema: Any = None,
        *,
        instructions: str | None = None,
        format: str | None = None,  # 2.x's name
        **options: Any,
    ) -> Any:
        """The data in `text` as `schema` describes it, validated (see StructuredCalls.extract).

        chi_llm 2.x's forms return text, as they did: `extract(text)` and `extract(text,
        format="json", schema=...)` the validated JSON as a string; another `format` ("yaml",
        "csv"...) the model's answer in it."""
        if isinstance(schema, str):  # 2.x: extract(text, "json")
            format, schema = schema, None
        if schema is not None and format is None:
            return super().extract(text, schema, instructions=instructions, **options)
        old_spelling("extract(text[, format=..., schema=...]) returning text", "write extract(text, schema)")
        wanted = (format or "json").strip().lower()
        if wanted != "json":
            shape = f" following this structure: {json.dumps(schema)}" if schema is not None else ""
            prompt = (
                f"Extract the key information from the text below as {wanted}{shape}. Reply with the {wanted} only."
            )
            return self.generate(f"{prompt}\n\n{text}", **options)
        if isinstance(schema, Mapping) and not any(word in schema for word in _SCHEMA_WORDS):
            described = f"Use this structure: {json.dumps(schema)}"  # 2.x's {field: type} sketch
            instructions = f"{instructions}\n{described}" if instructions else described
            schema = None
        value = super().extract(
            text, schema if schema is not None else {"type": "object"}, instructions=instructions, **options
        )
        return json.dumps(value, ensure_ascii=False)

    # -- 2.x's attributes ---------------------------------------------------------------------------
    @property
    def model_id(self) -> str | None:
        """The catalog id of the model (2.x's attribute; today `model`)."""
        old_spelling("MicroLLM.model_id", "read MicroLLM.model")
        return self.model

    @property
    def model_path(self) -> str | None:
        """Where the local model's file is (None for a remote provider)."""
        old_spelling("MicroLLM.model_path", "use ModelManager().get_current_model().path")
        from chi_llm.entrypoints.legacy_api import _manager

        try:
            return str(_manager().info(self.model).path)
        except ChiLlmError:  # a path, or a server's model name
            return self.model if self.model and Path(self.model).suffix == ".gguf" else None

    @property
    def provider_config(self) -> dict[str, Any]:
        """The configured provider (API keys only as set / not set)."""
        old_spelling("MicroLLM.provider_config", "read MicroLLM.settings.public()['provider']")
        config: dict[str, Any] = self.settings.public()["provider"]
        return config

    @property
    def llm(self) -> Any:
        """The backend adapter (2.x: the llama.cpp `Llama` object)."""
        old_spelling("MicroLLM.llm", "read MicroLLM.backend")
        return self.backend

    @property
    def tags(self) -> list[str] | None:
        """The provider tags this instance was made with (MicroLLM(tags=[...]))."""
        return self._tags
