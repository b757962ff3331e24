"""The library facade: MicroLLM and quick_llm."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chi_llm.application.chat_session import ChatSession
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import (
    Chunk,
    Completion,
    GenerationOptions,
    GenerationRequest,
    atexts,
    texts,
)
from chi_llm.domain.messages import Message
from chi_llm.domain.ports import TextGenerator
from chi_llm.entrypoints.container import Container, profile_model
from chi_llm.entrypoints.facade_tools import ToolCalls
from chi_llm.entrypoints.legacy_calls import LegacyCalls, model_argument, plain_options, provider_argument, raw_wanted
from chi_llm.entrypoints.session_tools import SessionTools
from chi_llm.entrypoints.tool_history import entry, turns
from chi_llm.entrypoints.wiring import wire

_OPTION_NAMES = ("temperature", "top_p", "max_tokens", "stop", "seed", "truncate", "json", "grounded")


def ask_prompt(question: str, context: str | None) -> str:
    if not context:
        return question
    return f"Use the context to answer the question.\n\nContext:\n{context}\n\nQuestion: {question}"


def show_log_lines() -> None:
    """chi_llm's log lines (provider fallbacks, notices, model loading) on stderr, once."""
    logger = logging.getLogger("chi_llm")
    if not any(getattr(h, "chi_llm_verbose", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("chi_llm: %(levelname)s: %(message)s"))
        handler.chi_llm_verbose = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


class MicroLLM(ToolCalls, LegacyCalls):
    """Text generation with zero configuration, on the embedded default model unless told otherwise.

    Every argument left as None comes from configuration (environment, project file, global
    file, defaults); see `chi-llm config show --explain`. Tool calling: `chat(..., tools=...)`
    and the tool loop `act` (facade_tools.ToolCalls). Every call also takes per-call
    `temperature`, `top_p`, `max_tokens`, `stop`, `seed` and `truncate`, and `grounded=True` for an
    answer drawn from the prompt's own text (a local model then tries prompt-lookup drafts; task
    helpers, extraction, RAG answers and `ask` with a context set it themselves).

    After each call (and after a stream is fully consumed) `last_completion` holds the
    Completion with `usage` (prompt/completion tokens) and `timings`; `last_usage` is a shortcut.

    `verbose=True` shows chi_llm's log lines (model loading, provider fallbacks, notices) on
    stderr. `temperature` and `max_tokens` are also attributes, settable for later calls.
    `providers`: provider profiles to route between, as the `providers` setting takes them.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        provider: str | Mapping[str, Any] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        system: str | None = None,
        config_path: str | Path | None = None,
        *,
        tags: list[str] | tuple[str, ...] | None = None,
        providers: Iterable[Mapping[str, Any]] | None = None,
        context: int | None = None,
        parallel: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        model_id: str | None = None,
        model_path: str | Path | None = None,
        verbose: bool = False,
    ) -> None:
        self.verbose = verbose
        if verbose:
            show_log_lines()
        self._tags = list(tags) if tags else None
        provider, output_tokens = provider_argument(provider)
        container = wire(
            config_path,
            provider=provider,
            tags=tags,
            providers=list(providers) if providers is not None else None,
            model=os.fspath(model) if model is not None else model_argument(model_id, model_path),
            temperature=temperature,
            max_tokens=max_tokens if max_tokens is not None else output_tokens,
            system=system,
            context=context,
            parallel=parallel,
            top_p=top_p,
            seed=seed,
        )
        self._use(container)

    @classmethod
    def _wired(cls, container: Container, *, tags: list[str] | None = None) -> MicroLLM:
        """A MicroLLM over a container already wired (the CLI sizes a one-shot context from the
        settings it resolved, so that a command resolves its configuration once)."""
        llm = cls.__new__(cls)
        llm.verbose = False
        llm._tags = tags
        llm._use(container)
        return llm

    def _use(self, container: Container) -> None:
        self._container = container
        self.settings = container.settings()
        self._service = container.generation()
        self._router = container.generator()
        self.last_completion: Completion | None = None
        self.last_extraction = None

    # -- introspection ---------------------------------------------------------------------
    @property
    def temperature(self) -> float | None:
        """The default sampling temperature of this instance's calls (settable, as in chi_llm 2.x)."""
        return self._service.defaults.temperature

    @temperature.setter
    def temperature(self, value: float) -> None:
        self._service.defaults = replace(self._service.defaults, temperature=value)

    @property
    def max_tokens(self) -> int | None:
        """The default most tokens per call of this instance (settable, as in chi_llm 2.x)."""
        return self._service.defaults.max_tokens

    @max_tokens.setter
    def max_tokens(self, value: int) -> None:
        self._service.defaults = replace(self._service.defaults, max_tokens=value)

    @property
    def model(self) -> str | None:
        """The model the first provider generates with (an explicit `model` always wins)."""
        first = self._router.candidates[0]
        return profile_model(first, self.settings)

    @property
    def answered_by(self) -> str | None:
        """The provider profile that answered the last call (None before any)."""
        return self._router.served.id if self._router.served is not None else None

    @property
    def fell_back_from(self) -> list[dict[str, str]]:
        """The providers that failed before the last answer, in order: [{provider, kind, message}]."""
        return [{"provider": pid, "kind": e.kind, "message": e.message} for pid, e in self._router.failed_before]

    @property
    def last_usage(self) -> Any:
        """The token usage of the last call (`last_completion.usage`); None before any."""
        return self.last_completion.usage if self.last_completion else None

    @property
    def backend(self) -> TextGenerator:
        """The adapter of the first provider this instance routes to (e.g. the llama.cpp adapter)."""
        return self._router.primary

    @property
    def provider_ids(self) -> list[str]:
        """The provider profiles this instance tries, in order."""
        return [p.id for p in self._router.candidates]

    def close(self) -> None:
        """Close provider connections (HTTP clients). Loaded local models stay cached for reuse."""
        self._service.generator.close()

    async def aclose(self) -> None:
        """`close` for asyncio: closes the async provider connections."""
        await self._service.generator.aclose()

    def __enter__(self) -> MicroLLM:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def load(self) -> MicroLLM:
        """Fetch (first use only) and load the model now rather than on the first call."""
        loader = getattr(self.backend, "load", None)
        if loader is not None:
            loader()
        return self

    def __repr__(self) -> str:
        return f"MicroLLM(model={self.model!r}, providers={self.provider_ids!r})"

    def session(
        self,
        system: str | None = None,
        history: Iterable[Mapping[str, str]] | None = None,
        *,
        resume: str | Path | None = None,
    ) -> Session:
        """A conversation that keeps its history and, on a local model, its own KV cache: a turn
        after other conversations used the model evaluates only its new tokens. `system`
        defaults to the configured system prompt. `resume`: a file written by `Session.save`;
        its history comes back, and its saved cache too when it was made by this model at this
        context (else the history is evaluated again on the next turn)."""
        from chi_llm.application.chat_session import ChatSession

        state = None
        if resume is not None:
            from chi_llm.adapters.session_files import read_session

            document, state = read_session(Path(os.path.expanduser(resume)))
            system, history = document.get("system"), document["history"]
        chat = ChatSession(
            self._service,
            system=system if system is not None else self._service.system,
            history=turns(history),
        )
        if state is not None:
            self._router.import_session(chat.id, state)
        return Session(self, chat)

    # -- request building ------------------------------------------------------------------
    def _options(self, options: Mapping[str, Any]) -> GenerationOptions:
        values = plain_options(options)
        unknown = set(values) - set(_OPTION_NAMES)
        if unknown:
            raise InvalidRequest(f"unknown option(s) {', '.join(sorted(unknown))}; use {', '.join(_OPTION_NAMES)}")
        stop = values.get("stop")
        if stop is not None:
            values["stop"] = (stop,) if isinstance(stop, str) else stop
        return GenerationOptions(**{k: v for k, v in values.items() if v is not None})

    def chat_request(
        self,
        message: str,
        history: Iterable[Mapping[str, str]] | None = None,
        system: str | None = None,
        **options: Any,
    ) -> GenerationRequest:
        """A chat request for `run`/`run_stream`: history, then `message` as the user turn."""
        return self._chat(message, history, system, options)

    def raw_request(self, text: str, **options: Any) -> GenerationRequest:
        """A raw-continuation request (no chat template) for `run`/`run_stream`."""
        return self._raw(text, options)

    def _chat(
        self, message: str, history: Iterable[Mapping[str, str]] | None, system: str | None, options: Mapping[str, Any]
    ) -> GenerationRequest:
        options = dict(options)
        if raw_wanted(options) and not history and system is None:
            return self._raw(message, options)
        asked = [*turns(history), Message(role="user", content=message)]
        return self._service.chat_request(asked, self._options(options), system=system)

    def _raw(self, text: str, options: Mapping[str, Any]) -> GenerationRequest:
        return self._service.raw_request(text, self._options(options))

    # -- sync ------------------------------------------------------------------------------
    def _record(self, completion: Completion) -> Completion:
        """Every generation method ends here: the call's Completion becomes `last_completion`."""
        self.last_completion = completion
        return completion

    def run(self, request: GenerationRequest) -> Completion:
        """Run a prepared request and return the whole Completion (text, usage, timings)."""
        return self._record(self._service.generate(request))

    def generate(self, prompt: str, *, system: str | None = None, **options: Any) -> str:
        """Answer `prompt` through the model's chat template and return the whole text.

        `system` replaces the configured system prompt; `options` are the per-call settings
        (`temperature`, `top_p`, `max_tokens`, `stop`, `seed`, `truncate`, `json`, `grounded`).

        ```python
        from chi_llm import MicroLLM

        llm = MicroLLM()
        text = llm.generate("Name a colour.", max_tokens=8, seed=1)
        assert isinstance(text, str) and llm.last_usage.completion_tokens <= 8
        ```
        """
        return self.run(self._chat(prompt, None, system, options)).text

    def complete(self, text: str, **options: Any) -> str:
        """Continue `text` as raw text, with no chat template."""
        return self.run(self._raw(text, options)).text

    def ask(self, question: str, context: str | None = None, **options: Any) -> str:
        """Answer `question`, from `context` when given. A context longer than the model's
        context is read part by part and the answers combined, never cut off."""
        prompt = ask_prompt(question, context)
        if context:
            options.setdefault("grounded", True)
        if context and not options.get("truncate") and not self._tasks().fits(prompt, self._options(options)):
            return self._tasks().ask(question, context, self._options(options)).text
        return self.generate(prompt, **options)

    def __call__(self, prompt: str, **options: Any) -> str:
        return self.generate(prompt, **options)

    # -- streaming -------------------------------------------------------------------------
    def _texts(self, chunks: Iterator[Chunk], model: str | None) -> Iterator[str]:
        return texts(chunks, model or self.model, self._record)

    def run_stream(self, request: GenerationRequest) -> Iterator[str]:
        """Stream a prepared request as text deltas; `last_completion` is set at the end."""
        return self._texts(self._service.stream(request), request.model)

    def stream(self, prompt: str, *, system: str | None = None, **options: Any) -> Iterator[str]:
        """`generate`, as text deltas while they are decoded; leaving the loop early stops decoding.

        ```python
        from chi_llm import MicroLLM

        llm = MicroLLM()
        pieces = list(llm.stream("Count to three.", max_tokens=8))
        assert "".join(pieces) == llm.last_completion.text
        ```
        """
        return self.run_stream(self._chat(prompt, None, system, options))

    def stream_chat(
        self,
        message: str,
        history: Iterable[Mapping[str, str]] | None = None,
        system: str | None = None,
        **options: Any,
    ) -> Iterator[str]:
        """`chat`, as text deltas: `message` after the `history` turns."""
        return self.run_stream(self._chat(message, history, system, options))

    def stream_complete(self, text: str, **options: Any) -> Iterator[str]:
        """`complete`, as text deltas: the raw continuation of `text`, no chat template."""
        return self.run_stream(self._raw(text, options))

    # -- async -----------------------------------------------------------------------------
    async def arun(self, request: GenerationRequest) -> Completion:
        """`run` for asyncio: the whole Completion of a prepared request."""
        return self._record(await self._service.agenerate(request))

    async def agenerate(self, prompt: str, *, system: str | None = None, **options: Any) -> str:
        """`generate` for asyncio: never blocks the event loop."""
        return (await self.arun(self._chat(prompt, None, system, options))).text

    async def acomplete(self, text: str, **options: Any) -> str:
        """`complete` for asyncio: the raw continuation of `text`."""
        return (await self.arun(self._raw(text, options))).text

    def _atexts(self, request: GenerationRequest) -> AsyncIterator[str]:
        return self._achunks(self._service.astream(request), request.model)

    def _achunks(self, chunks: AsyncIterator[Chunk], model: str | None) -> AsyncIterator[str]:
        return atexts(chunks, model or self.model, self._record)

    def astream(self, prompt: str, *, system: str | None = None, **options: Any) -> AsyncIterator[str]:
        """`stream` for asyncio (`async for piece in llm.astream(...)`); cancelling stops decoding."""
        return self._atexts(self._chat(prompt, None, system, options))

    def astream_chat(
        self,
        message: str,
        history: Iterable[Mapping[str, str]] | None = None,
        system: str | None = None,
        **options: Any,
    ) -> AsyncIterator[str]:
        """`stream_chat` for asyncio: `message` after the `history` turns, as text deltas."""
        return self._atexts(self._chat(message, history, system, options))


class Session(SessionTools):
    """A conversation on a MicroLLM (`llm.session()`): `chat`, `stream`, `achat`, `astream` take
    the new message and the per-call options; `chat`/`achat` with `tools=`, `add_tool_result`,
    and `act` and its twins (the tool loop) are in session_tools; `history` holds the turns so far."""

    def __init__(self, llm: MicroLLM, chat: ChatSession) -> None:
        self._llm = llm
        self._chat = chat

    @property
    def id(self) -> str:
        return self._chat.id

    @property
    def history(self) -> list[dict[str, Any]]:
        """The turns so far as mappings (role, content; and the tool fields of tool turns, see
        tool_history)."""
        return [entry(m) for m in self._chat.history]

    def stream(self, message: str, **options: Any) -> Iterator[str]:
        return self._llm._texts(self._chat.stream(message, self._llm._options(options)), None)

    def astream(self, message: str, **options: Any) -> AsyncIterator[str]:
        return self._llm._achunks(self._chat.astream(message, self._llm._options(options)), None)

    def reset(self) -> None:
        """Clear the history (the system prompt stays)."""
        self._chat.reset()

    def save(self, path: str | Path) -> Path:
        """Write the conversation to `path` (JSON) and, beside it (`<path>.kv`), the cache the
        local backend keeps for it, so `llm.session(resume=path)` continues it in another
        process without evaluating the history again. Written through temp files."""
        from chi_llm.adapters.session_files import write_session

        document = {"system": self._chat.system, "history": self.history, "model": self._llm.model}
        state = self._llm._router.export_session(self.id)
        return write_session(Path(os.path.expanduser(path)), document, state)

    def close(self) -> None:
        """End the conversation; a local model drops its saved cache."""
        self._chat.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def quick_llm(prompt: str, **kwargs: Any) -> str:
    """One-shot generation with the configured defaults. Keyword arguments go to MicroLLM."""
    return MicroLLM(**kwargs).generate(prompt)
