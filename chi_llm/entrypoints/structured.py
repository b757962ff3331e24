"""`MicroLLM.extract` / `classify` (and their async twins): structured output on any backend; and
the task helpers `summarize`, `translate`, `analyze`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chi_llm.application.structured import StructuredService
from chi_llm.application.tasks import TaskService
from chi_llm.application.type_schema import schema_for
from chi_llm.domain.generation import Completion, GenerationOptions, GenerationRequest
from chi_llm.domain.structured import Classification, Extraction, OutputSchema

if TYPE_CHECKING:
    from chi_llm.entrypoints.container import Container


class StructuredCalls:
    """Mixed into MicroLLM, whose container provides the services."""

    _container: Container
    last_completion: Completion | None
    last_extraction: Extraction | None = None
    last_classification: Classification | None = None  # with `confidence` where the backend gives one

    if TYPE_CHECKING:  # MicroLLM's own

        def _options(self, options: Mapping[str, Any]) -> GenerationOptions: ...

        def generate(self, prompt: str, *, system: str | None = None, **options: Any) -> str: ...

    def _structured(self) -> StructuredService:
        return self._container.structured()

    def _tasks(self) -> TaskService:
        return self._container.tasks()

    # -- task helpers: long inputs are split to fit the context and the parts combined ------------
    def summarize(self, text: str, style: str = "concise", **options: Any) -> str:
        """A summary (`style`: concise, bullets, detailed or tldr) of any length of text."""
        return self._tasks().summarize(text, style, self._options(options)).text

    def translate(self, text: str, to: str, **options: Any) -> str:
        """`text` in the language `to` (a name: "French", "Japanese"...)."""
        return self._tasks().translate(text, to, self._options(options)).text

    def fits(self, prompt: str, **options: Any) -> bool:
        """Whether `prompt` fits one call (the context less the answer's room), by the backend's tokenizer."""
        return self._tasks().fits(prompt, self._options(options))

    def template(self, name: str, *args: Any, **values: Any) -> str:
        """Render the prompt template `name` with these values and generate from it. Generation
        options go in `options={...}` (the template's own variables are the keywords)."""
        from chi_llm.entrypoints.templates import TemplateLibrary

        options = values.pop("options", None) or {}
        prompt = TemplateLibrary(self._container.templates()).render(name, *args, **values)
        return self.generate(prompt, **options)

    def analyze(self, code: str, question: str | None = None, **options: Any) -> str:
        """What `code` does, its bugs and risks — or the answer to `question` about it."""
        return self._tasks().analyze(code, question, self._options(options)).text

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
        service, request, build = self._extraction(text, schema, instructions, options)
        return self._kept(service, service.extract(request), build)

    def stream_extract(self, text: str, schema: Any, *, instructions: str | None = None, **options: Any) -> Any:
        """The answer's text as it is produced (a schema-bound backend streams valid JSON). When it
        ends the answer is validated (repaired once if needed); the validated value, as the type
        asked for, is then in `last_extraction.value` (StructuredOutputError if it never fits)."""
        service, request, build = self._extraction(text, schema, instructions, options)
        yield from service.stream_extract(request)
        self._keep_streamed(service, build)

    async def astream_extract(
        self, text: str, schema: Any, *, instructions: str | None = None, **options: Any
    ) -> AsyncIterator[str]:
        """`stream_extract` for asyncio: `async for piece in llm.astream_extract(...)`."""
        service, request, build = self._extraction(text, schema, instructions, options)
        async for piece in service.astream_extract(request):
            yield piece
        self._keep_streamed(service, build)

    async def aextract(self, text: str, schema: Any, *, instructions: str | None = None, **options: Any) -> Any:
        """`extract` for asyncio: the value of `schema`'s type drawn from `text`, validated."""
        service, request, build = self._extraction(text, schema, instructions, options)
        return self._kept(service, await service.aextract(request), build)

    def _extraction(
        self, text: str, schema: Any, instructions: str | None, options: Mapping[str, Any]
    ) -> tuple[StructuredService, GenerationRequest, Callable[[Any], Any]]:
        """The service, the prepared request and how to build the type asked for from its value."""
        shape, build = schema_for(schema)
        service = self._structured()
        named = OutputSchema.of(shape, name=_name(schema))
        return service, service.prepare(text, named, instructions, self._options(options)), build

    def _kept(self, service: StructuredService, done: Extraction, build: Callable[[Any], Any]) -> Any:
        """Keep the call's completion and extraction; return its value as the type asked for."""
        self.last_completion, self.last_extraction = service.last_completion, done
        return build(done.value)

    def _keep_streamed(self, service: StructuredService, build: Callable[[Any], Any]) -> None:
        done = service.last_extraction
        self.last_completion = service.last_completion
        self.last_extraction = replace(done, value=build(done.value)) if done is not None else None

    def classify(self, text: str, labels: Sequence[str], *, multi: bool = False, **options: Any) -> Any:
        """One of `labels` (or, with `multi`, the list of those that apply) — never anything else."""
        service = self._structured()
        return self._labelled(
            service, service.classify(text, labels, multi=multi, options=self._options(options)), multi
        )

    async def aclassify(self, text: str, labels: Sequence[str], *, multi: bool = False, **options: Any) -> Any:
        """`classify` for asyncio: one of `labels` (a list of them with `multi=True`)."""
        service = self._structured()
        return self._labelled(
            service, await service.aclassify(text, labels, multi=multi, options=self._options(options)), multi
        )

    def _labelled(self, service: StructuredService, result: Classification, multi: bool) -> Any:
        """Keep the call's completion and classification; return its label (or labels)."""
        self.last_completion, self.last_classification = service.last_completion, result
        return list(result.labels) if multi else result.label


def _name(schema: Any) -> str:
    """What backends that name schemas are told: the class name, else `output`."""
    name = getattr(schema, "__name__", None) if isinstance(schema, type) else None
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name)[:64] if name else "output"
