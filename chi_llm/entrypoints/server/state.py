"""The server's options and the state its handlers share: the routes built so far, what the
server can route to, the embedder, and the shutdown flags."""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chi_llm._version import __version__
from chi_llm.adapters.providers.registry import PROVIDER_TYPES
from chi_llm.domain.ports import Embedder
from chi_llm.domain.shown_text import shown
from chi_llm.entrypoints.container import Container, profile_model
from chi_llm.entrypoints.server.backends import Backends, Known, Limits, Route, resolve
from chi_llm.entrypoints.server.connections import ConnectionLimits
from chi_llm.entrypoints.server.errors import HttpError
from chi_llm.entrypoints.server.gate import Gate
from chi_llm.entrypoints.server.replies import model_object
from chi_llm.entrypoints.wiring import wire

API_KEY_VARIABLE = "CHI_LLM_SERVE_API_KEY"
MAX_NAMES = 256  # model names remembered
INVENTORY_TTL = 10.0  # seconds a scan of other tools' model folders is reused
# OpenAI's embedding model names: clients that only know these reach the configured embedder
OPENAI_EMBEDDING_NAMES = ("text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002")
LLM, EMBEDDINGS = "llm", "embeddings"  # /v1/models `type`, as LM Studio marks its models


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """How `chi-llm serve` runs (each is a command-line option)."""

    host: str = "127.0.0.1"
    port: int = 8642
    api_keys: tuple[str, ...] = ()
    max_body_bytes: int = 8 * 1024 * 1024
    max_tokens: int | None = 4096  # cap on any request's max_tokens
    limits: Limits = field(default_factory=Limits)
    grace: float = 10.0  # seconds in-flight streams get to finish on SIGTERM
    json_logs: bool = False
    config_path: str | Path | None = None
    preload: bool = True
    allow_origins: tuple[str, ...] = ()  # browser origins allowed to call the API (CORS)
    allow_hosts: tuple[str, ...] = ()  # Host names a loopback server answers besides loopback ones
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)


class ServerState:
    """Shared by every request of one server."""

    def __init__(self, options: ServeOptions, env: Mapping[str, str]) -> None:
        self.options = options
        self.base: Container = wire(options.config_path, env)
        self.backends = Backends(self.base, options.limits)
        self.stopping = asyncio.Event()  # set when the grace period is over: streams end now
        self.draining = False  # set on SIGTERM: new requests are refused
        self._routes: dict[str | None, Route] = {}  # model names resolved so far
        self._scanned: tuple[float, dict[str, str] | None] = (0.0, None)  # other tools' model ids, and when
        self._embedder: Embedder | None = None
        self._embed_gate: Gate | None = None

    # -- what the server routes to ----------------------------------------------------------
    def route(self, name: str | None) -> Route:
        """The route for a model name, remembered once found (looking through the catalog's
        files for every request would cost more than the rest of the request's handling)."""
        found = self._routes.get(name)
        if found is None:
            found = resolve(name, self.known())
            if len(self._routes) >= MAX_NAMES:
                self._routes.clear()
            self._routes[name] = found
        return found

    def known(self) -> Known:
        settings = self.base.settings()
        store = self.base.model_store()
        specs = store.catalog.all()
        profiles = settings.profiles()
        local = {p.id for p in profiles if PROVIDER_TYPES[p.type].catalog_models}  # run catalog models
        ready = {spec.id for spec in specs if store.is_downloaded(spec)} | {str(settings["model"])}
        return Known(
            profiles=profiles,
            ready=ready,
            catalog={spec.id for spec in specs},
            inventory=self._inventory,
            profile_models={p.id: profile_model(p, settings) for p in profiles},
            catalog_profiles=local,
            embedding_names=(self.embedding_name(), *OPENAI_EMBEDDING_NAMES),
        )

    def _inventory(self) -> dict[str, str]:
        """Other tools' model ids as shown (a file name that is not UTF-8 escaped) -> as found,
        scanned at most every INVENTORY_TTL seconds (editors poll /v1/models, and an unknown
        name must not walk every model folder each time)."""
        stamp, ids = self._scanned
        if ids is None or time.monotonic() - stamp > INVENTORY_TTL:
            ids = {shown(model.id): model.id for model in self.base.model_store().installed_elsewhere()}
            self._scanned = (time.monotonic(), ids)
        return ids

    def models(self) -> list[dict[str, Any]]:
        """Every model id the router resolves, chat models first (`type: llm`, LM Studio's
        marker): `default` (the configured order), profiles (and profile/model), ready catalog
        models, other tools' models; then the embedding model and the OpenAI embedding names
        that reach it (`type: embeddings`). One id is one entry (a profile wins a shared id)."""
        known = self.known()
        first = self.base.generator().candidates[0]
        default = {"kind": "default", "provider": first.id, "model": known.profile_models.get(first.id)}
        listed: dict[str, dict[str, Any]] = {"default": model_object("default", first.type, type=LLM, chi_llm=default)}
        for profile in known.profiles:
            model = known.profile_models.get(profile.id)
            chi_llm = {"kind": "profile", "model": model}
            listed.setdefault(profile.id, model_object(profile.id, profile.type, type=LLM, chi_llm=chi_llm))
            if model and profile.type != "local":
                name = f"{profile.id}/{model}"
                listed.setdefault(name, model_object(name, profile.type, type=LLM))
        for model_id in sorted(known.ready):
            listed.setdefault(model_id, model_object(model_id, "chi_llm", type=LLM, chi_llm={"kind": "local"}))
        for model_id in sorted(known.inventory()):
            origin = model_id.split(":", 1)[0]
            listed.setdefault(model_id, model_object(model_id, origin, type=LLM, chi_llm={"kind": "local"}))
        if self.embeddings_available():
            name = self.embedding_name()
            entry = model_object(name, "chi_llm", type=EMBEDDINGS, chi_llm={"kind": "embedding"})
            listed.setdefault(name, entry)
            for alias in OPENAI_EMBEDDING_NAMES:
                marks = {"kind": "embedding", "alias_of": name}
                listed.setdefault(alias, model_object(alias, "chi_llm", type=EMBEDDINGS, chi_llm=marks))
        return list(listed.values())

    # -- embeddings -----------------------------------------------------------------------
    def embedding_name(self) -> str:
        return str(self.base.rag_config().embedding_model)

    def embeddings_available(self) -> bool:
        return self.embedding_name() == "fake" or importlib.util.find_spec("fastembed") is not None

    def embedder(self, requested: str | None) -> tuple[Embedder, Gate]:
        """The configured embedder (loaded on first use) and its gate; refuses other models."""
        name = self.embedding_name()
        if not self.embeddings_available():
            raise HttpError(
                404,
                "embeddings need the RAG extra on the server: pip install 'chi-llm[rag]'",
                code="embeddings_unavailable",
            )
        if requested not in (None, name, name.rsplit("/", 1)[-1], *OPENAI_EMBEDDING_NAMES):
            aliases = ", ".join(OPENAI_EMBEDDING_NAMES)
            raise HttpError(
                404,
                f"no embedding model {requested!r}; this server embeds with {name!r} (also under OpenAI's {aliases})",
                code="model_not_found",
            )
        if self._embedder is None or self._embed_gate is None:
            limits = self.options.limits
            self._embedder = self.base.embedder()
            self._embed_gate = Gate(name, concurrency=1, queue=limits.queue, timeout=limits.queue_timeout)
        return self._embedder, self._embed_gate

    def health(self) -> dict[str, Any]:
        gates = self.backends.gates()
        if self._embed_gate is not None:
            gates[f"embedding:{self._embed_gate.name}"] = self._embed_gate
        return {
            "status": "draining" if self.draining else "ok",
            "version": __version__,
            "models": {name: gate.status() for name, gate in gates.items()},
        }
