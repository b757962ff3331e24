"""Loaded llama.cpp models, cached per (path, load parameters) within the process."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chi_llm.adapters.llama_cpp.chat_format import Formatter, make_formatter, uncompilable
from chi_llm.adapters.llama_cpp.engine.lookup import DRAFT_MAX
from chi_llm.adapters.llama_cpp.engine.native import NativeContext
from chi_llm.adapters.llama_cpp.engine.scheduler import GPU_SCALE, PREFILL_WHOLE, Scheduler
from chi_llm.adapters.llama_cpp.sessions import KvSessions
from chi_llm.adapters.llama_cpp.thread_control import ThreadControl
from chi_llm.adapters.models.gguf import read_metadata, trained_context
from chi_llm.domain.errors import BackendUnavailable, InsufficientResources, ModelCorrupt

log = logging.getLogger("chi_llm")


@dataclass(frozen=True, slots=True)
class LoadParams:
    path: Path
    context: int
    threads: int
    gpu_layers: int
    fixed_threads: bool = False  # the user chose `threads`: no adapting to a busy CPU (thread_control)
    slots: int = 1  # sequences decoded together, each with `context` cells of KV cache (engine/)


@dataclass(slots=True)
class LoadedModel:
    """A model in memory: `llm` tokenizes and renders chat templates, `scheduler` decodes every
    generation of it (engine/scheduler.py) in its own llama.cpp context of `params.slots`
    sequences; `lock` guards the model against unloading mid-call; `threads` chooses its CPU
    threads step by step (kept across generations: a busy CPU outlasts one answer)."""

    llm: Any
    params: LoadParams
    format_chat: Formatter
    lock: threading.Lock
    scheduler: Scheduler

    @property
    def threads(self) -> ThreadControl:
        return self.scheduler.control

    @property
    def context(self) -> int:
        """The window of one sequence: the size asked for."""
        return self.params.context

    @property
    def sessions(self) -> KvSessions:
        return self.scheduler.sessions


OWN_CONTEXT = 64  # llama-cpp-python's Llama always makes a context; this one is closed at once
_cache: dict[LoadParams, LoadedModel] = {}
_cache_lock = threading.Lock()


def effective_context(path: Path, configured: int) -> int:
    """min(the model's trained context, the configured context). The header is read once per
    file version (see read_metadata), not on every call."""
    trained = trained_context(read_metadata(path))
    return min(configured, trained) if trained else configured


def is_loaded(params: LoadParams) -> bool:
    return params in _cache


def _template_errors() -> tuple[type[BaseException], ...]:
    from jinja2 import TemplateError

    return (TemplateError, RecursionError)


def load(params: LoadParams) -> LoadedModel:
    """Return the cached model for these parameters, loading it on first use."""
    with _cache_lock:
        cached = _cache.get(params)
        if cached is not None:
            return cached
        metadata = read_metadata(params.path)  # refuses a non-GGUF or truncated file up front
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise BackendUnavailable(
                f"llama-cpp-python is not installed ({exc}); `pip install llama-cpp-python`", backend="llama.cpp"
            ) from exc
        started = time.perf_counter()
        try:
            llm = Llama(  # its own context stays tiny and is closed: the engine makes the real one
                model_path=str(params.path),
                n_ctx=OWN_CONTEXT,
                n_batch=OWN_CONTEXT,
                n_threads=params.threads,
                n_threads_batch=params.threads,
                n_gpu_layers=params.gpu_layers,
                verbose=False,
            )
        except _template_errors() as exc:  # llama-cpp-python compiles the file's chat template itself
            raise uncompilable(str(params.path), exc) from exc
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelCorrupt(
                f"llama.cpp could not load {params.path} ({exc}): the file is damaged or incomplete "
                "(get it again from where it came from; `chi-llm models verify` checks the models "
                "chi-llm downloaded), or its architecture is newer than this llama-cpp-python "
                "(pip install -U llama-cpp-python)",
                backend="llama.cpp",
            ) from exc
        try:
            format_chat = make_formatter(llm, metadata, str(params.path))
        except ModelCorrupt:
            llm.close()  # a template that does not compile: the file is refused, its memory freed now
            raise
        llm._ctx.close()  # type: ignore[no-untyped-call]
        threads = ThreadControl(params.threads, fixed=params.fixed_threads)
        try:
            scheduler = make_scheduler(llm, params, threads)
        except InsufficientResources:
            llm.close()
            raise
        llm._ctx = scheduler.native.llama_context  # never a closed one: n_ctx() and the like stay safe
        loaded = LoadedModel(
            llm=llm, params=params, format_chat=format_chat, lock=threading.Lock(), scheduler=scheduler
        )
        _cache[params] = loaded
        log.info(
            "loaded %s (context %d x %d slots, %d threads, %d GPU layers) in %.2f s",
            params.path,
            params.context,
            params.slots,
            params.threads,
            params.gpu_layers,
            time.perf_counter() - started,
        )
        return loaded


def make_scheduler(llm: Any, params: LoadParams, threads: ThreadControl) -> Scheduler:
    """The model's decode context and the scheduler that drives it."""
    from llama_cpp import llama_supports_gpu_offload

    gpu = params.gpu_layers != 0 and bool(llama_supports_gpu_offload())
    native = NativeContext(
        llm._model,
        context=params.context,
        slots=params.slots,
        batch=PREFILL_WHOLE * (GPU_SCALE if gpu else 1) + params.slots * (1 + DRAFT_MAX),
        threads=params.threads,
        gpu=gpu,
    )
    return Scheduler(
        native,
        llm._model.vocab,
        context=params.context,
        control=threads,
        sessions=KvSessions(),
        name=params.path.stem,
        gpu=gpu,
    )


def loaded_models() -> list[LoadedModel]:
    with _cache_lock:
        return list(_cache.values())


def unload_all() -> None:
    """Stop the decode threads, then close and drop every cached model."""
    with _cache_lock:
        for loaded in _cache.values():
            # A daemon thread may still be decoding at exit: never wait on it for long, and never
            # free a context it is still using (its memory then goes with the process).
            if not loaded.scheduler.stop():
                log.warning("the decode thread of %s is still in a step; its memory is kept", loaded.params.path)
                continue
            if loaded.lock.acquire(timeout=5):
                try:
                    loaded.scheduler.native.close()
                    loaded.llm.close()
                finally:
                    loaded.lock.release()
        _cache.clear()


# Close models before interpreter teardown; llama-cpp-python's own __del__ fails noisily
# when it runs after its module globals are gone.
atexit.register(unload_all)
