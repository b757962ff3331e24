"""LlamaCppGenerator: the TextGenerator adapter for local GGUF models through llama.cpp."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import cast

from chi_llm.adapters.llama_cpp.decode import DecodeJob, TokenCounter
from chi_llm.adapters.llama_cpp.grammar import grammar_for
from chi_llm.adapters.llama_cpp.load_defaults import default_gpu_layers, physical_cores
from chi_llm.adapters.llama_cpp.loader import (
    LoadedModel,
    LoadParams,
    effective_context,
    is_loaded,
    load,
    loaded_models,
)
from chi_llm.adapters.llama_cpp.prompt import chat_tokens, prompt_length, raw_tokens
from chi_llm.adapters.llama_cpp.sessions import decode_snapshot, encode
from chi_llm.adapters.llama_cpp.tool_decode import decode_calls, with_tools
from chi_llm.adapters.llama_cpp.tool_grammar import offered_tools
from chi_llm.adapters.worker import Job, one_off, run_async, run_sync
from chi_llm.domain.generation import DEFAULT_CONTEXT, DEFAULT_PARALLEL, Chunk, GenerationRequest, aclose_stream
from chi_llm.domain.hardware import Admit
from chi_llm.domain.models.spec import Sampling
from chi_llm.domain.ports import TextGenerator
from chi_llm.domain.structured import OutputSchema

# One thread locates models for async calls (a fetch on first use, then a stat): ten concurrent
# calls in ten pool threads would take turns at the GIL with the event loop (up to 5 ms each).
_LOCATOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chi_llm-locate")
_PREPARING = threading.Lock()


class LlamaCppGenerator(TextGenerator):
    """Runs GGUF models in-process. Models load on first use and stay cached per load
    parameters, so several instances on different models work side by side.

    Args:
        locate: turns a model name (catalog id or path) into a local file, fetching if needed.
        default_model: used when a request names no model.
        context: configured context size; the effective one is min(this, trained context).
        threads: CPU threads, used as given. Default: physical cores, fewer while other processes
            keep the CPU busy (thread_control.py).
        gpu_layers: layers to offload (default: all when the build supports GPU offload).
        admit: called with (path, context) before a model is first loaded; raises to refuse it
            (e.g. InsufficientResources when it will not fit in memory).
        tool_grammar: decode tool calls under a grammar of the declared tools (False: calls are
            read from free text and may name unknown tools or break their schemas).
        parallel: requests decoded together per model (slots, each with `context` cells of KV
            cache). Default: DEFAULT_PARALLEL, fewer when memory is short (`admit` decides); a
            value set here is refused when it does not fit.
    """

    name = "llama.cpp"

    def enforces(self, schema: OutputSchema) -> bool:
        return True  # decoding runs under a grammar compiled from the schema

    def calls_tools(self) -> bool:
        """Tools through the model's own chat template when it renders them, else the generic
        format; calls decoded under a grammar of the declared tools (unless `tool_grammar` is off)."""
        return True

    def count_tokens(self, text: str) -> int:
        """The model's own tokenizer (loading the model when it is not loaded yet)."""
        loaded = self.load()
        with loaded.lock:
            return len(loaded.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, request: GenerationRequest) -> int | None:
        """The prompt as decoding reads it: rendered with the model's chat template and tools."""
        loaded = self.load(request.model)
        with loaded.lock:
            return prompt_length(loaded, request)

    def context_window(self) -> int | None:
        return self._params(None).context

    def label_probabilities(
        self, request: GenerationRequest, prefix: str, labels: Sequence[str], suffix: str
    ) -> dict[str, float] | None:
        from chi_llm.adapters.llama_cpp.scoring import label_probabilities

        loaded, job = self._prepare(request)
        return label_probabilities(loaded, job.prompt, prefix, labels, suffix)

    def __init__(
        self,
        *,
        locate: Callable[[str], Path],
        default_model: str,
        context: int = DEFAULT_CONTEXT,
        threads: int | None = None,
        gpu_layers: int | None = None,
        admit: Admit | None = None,
        sampling: Callable[[str], Sampling | None] | None = None,
        tool_grammar: bool = True,
        parallel: int | None = None,
    ) -> None:
        self._locate = locate
        self._parallel = parallel
        self._slots: dict[tuple[Path, int], int] = {}  # admitted slot counts, per file and context
        self._tool_grammar = tool_grammar
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

    def _params(self, model: str | None) -> LoadParams:
        """Locate (fetching on first use) and size the model; refuse it when it will not fit."""
        path = self._locate(model or self._default_model).resolve()
        context = effective_context(path, self._context)
        params = LoadParams(
            path=path,
            context=context,
            # More threads than logical cores only slows llama.cpp down; tens of thousands crash it.
            threads=min(self._threads or physical_cores(), os.cpu_count() or 1),
            gpu_layers=self._gpu_layers if self._gpu_layers is not None else default_gpu_layers(),
            fixed_threads=self._threads is not None,
            slots=self._slots.get((path, context), self._parallel or DEFAULT_PARALLEL),
        )
        if self._admit is not None and not is_loaded(params):
            slots = self._admit(path, context, params.slots, fixed=self._parallel is not None)
            self._slots[(path, context)] = slots
            params = replace(params, slots=slots)
        return params

    def slots(self, model: str | None = None) -> int:
        """Requests the model decodes together (locating it, without loading it)."""
        return self._params(model).slots

    async def aslots(self, model: str | None = None) -> int:
        """`slots`, located off the event loop (a first use may fetch the model)."""
        return (await self._aparams(model)).slots

    async def _aparams(self, model: str | None) -> LoadParams:
        return await asyncio.get_running_loop().run_in_executor(_LOCATOR, self._params, model)

    def load(self, model: str | None = None) -> LoadedModel:
        """Locate (fetching on first use) and load the model; cached after the first call."""
        return load(self._params(model))

    def _prepare(self, request: GenerationRequest, params: LoadParams | None = None) -> tuple[LoadedModel, DecodeJob]:
        """Load the model and tokenize the prompt. Sync calls do this in the caller's thread, so
        errors such as a prompt longer than the context are raised by the call itself."""
        loaded = load(params) if params is not None else self.load(request.model)
        stops: list[str] = []
        offered = offered_tools(request)
        if request.prompt is not None:
            tokens = raw_tokens(loaded, request.prompt, request.options)
        else:
            tokens, stops = chat_tokens(loaded, request.messages, request.options)
        recommended = self._sampling(request.model or self._default_model) if self._sampling else None
        # The tokens this answer may take bound what a schema may ask for (checked before decoding).
        room = max(min(request.options.token_limit, loaded.context - len(tokens)), 1)
        vocab = loaded.llm._model.vocab
        job = DecodeJob(
            prompt=tokens,
            options=request.options,
            stops=[*request.options.stop, *stops],
            sampling=recommended or Sampling(),
            session=request.session,
            lookup=request.options.grounded,
        )
        if offered and request.options.tools is not None:
            syntax = loaded.format_chat.syntax
            return loaded, with_tools(job, request.options.tools, syntax, room, vocab, grammar=self._tool_grammar)
        return loaded, replace(job, grammar=grammar_for(request.options, tokens=room, vocab=vocab))

    def _decode(self, loaded: LoadedModel, job: DecodeJob, running: Job) -> None:
        decode_calls(loaded, job, self._counter, running.emit, running.cancelled)

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        loaded, job = self._prepare(request)
        return cast(Iterator[Chunk], run_sync(one_off("request"), lambda running: self._decode(loaded, job, running)))

    def answering_model(self, request: GenerationRequest) -> str | None:
        return request.model or self._default_model

    async def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        # Locating (maybe fetching) runs off the event loop; loading and tokenizing on a thread of
        # the request's own, one request at a time (ten concurrent requests rendering chat
        # templates in ten threads at once would starve the loop of the GIL); decoding in the
        # model's scheduler, beside the other requests. The loop only ever waits on a queue.
        params = await self._aparams(request.model)

        def work(running: Job) -> None:
            load(params)  # a first load (seconds) holds up no other model's requests
            with _PREPARING:
                loaded, job = self._prepare(request, params)
            self._decode(loaded, job, running)

        chunks = run_async(one_off("request"), work)
        try:
            async for chunk in chunks:
                yield chunk
        finally:
            await aclose_stream(chunks)  # withdraws the job when the consumer stops early

    def _identity(self, loaded: LoadedModel) -> dict[str, object]:
        """What a saved KV state must match: the same file and context."""
        stat = loaded.params.path.stat()
        return {"file": loaded.params.path.name, "size": stat.st_size, "context": loaded.params.context}

    def export_session(self, session: str) -> bytes | None:
        loaded = self.load()
        scheduler = loaded.scheduler
        saved = scheduler.call(lambda: scheduler.export(session))
        return None if saved is None else encode(saved, self._identity(loaded))

    def import_session(self, session: str, state: bytes) -> bool:
        loaded = self.load()
        saved = decode_snapshot(state, self._identity(loaded))
        if saved is None or len(saved.tokens) > loaded.context:
            return False
        scheduler = loaded.scheduler

        def adopt() -> None:
            scheduler.forget(session)  # cells of it in a slot are older than the file's
            scheduler.sessions.adopt(session, saved)

        scheduler.call(adopt)
        return True

    def end_session(self, session: str) -> None:
        """Drop the KV state of a conversation on every model loaded here (its cells in a slot
        stay as a prefix cache, owned by no one)."""
        for loaded in loaded_models():
            loaded.scheduler.call(partial(loaded.scheduler.forget, session))

    def close(self) -> None:
        """No connections to release. Loaded models stay cached for the process (see loader)."""

    async def aclose(self) -> None:
        """No connections to release."""
