"""Loaded llama.cpp models, cached per (path, load parameters) within the process."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chi_llm.adapters.llama_cpp.chat_format import Formatter, make_formatter, uncompilable
from chi_llm.adapters.llama_cpp.sessions import KvSessions
from chi_llm.adapters.llama_cpp.thread_control import ThreadControl
from chi_llm.adapters.models.gguf import read_metadata, trained_context
from chi_llm.adapters.worker import stop_all
from chi_llm.domain.errors import BackendUnavailable, ModelCorrupt

log = logging.getLogger("chi_llm")


@dataclass(frozen=True, slots=True)
class LoadParams:
    path: Path
    context: int
    threads: int
    gpu_layers: int
    fixed_threads: bool = False  # the user chose `threads`: no adapting to a busy CPU (thread_control)


@dataclass(slots=True)
class LoadedModel:
    """A model in memory. Its generations run on its decode thread (worker.py); `lock` guards the
    model against unloading mid-token; `sessions` tracks whose conversation the KV cache holds;
    `threads` chooses its CPU threads token by token (kept across generations: a busy CPU
    outlasts one answer)."""

    llm: Any
    params: LoadParams
    format_chat: Formatter
    lock: threading.Lock
    threads: ThreadControl
    sessions: KvSessions = field(default_factory=KvSessions)

    @property
    def context(self) -> int:
        """The usable window: the size asked for. llama.cpp pads its own n_ctx (to 256) but
        llama-cpp-python's token buffer has the requested size, so the padding is not usable."""
        return min(int(self.llm.n_ctx()), self.params.context)


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
            llm = Llama(
                model_path=str(params.path),
                n_ctx=params.context,
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
        threads = ThreadControl(params.threads, fixed=params.fixed_threads)
        loaded = LoadedModel(llm=llm, params=params, format_chat=format_chat, lock=threading.Lock(), threads=threads)
        _cache[params] = loaded
        log.info(
            "loaded %s (context %d, %d threads, %d GPU layers) in %.2f s",
            params.path,
            params.context,
            params.threads,
            params.gpu_layers,
            time.perf_counter() - started,
        )
        return loaded


def loaded_models() -> list[LoadedModel]:
    with _cache_lock:
        return list(_cache.values())


def unload_all() -> None:
    """Stop the decode threads, then close and drop every cached model."""
    stop_all()
    with _cache_lock:
        for loaded in _cache.values():
            # A daemon thread may still be decoding at exit: never wait on it for long.
            if loaded.lock.acquire(timeout=5):
                try:
                    loaded.llm.close()
                finally:
                    loaded.lock.release()
        _cache.clear()


# Close models before interpreter teardown; llama-cpp-python's own __del__ fails noisily
# when it runs after its module globals are gone.
atexit.register(unload_all)
