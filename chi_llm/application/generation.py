"""Generation use cases: build requests from configured defaults and run them.

Provider routing is another TextGenerator behind the same port (ProviderRouter): this service
runs requests the same way whether one provider or several answer them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence

from chi_llm.domain.generation import Chunk, Completion, GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.ports import TextGenerator


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
        return self.generator.generate(request)

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        return self.generator.stream(request)

    async def agenerate(self, request: GenerationRequest) -> Completion:
        return await self.generator.agenerate(request)

    def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        return self.generator.astream(request)
