"""The provider router: pick candidates by id, or by tags then priority, and fall back on failure.

It is itself a TextGenerator, so GenerationService and the facade do not know it is there.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from chi_llm.domain.errors import (
    AllProvidersFailed,
    ChiLlmError,
    ConfigError,
    ContextLengthExceeded,
    InvalidRequest,
    ToolsUnsupported,
)
from chi_llm.domain.generation import (
    Chunk,
    Completion,
    GenerationRequest,
    aclose_stream,
    aresumed,
    close_stream,
    resumed,
)
from chi_llm.domain.ports import TextGenerator
from chi_llm.domain.providers import ProviderProfile, Schemas, check_profile
from chi_llm.domain.setting_rules import check_default_provider
from chi_llm.domain.structured import OutputSchema
from chi_llm.domain.tool_support import needs_tools, tools_unsupported

log = logging.getLogger("chi_llm")
FINAL = (InvalidRequest, ConfigError)  # the request itself is wrong: no fallback helps
Attempt = tuple[str, ChiLlmError]  # a provider id and why it failed
S = TypeVar("S", Iterator[Chunk], AsyncIterator[Chunk])


def select(
    profiles: Sequence[ProviderProfile],
    *,
    provider_id: str | None = None,
    tags: Sequence[str] = (),
    default_id: str | None = None,
) -> list[ProviderProfile]:
    """Candidates in the order they are tried.

    An explicit id gives that profile alone. Required tags keep the profiles having all of them.
    Otherwise every profile, the default first, then by priority (lower first; ties keep order),
    the embedded fallback (which has no tags) last whatever its priority.
    """
    by_id = {p.id: p for p in profiles}
    if provider_id is not None:
        if provider_id not in by_id:
            raise ConfigError(
                f"no provider profile {provider_id!r}; configured: {', '.join(by_id) or 'none'}", key="providers"
            )
        return [by_id[provider_id]]
    pool = [p for p in profiles if set(tags) <= set(p.tags)]
    if not pool:
        raise ConfigError(f"no provider has all of the tags {', '.join(tags)}", key="providers")
    ordered = sorted(pool, key=lambda p: (p.fallback, p.priority))
    if default_id is not None and not tags:
        check_default_provider(default_id, profiles)
        ordered = [by_id[default_id], *(p for p in ordered if p.id != default_id)]
    return ordered


def adhoc_profile(
    provider: str | Mapping[str, Any], profiles: Sequence[ProviderProfile], schemas: Schemas
) -> ProviderProfile | None:
    """A provider chosen by the caller (`MicroLLM(provider=...)`, `--provider`): None for a
    configured id; a profile for a provider type (with its defaults) or a mapping."""
    if isinstance(provider, Mapping):
        raw = dict(provider)
        return check_profile({"id": raw.get("id", raw.get("type", "local")), **raw}, schemas, source="argument")
    if any(p.id == provider for p in profiles):
        return None
    if provider in schemas:
        return check_profile({"id": provider, "type": provider}, schemas, source="argument")
    return None  # unknown: `select` reports the configured ids


def candidates(
    profiles: Sequence[ProviderProfile],
    schemas: Schemas,
    *,
    provider: str | Mapping[str, Any] | None = None,
    tags: Sequence[str] = (),
    default_id: str | None = None,
) -> list[ProviderProfile]:
    """The profiles a generation tries, in order, for the caller's provider choice or tags."""
    pool = list(profiles)
    provider_id = None
    if provider is not None:
        adhoc = adhoc_profile(provider, pool, schemas)
        if adhoc is not None:
            pool = [p for p in pool if p.id != adhoc.id] + [adhoc]
        provider_id = adhoc.id if adhoc is not None else str(provider)
    return select(pool, provider_id=provider_id, tags=tags, default_id=default_id)


def retriable(error: ChiLlmError) -> bool:
    return not isinstance(error, FINAL)


class ProviderRouter(TextGenerator):
    """Tries `candidates` in order. A stream falls back only before its first text was delivered."""

    name = "router"

    def __init__(
        self,
        candidates: Sequence[ProviderProfile],
        build: Callable[[ProviderProfile], TextGenerator],
        on_fallback: Callable[[str, ChiLlmError, str], None] | None = None,
    ) -> None:
        if not candidates:
            raise ConfigError("no provider to route to", key="providers")
        self.candidates = list(candidates)
        self.served: ProviderProfile | None = None  # the profile that answered the last request
        self.failed_before: tuple[Attempt, ...] = ()  # the providers that failed before it answered
        self._build = build
        self._built: dict[str, TextGenerator] = {}
        self._stream_servers: WeakKeyDictionary[AsyncIterator[Chunk], list[ProviderProfile]] = WeakKeyDictionary()
        self._stream_failures: WeakKeyDictionary[AsyncIterator[Chunk], list[Attempt]] = WeakKeyDictionary()
        self._announced: set[str] = set()  # failed providers already announced (until they answer again)
        self._on_fallback = on_fallback or self._warn

    def _warn(self, failed: str, error: ChiLlmError, next_id: str) -> None:
        embedded = any(p.id == next_id and p.fallback for p in self.candidates)
        said = ", the embedded model (`fallback_to_local: false` turns this off)" if embedded else ""
        log.warning(
            "provider %s failed (%s: %s); falling back to %s%s", failed, error.kind, error.message, next_id, said
        )

    def generator(self, profile: ProviderProfile) -> TextGenerator:
        if profile.id not in self._built:
            self._built[profile.id] = self._build(profile)
        return self._built[profile.id]

    def close(self) -> None:
        """Close every adapter built so far."""
        for adapter in self._built.values():
            adapter.close()

    async def aclose(self) -> None:
        for adapter in self._built.values():
            await adapter.aclose()

    def end_session(self, session: str) -> None:
        for adapter in self._built.values():
            adapter.end_session(session)

    def export_session(self, session: str) -> bytes | None:
        return self.primary.export_session(session)

    def import_session(self, session: str, state: bytes) -> bool:
        return self.primary.import_session(session, state)

    def enforces(self, schema: OutputSchema) -> bool:
        """Whether the provider that answered last (else the first candidate) enforces it."""
        return self.generator(self.served or self.candidates[0]).enforces(schema)

    def calls_tools(self) -> bool:
        """The router takes tools: it sends a request that needs them only to the candidates
        that take them (the others are skipped, recorded as causes) and raises ToolsUnsupported
        when none does."""
        return True

    def count_tokens(self, text: str) -> int:
        return self.generator(self.served or self.candidates[0]).count_tokens(text)

    def prompt_tokens(self, request: GenerationRequest) -> int | None:
        return self.generator(self.served or self.candidates[0]).prompt_tokens(request)

    def context_window(self) -> int | None:
        return self.generator(self.served or self.candidates[0]).context_window()

    def label_probabilities(
        self, request: GenerationRequest, prefix: str, labels: Sequence[str], suffix: str
    ) -> dict[str, float] | None:
        return self.generator(self.served or self.candidates[0]).label_probabilities(request, prefix, labels, suffix)

    @property
    def primary(self) -> TextGenerator:
        return self.generator(self.candidates[0])

    def _next(self, index: int, tools: bool) -> str | None:
        """The candidate tried after `index`: for a request that needs tools, the next that takes
        them (one whose adapter cannot be built is tried, and fails in its turn)."""
        for profile in self.candidates[index + 1 :]:
            if not tools:
                return profile.id
            try:
                if self.generator(profile).calls_tools():
                    return profile.id
            except ChiLlmError:
                return profile.id
        return None

    def _failed(self, attempts: list[Attempt], index: int, error: ChiLlmError, tools: bool) -> None:
        """Record a failure; raise when there is nothing left to try or nothing would help. A
        fallback is said once per provider (a chat's turns do not repeat it) until it answers again."""
        failed = self.candidates[index].id
        attempts.append((failed, error))
        left = self.candidates[index + 1 :]
        if isinstance(error, ToolsUnsupported):  # skipped, not failed: nothing to announce
            if left:
                return
            if all(isinstance(e, ToolsUnsupported) for _, e in attempts):
                raise error if len(attempts) == 1 else tools_unsupported([e.backend for _, e in attempts])
            raise AllProvidersFailed(attempts) from error
        if left and left[0].fallback and isinstance(error, ContextLengthExceeded):
            left = []  # the embedded model's context is rarely larger: this error is what helps
        if not retriable(error) or (len(attempts) == 1 and not left):
            raise error
        if not left:
            raise AllProvidersFailed(attempts) from error
        following = self._next(index, tools)
        if following is not None and failed not in self._announced:
            self._announced.add(failed)
            self._on_fallback(failed, error, following)

    def _attempts(self, attempts: list[Attempt], request: GenerationRequest) -> Iterator[_Attempt]:
        """Each candidate in turn, as an attempt to start the answer with (the fallback loop);
        for a request that needs tools, only those that take them (the others are skipped)."""
        tools = needs_tools(request)
        return (_Attempt(self, attempts, index, tools) for index in range(len(self.candidates)))

    # A whole answer keeps each backend's own whole-answer call (one request, not a stream) and,
    # as nothing was delivered yet, still falls back when a backend fails midway.
    def generate(self, request: GenerationRequest) -> Completion:
        for attempt in self._attempts([], request):
            with attempt:
                return attempt.generator.generate(request)
        raise AssertionError("unreachable")  # pragma: no cover

    async def agenerate(self, request: GenerationRequest) -> Completion:
        for attempt in self._attempts([], request):
            with attempt:
                return await attempt.generator.agenerate(request)
        raise AssertionError("unreachable")  # pragma: no cover

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        for attempt in self._attempts([], request):
            with attempt:
                chunks = attempt.opening(iter(attempt.generator.stream(request)))
                first = next(chunks, None)  # errors before the first chunk may still fall back
                return iter(()) if first is None else resumed(first, chunks)
        raise AssertionError("unreachable")  # pragma: no cover

    def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        served: list[ProviderProfile] = []
        attempts: list[Attempt] = []
        chunks = self._astream(request, served, attempts)
        self._stream_servers[chunks] = served
        self._stream_failures[chunks] = attempts
        return chunks

    def served_by(self, chunks: AsyncIterator[Chunk]) -> ProviderProfile | None:
        """The profile answering this stream (once its first chunk came): unlike `served`, right
        while other requests run through the same router (the HTTP server's case)."""
        served = self._stream_servers.get(chunks)
        return served[0] if served else None

    def failures_of(self, chunks: AsyncIterator[Chunk]) -> tuple[Attempt, ...]:
        """The providers that failed before this stream's answer began (`failed_before`, per stream)."""
        return tuple(self._stream_failures.get(chunks, ()))

    async def _astream(
        self, request: GenerationRequest, served: list[ProviderProfile], attempts: list[Attempt]
    ) -> AsyncIterator[Chunk]:
        for attempt in self._attempts(attempts, request):
            async with attempt:
                chunks = attempt.opening(attempt.generator.astream(request))
                first = await anext(chunks, None)
            if attempt.answered:
                served.append(attempt.profile)
                if first is not None:
                    async for chunk in aresumed(first, chunks):
                        yield chunk
                return


class _Attempt(AbstractContextManager["_Attempt"], AbstractAsyncContextManager["_Attempt"]):
    """One candidate tried: `with` (or `async with`) it around starting the answer. Leaving it
    normally means the candidate answered; a ChiLlmError is recorded and swallowed, so the next
    candidate is tried, unless nothing is left or nothing would help (then it is raised). A stream
    given to `opening` is closed when it fails before its first chunk."""

    def __init__(self, router: ProviderRouter, attempts: list[Attempt], index: int, tools: bool) -> None:
        self.router, self.attempts, self.index, self.tools = router, attempts, index, tools
        self.profile = router.candidates[index]
        self.answered = False
        self._opened: Iterator[Chunk] | AsyncIterator[Chunk] | None = None

    @property
    def generator(self) -> TextGenerator:
        """The candidate's adapter, built on first use (inside the attempt: a build error falls
        back too); ToolsUnsupported, before anything is sent, when the request needs tools and
        it cannot take them."""
        adapter = self.router.generator(self.profile)
        if self.tools and not adapter.calls_tools():
            named = self.profile.id if adapter.name in (self.profile.id, "") else f"{self.profile.id} ({adapter.name})"
            raise tools_unsupported([named])
        return adapter

    def opening(self, chunks: S) -> S:
        self._opened = chunks
        return chunks

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> bool:
        router = self.router
        if error is None:  # this candidate answered
            self.answered, router.served, router.failed_before = True, self.profile, tuple(self.attempts)
            router._announced.discard(self.profile.id)
            return False
        if not isinstance(error, ChiLlmError):
            return False
        if isinstance(self._opened, Iterator):
            close_stream(self._opened)
        router._failed(self.attempts, self.index, error, self.tools)
        return True

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> bool:
        if isinstance(error, ChiLlmError) and isinstance(self._opened, AsyncIterator):
            await aclose_stream(self._opened)
        return self.__exit__(kind, error, trace)
