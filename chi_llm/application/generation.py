"""Generation use cases: build requests from configured defaults and run them.

Provider routing is another TextGenerator behind the same port (ProviderRouter): this service
runs requests the same way whether one provider or several answer them. A request that needs
tools is refused here, before anything is sent, when the generator cannot take them (the router
takes them: it skips the candidates that cannot).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace

from chi_llm.domain.errors import ChiLlmError, ToolsUnsupported
from chi_llm.domain.generation import Chunk, Completion, GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.ports import TextGenerator
from chi_llm.domain.tool_support import needs_tools, tools_unsupported


def grounded(options: GenerationOptions | None) -> GenerationOptions:
    """`options` for an answer drawn from its prompt's own text (an extraction, a summary, an
    edit, an answer from given passages): a local model then tries prompt-lookup drafts."""
    return replace(options or GenerationOptions(), grounded=True)


class GenerationService:
    """Runs chat and raw-completion requests on one TextGenerator with configured defaults."""

    def __init__(
        self,
        generator: TextGenerator,
        *,
        defaults: GenerationOptions | None = None,
        model: str | None = None,
        system: str | None = None,
    ) -> None:
        self.generator = generator
        self.defaults = defaults or GenerationOptions()
        self.model = model
        self.system = system

    def chat_request(
        self,
        messages: Sequence[Message],
        options: GenerationOptions | None = None,
        *,
        system: str | None = None,
    ) -> GenerationRequest:
        """A chat request: the system prompt (argument, else configured) goes first unless
        the messages already start with one."""
        system_text = system if system is not None else self.system
        turns = list(messages)
        if system_text and not (turns and turns[0].role == "system"):
            turns.insert(0, Message(role="system", content=system_text))
        return GenerationRequest(
            messages=tuple(turns), model=self.model, options=(options or GenerationOptions()).over(self.defaults)
        )

    def raw_request(self, prompt: str, options: GenerationOptions | None = None) -> GenerationRequest:
        """A raw continuation request: the prompt is sent with no chat template."""
        return GenerationRequest(
            prompt=prompt, model=self.model, options=(options or GenerationOptions()).over(self.defaults)
        )

    def generate(self, request: GenerationRequest) -> Completion:
        self._check_tools(request)
        return self.generator.generate(request)

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        self._check_tools(request)
        return self.generator.stream(request)

    async def agenerate(self, request: GenerationRequest) -> Completion:
        self._check_tools(request)
        return await self.generator.agenerate(request)

    def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        """The generator's own stream (the router knows its streams by identity); a refusal
        comes at the first chunk, as a backend's errors do."""
        try:
            self._check_tools(request)
        except ToolsUnsupported as error:
            return _failing(error)
        return self.generator.astream(request)

    def _check_tools(self, request: GenerationRequest) -> None:
        if needs_tools(request) and not self.generator.calls_tools():
            raise tools_unsupported([self.generator.name])


async def _failing(error: ChiLlmError) -> AsyncIterator[Chunk]:
    raise error
    yield  # pragma: no cover - makes this an async generator
