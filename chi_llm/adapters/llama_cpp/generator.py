"""LlamaCppGenerator: the TextGenerator adapter for local GGUF models through llama.cpp."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

from chi_llm.adapters.llama_cpp.decode import TokenCounter, decode
from chi_llm.adapters.llama_cpp.load_defaults import default_gpu_layers, physical_cores
from chi_llm.adapters.llama_cpp.loader import LoadedModel, LoadParams, effective_context, is_loaded, load
from chi_llm.adapters.llama_cpp.prompt import chat_tokens, raw_tokens
from chi_llm.adapters.threaded import stream_in_thread
from chi_llm.domain.generation import DEFAULT_CONTEXT, Chunk, Completion, GenerationRequest, collect
from chi_llm.domain.model_spec import Sampling
from chi_llm.domain.ports import TextGenerator


class LlamaCppGenerator(TextGenerator):
    """Runs GGUF models in-process. Models load on first use and stay cached per load
    parameters, so several instances on different models work side by side.

    Args:
        locate: turns a model name (catalog id or path) into a local file, fetching if needed.
        default_model: used when a request names no model.
        context: configured context size; the effective one is min(this, trained context).
        threads: CPU threads (default: physical cores).
        gpu_layers: layers to offload (default: all when the build supports GPU offload).
        admit: called with (path, context) before a model is first loaded; raises to refuse it
            (e.g. InsufficientResources when it will not fit in memory).
    """

    name = "llama.cpp"

    def __init__(
        self,
        *,
        locate: Callable[[str], Path],
        default_model: str,
        context: int = DEFAULT_CONTEXT,
        threads: int | None = None,
        gpu_layers: int | None = None,
        admit: Callable[[Path, int], None] | None = None,
        sampling: Callable[[str], Sampling | None] | None = None,
    ) -> None:
        self._locate = locate
        self._sampling = sampling
        self._default_model = default_model
        self._context = context
        self._threads = threads
        self._gpu_layers = gpu_layers
        self._admit = admit
        self._counter = TokenCounter()

    @property
    def tokens_decoded(self) -> int:
        """Every token sampled by this adapter so far (used to check that cancellation stops decoding)."""
        return self._counter.value

    def load(self, model: str | None = None) -> LoadedModel:
        """Locate (fetching on first use) and load the model; cached after the first call."""
        path = self._locate(model or self._default_model)
        params = LoadParams(
            path=path.resolve(),
            context=effective_context(path, self._context),
            # More threads than logical cores only slows llama.cpp down; tens of thousands crash it.
            threads=min(self._threads or physical_cores(), os.cpu_count() or 1),
            gpu_layers=self._gpu_layers if self._gpu_layers is not None else default_gpu_layers(),
        )
        if self._admit is not None and not is_loaded(params):
            self._admit(params.path, params.context)
        return load(params)

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        loaded = self.load(request.model)
        stops: list[str] = []
        if request.prompt is not None:
            tokens = raw_tokens(loaded, request.prompt, request.options)
        else:
            tokens, stops = chat_tokens(loaded, request.messages, request.options)
        recommended = self._sampling(request.model or self._default_model) if self._sampling else None
        sampling = recommended or Sampling()
        return decode(loaded, tokens, request.options, [*request.options.stop, *stops], self._counter, sampling)

    def generate(self, request: GenerationRequest) -> Completion:
        return collect(self.stream(request), model=request.model or self._default_model)

    async def agenerate(self, request: GenerationRequest) -> Completion:
        return collect([chunk async for chunk in self.astream(request)], model=request.model or self._default_model)

    def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        return stream_in_thread(lambda: self.stream(request))

    def close(self) -> None:
        """No connections to release. Loaded models stay cached for the process (see loader)."""

    async def aclose(self) -> None:
        """No connections to release."""
