"""Scripted fake adapters: deterministic, no model, no network. They pass the contract tests."""

from __future__ import annotations

import math
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from chi_llm.adapters.fake_tools import ScriptedReply, call_deltas, scripted
from chi_llm.adapters.providers.provider_type import BuildContext, ProviderType, with_defaults
from chi_llm.adapters.threaded import stream_in_thread
from chi_llm.domain.cpu_load import CpuLoad
from chi_llm.domain.diagnostics import EngineReport, Feature
from chi_llm.domain.errors import ChiLlmError, ConfigError, ContextLengthExceeded, InvalidRequest, ModelNotFound
from chi_llm.domain.generation import (
    DEFAULT_CONTEXT,
    Chunk,
    GenerationRequest,
    Timings,
    Usage,
    answer_room,
)
from chi_llm.domain.hardware import Hardware
from chi_llm.domain.legacy import legacy_model
from chi_llm.domain.models.spec import ModelSpec
from chi_llm.domain.models.views import CatalogCheck
from chi_llm.domain.ports import Embedder, EngineInfo, FeatureProbe, ModelCatalog, SystemProbe, TextGenerator
from chi_llm.domain.providers import ProviderField, ProviderProfile, ProviderSchema

_TOKEN = re.compile(r"\s*\S+")
_WORD = re.compile(r"\S+")


def fake_tokens(text: str) -> list[str]:
    """The fake's tokenizer: each word with its leading white space is one token."""
    return _TOKEN.findall(text)


class FakeTextGenerator(TextGenerator):
    """Replies from a queue (or echoes the last user turn), streamed one word per token. A reply
    given as a mapping answers with tool calls (see fake_tools), streamed as deltas.

    It records every request in `requests`, counts produced tokens in `tokens_decoded`, and
    honours max_tokens, stop sequences, the context size and the known model names.
    """

    name = "fake"

    def __init__(
        self,
        replies: Iterable[str | Mapping[str, Any]] = (),
        *,
        context: int = DEFAULT_CONTEXT,
        models: Iterable[str] = ("fake",),
        token_delay: float = 0.0,
        failure: ChiLlmError | None = None,
        fail_after_tokens: int | None = None,
    ) -> None:
        self.failure = failure  # raised before the first token (or after `fail_after_tokens`)
        self.fail_after_tokens = fail_after_tokens
        self.replies: deque[ScriptedReply] = deque(scripted(reply) for reply in replies)
        self.requests: list[GenerationRequest] = []
        self.context = context
        self.models = frozenset(models)
        self.token_delay = token_delay
        self.tokens_decoded = 0
        self.calls_made = 0  # tool calls answered so far (unscripted ids are call_<n>)
        self._lock = threading.Lock()

    def calls_tools(self) -> bool:
        return True  # scripted: a reply given as a mapping with tool_calls

    def count_tokens(self, text: str) -> int:
        return len(fake_tokens(text))  # the fake's context is counted in its own words

    def prompt_tokens(self, request: GenerationRequest) -> int | None:
        return self._prompt_tokens(request)  # what its answer reports (before any truncation)

    def context_window(self) -> int | None:
        return self.context

    def queue(self, *replies: str | Mapping[str, Any]) -> None:
        self.replies.extend(scripted(reply) for reply in replies)

    def _reply_for(self, request: GenerationRequest) -> ScriptedReply:
        if self.replies:
            return self.replies.popleft()
        if request.prompt is not None:
            return ScriptedReply(" and so on, continuing the text.")
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        return ScriptedReply(f"Echo: {last_user}")

    def _prompt_tokens(self, request: GenerationRequest) -> int:
        if request.prompt is not None:
            return len(fake_tokens(request.prompt))
        return sum(len(fake_tokens(m.content)) + 2 for m in request.messages)

    def stream(self, request: GenerationRequest) -> Iterator[Chunk]:
        if self.failure is not None and self.fail_after_tokens is None:
            raise self.failure
        if request.model is not None and request.model not in self.models:
            raise ModelNotFound(
                f"the fake backend has no model {request.model!r}; known: {', '.join(sorted(self.models))}",
                backend=self.name,
            )
        prompt_tokens = self._prompt_tokens(request)
        if prompt_tokens >= self.context:  # like llama.cpp: leave room for at least one token
            if not request.options.truncate:
                raise ContextLengthExceeded(prompt_tokens=prompt_tokens, context=self.context, backend=self.name)
            room = answer_room(self.context, request.options.max_tokens)
            prompt_tokens = self.context - room
        with self._lock:
            self.requests.append(request)
            reply = self._reply_for(request)
        return self._decode(request, reply, prompt_tokens)

    def _decode(self, request: GenerationRequest, reply: ScriptedReply, prompt_tokens: int) -> Iterator[Chunk]:
        started = time.perf_counter()
        first: float | None = None
        limit = request.options.token_limit
        produced, emitted, finish, ended = 0, "", "stop", False
        matched: str | None = None  # the stop sequence that ended the answer
        for token in fake_tokens(reply.text):
            if self.failure is not None and produced == self.fail_after_tokens:
                raise self.failure
            if produced >= limit:
                finish, ended = "length", True
                break
            if self.token_delay:
                time.sleep(self.token_delay)
            produced += 1
            self.tokens_decoded += 1
            candidate = emitted + token
            hits = [(i, s) for s in request.options.stop if (i := candidate.find(s)) >= 0]
            cut = min(hits)[0] if hits else -1
            if cut >= 0:
                matched = min(hits)[1]
                if cut > len(emitted):
                    yield Chunk(text=candidate[len(emitted) : cut])
                ended = True
                break
            first = first if first is not None else time.perf_counter() - started
            emitted = candidate
            yield Chunk(text=token)
        for index, call in enumerate(() if ended else reply.calls):
            with self._lock:
                self.calls_made += 1
                call_id = call.id or f"call_{self.calls_made}"
            for delta in call_deltas(index, call, call_id):
                if self.token_delay:
                    time.sleep(self.token_delay)
                produced += 1
                self.tokens_decoded += 1
                first = first if first is not None else time.perf_counter() - started
                finish = "tool_calls"
                yield Chunk(tool_calls=(delta,))
        yield Chunk(
            finish_reason=finish,  # type: ignore[arg-type]
            usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=produced),
            timings=Timings(time_to_first_token=first, total=time.perf_counter() - started),
            stop_sequence=matched,
        )

    def astream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        return stream_in_thread(lambda: self.stream(request))

    def close(self) -> None:
        """Nothing to release: the fake holds no connections."""

    async def aclose(self) -> None:
        """Nothing to release: the fake holds no connections."""


class FixedSystemProbe(SystemProbe):
    """A SystemProbe that reports a fixed machine (deterministic recommendations and fit checks)
    and a fixed CPU load (default: nothing else running)."""

    def __init__(self, hardware: Hardware, load: CpuLoad | None = None) -> None:
        self._hardware = hardware
        self._load = load or CpuLoad(cores=hardware.logical_cores, others=0.0, sample_s=0.0)

    def hardware(self) -> Hardware:
        return self._hardware

    def cpu_load(self, seconds: float) -> CpuLoad | None:
        return self._load


class FixedEngineInfo(EngineInfo):
    """An EngineInfo that reports a fixed llama.cpp build (or a missing one)."""

    def __init__(self, report: EngineReport | None = None) -> None:
        self._report = report or EngineReport(installed=True, version="0.0.0", system_info="CPU : AVX2 = 1")

    def report(self) -> EngineReport:
        return self._report


class FixedFeatures(FeatureProbe):
    """A FeatureProbe with a fixed answer."""

    def __init__(self, features: Iterable[Feature] = ()) -> None:
        self._features = list(features)

    def features(self) -> list[Feature]:
        return list(self._features)


class FakeEmbedder(Embedder):
    """Deterministic bag-of-words vectors (hashed words, L2-normalised): texts sharing words are
    close, so search order is meaningful in tests. No model, no network."""

    def __init__(self, dimension: int = 256, model_id: str = "fake-embedder") -> None:
        self.model_id = model_id
        self._dimension = dimension
        self.embedded = 0  # texts embedded so far (tests count re-embedding)

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)

    def count_tokens(self, text: str) -> int:
        return len(self.token_starts(text))

    def token_starts(self, text: str) -> list[int]:
        # The fake's tokens (a word with the white space before it) start where their word does;
        # \S+ finds them in linear time, where \s*\S+ rescans a long run of blanks at each of them.
        return [m.start() for m in _WORD.finditer(text)]

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self._dimension
        for word in re.findall(r"\w+", text.lower()):
            vector[zlib.crc32(word.encode()) % self._dimension] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


class InMemoryCatalog(ModelCatalog):
    """A catalog of the given specs; the first one is the zero-config default."""

    def __init__(self, *specs: ModelSpec) -> None:
        if not specs:
            raise ValueError("an in-memory catalog needs at least one model")
        self._specs = {spec.id: spec for spec in specs}
        self._default = specs[0].id

    @property
    def default_id(self) -> str:
        return self._default

    def all(self) -> list[ModelSpec]:
        return list(self._specs.values())

    def check(self, path: Path | None = None) -> CatalogCheck:
        """Files are checked as the YAML catalog checks them; the in-memory specs were checked
        when they were built."""
        from chi_llm.adapters.models.catalog import check_catalog_file

        if path is not None:
            return check_catalog_file(path)
        return CatalogCheck(ok=True, path="in-memory catalog", errors=(), warnings=(), models=len(self._specs))

    def get(self, model_id: str) -> ModelSpec:
        current = legacy_model(model_id, set(self._specs))
        if current is not None:
            return self._specs[current]
        if model_id not in self._specs:
            raise ModelNotFound(
                f"unknown model {model_id!r}; known models: {', '.join(self._specs)}", backend="catalog"
            )
        return self._specs[model_id]


FAKE_SCHEMA = ProviderSchema(
    type="fake",
    summary="a scripted fake (deterministic: no model, no network) for tests and demos",
    fields=(
        ProviderField(
            name="replies",
            type="list",
            help="scripted replies, in order (then it echoes); a reply "
            '{"content": TEXT, "tool_calls": [{"name": N, "arguments": {...}}]} answers with tool calls',
        ),
        ProviderField(
            name="token_delay", type="float", default=0.0, minimum=0.0, maximum=10.0, help="seconds per produced token"
        ),
        ProviderField(name="context", type="int", default=DEFAULT_CONTEXT, minimum=1, help="context window in words"),
    ),
)


def build_fake(profile: ProviderProfile, ctx: BuildContext) -> FakeTextGenerator:
    s = with_defaults(profile, FAKE_SCHEMA)
    replies = s.get("replies") or ()
    try:
        return FakeTextGenerator(
            replies=[replies]
            if isinstance(replies, str)
            else [r if isinstance(r, Mapping) else str(r) for r in replies],
            context=int(s["context"]),
            models=("fake", *([ctx.model] if ctx.model else [])),
            token_delay=float(s["token_delay"]),
        )
    except InvalidRequest as error:
        raise ConfigError(error.message, source=f"provider {profile.id!r}", key="replies") from None


FAKE_PROVIDER = ProviderType(schema=FAKE_SCHEMA, build=build_fake, catalog_models=True)
