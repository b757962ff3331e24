"""A request's `model` to a backend: a catalog or inventory model (served locally), a provider
profile (`profile-id`, `profile-id/model`), or nothing (the configured order, with fallback).
Each distinct route is wired once, from the server's own wiring, and kept; routes to the same
model share one Gate. A local model's gate holds as many requests as its engine has slots (what
admission granted, known once the model is located: off the event loop, see `Backends`)."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from chi_llm.application.generation import GenerationService
from chi_llm.application.provider_router import ProviderRouter
from chi_llm.domain.errors import ChiLlmError, ModelNotFound
from chi_llm.domain.generation import DEFAULT_PARALLEL
from chi_llm.domain.providers import ProviderProfile
from chi_llm.domain.settings import Settings
from chi_llm.entrypoints.container import Container, profile_model
from chi_llm.entrypoints.server.gate import Gate
from chi_llm.entrypoints.wiring import rewire

log = logging.getLogger("chi_llm.serve")
DEFAULT_NAMES = ("", "default", "chi-llm")  # ask for the configured order


@dataclass(frozen=True, slots=True)
class Route:
    """Where a model name leads: `provider` None is the configured order; `model` None the
    profile's own (or configured) model."""

    provider: str | None = None
    model: str | None = None

    @property
    def key(self) -> str:
        return f"{self.provider or '*'}|{self.model or '*'}"


@dataclass(frozen=True, slots=True)
class Known:
    """What the server can route to: profiles, the local catalog's ready models, other tools'."""

    profiles: Sequence[ProviderProfile]
    ready: Collection[str]  # catalog ids downloaded (and the default model, fetched at start)
    catalog: Collection[str]  # every catalog id (a known one not downloaded gets a hint)
    inventory: Callable[[], Mapping[str, str]]  # other tools' model ids, as shown -> as found (scanned when asked)
    profile_models: Mapping[str, str | None]  # profile id -> the model it uses
    catalog_profiles: Collection[str]  # profile ids whose type runs catalog models (files on disk)
    embedding_names: Collection[str] = ()  # what POST /v1/embeddings answers to


def resolve(name: str | None, known: Known) -> Route:
    """The route for a request's model name. Raises ModelNotFound with what to do.

    A name leads only to what the server routes: a profile (with any model its provider serves,
    except a catalog-model profile such as `local`, which takes only what the server would list),
    a downloaded catalog model, a configured model, another tool's model. Never to a path or a
    download: whether a file exists is not the client's business."""
    if name is None or name in DEFAULT_NAMES:
        return Route()
    ids = {p.id for p in known.profiles}
    if name in ids:
        return Route(provider=name)
    prefix, _, rest = name.partition("/")
    if rest and prefix in ids:
        if prefix in known.catalog_profiles:
            return Route(provider=prefix, model=_listed(name, rest, known, prefix))
        return Route(provider=prefix, model=rest)
    if name in known.ready:
        return Route(provider="local", model=name)
    if name in known.catalog:
        raise _not_found(name, name, known)
    for profile_id, model in known.profile_models.items():
        if model == name:
            return Route(provider=profile_id, model=name)
    found = known.inventory().get(name) if ":" in name else None
    if found is not None:
        return Route(provider="local", model=found)
    raise _not_found(name, name, known)


def _listed(name: str, model: str, known: Known, profile_id: str) -> str:
    """The model a catalog-model profile may run under this name (downloaded, its own, or
    another tool's, as found), else ModelNotFound."""
    if model in known.ready or model == known.profile_models.get(profile_id):
        return model
    found = known.inventory().get(model) if ":" in model else None
    if found is None:
        raise _not_found(name, model, known)
    return found


def _not_found(name: str, model: str, known: Known) -> ModelNotFound:
    if model in known.catalog:
        return ModelNotFound(
            f"model {model!r} is in the catalog but not downloaded; run `chi-llm models download {model}` "
            "on the server's machine",
            backend="serve",
        )
    if name in known.embedding_names:
        return ModelNotFound(f"{name!r} is an embedding model: POST /v1/embeddings with it", backend="serve")
    return ModelNotFound(
        f"no model {name!r} here; GET /v1/models lists what this server routes to "
        "(catalog ids, other tools' models, `profile-id` and `profile-id/model`)",
        backend="serve",
    )


@dataclass(slots=True)
class Backend:
    """A wired route: the generation service, its router and the gate it queues at."""

    name: str  # the model name answers report
    service: GenerationService
    router: ProviderRouter
    gate: Gate

    @property
    def local(self) -> bool:
        return self.router.candidates[0].type == "local"

    def load(self) -> None:
        """Load a local model now (fetching the default model on first use)."""
        loader = getattr(self.router.primary, "load", None)
        if loader is not None:
            loader()


def local_parallel(profile: ProviderProfile, settings: Settings) -> int:
    """Requests a local model is asked to decode together: the profile's `parallel`, else the
    `parallel` setting, else DEFAULT_PARALLEL (admission may grant fewer when memory is short)."""
    chosen = profile.settings.get("parallel") or settings["parallel"]
    return int(chosen) if chosen else DEFAULT_PARALLEL


@dataclass(frozen=True, slots=True)
class Limits:
    parallel: int = 4  # concurrent requests per remote provider model (a local one: its engine's slots)
    queue: int = 16  # requests waiting per model before 429
    queue_timeout: float = 120.0  # seconds a request may wait in the queue before 503


class Backends:
    """Routes built on first use and kept (one per distinct route, at most `MAX_ROUTES`: clients
    may send any `profile-id/model`, so the least recently used idle route is let go). A route
    let go is dropped, not closed: a request that already holds it finishes on it, and its
    connections go with the last reference. A route is the server's wiring (`base`) with the
    route's profile and model: the configuration is not resolved again, and the model store,
    catalog and advisor are the server's.

    A local model's gate opens at 1 (admission grants at least one slot, or refuses the model)
    and takes its engine's slot count once the model is located: in the background, at the first
    request on the event loop (locating may fetch the model), or at once by `load` before the
    server listens. Requests past the engine's slots so wait at the gate, where the queue's
    limits, timeouts and /health see them, never in the engine's own queue."""

    MAX_ROUTES = 64

    def __init__(self, base: Container, limits: Limits) -> None:
        self._base = base
        self._limits = limits
        self._built: OrderedDict[str, Backend] = OrderedDict()
        self._gates: dict[str, Gate] = {}
        self._unsized: dict[Gate, tuple[Backend, int]] = {}  # local gates to size: a route, the slots asked
        self._sizing: set[asyncio.Task[None]] = set()  # sizings under way (kept: the loop holds tasks weakly)

    def get(self, route: Route) -> Backend:
        built = self._built.get(route.key)
        if built is None:
            built = self._build(route)
            self._built[route.key] = built
            self._trim()
        self._built.move_to_end(route.key)
        if self._unsized:
            self._size_later()
        return built

    def load(self, backend: Backend) -> None:
        """Load a local model now (fetching the default model on first use) and size its gate to
        the slots its engine was given. Blocks: for the server's start, before it listens."""
        backend.load()
        pending = self._unsized.pop(backend.gate, None)
        if pending is not None:
            slots = getattr(backend.router.primary, "slots", None)
            backend.gate.resize(slots() if slots is not None else pending[1])

    def _size_later(self) -> None:
        """Size the local gates built so far, each in a task of its own. Off the event loop (a
        route built before the server runs) they wait for the first request, or for `load`."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        for gate, (backend, asked) in self._unsized.items():
            task = asyncio.ensure_future(self._size(gate, backend, asked))
            self._sizing.add(task)
            task.add_done_callback(self._sizing.discard)
        self._unsized.clear()

    @staticmethod
    async def _size(gate: Gate, backend: Backend, asked: int) -> None:
        """The engine's slots (the model located on the adapter's own thread); when the model
        cannot be had, the slots asked: its requests meet the error themselves, or fall back to
        the next provider, as before."""
        try:
            slots = getattr(backend.router.primary, "aslots", None)
            gate.resize(await slots() if slots is not None else asked)
        except ChiLlmError as error:
            log.debug("%s: slots not known (%s); its gate holds %d", gate.name, error.message, asked)
            gate.resize(asked)
        except Exception:
            log.exception("%s: sizing its gate failed; it holds %d", gate.name, asked)
            gate.resize(asked)

    def _trim(self) -> None:
        idle = [key for key, b in self._built.items() if b.gate.active == 0 and b.gate.waiting == 0]
        for key in idle[: max(len(self._built) - self.MAX_ROUTES, 0)]:
            del self._built[key]
        used = {id(b.gate) for b in self._built.values()}
        self._gates = {k: g for k, g in self._gates.items() if id(g) in used or g.active or g.waiting}

    def _build(self, route: Route) -> Backend:
        container = rewire(self._base, provider=route.provider, model=route.model)
        router: ProviderRouter = container.generator()
        first = router.candidates[0]
        model = profile_model(first, container.settings()) or first.id
        identity = f"local:{model}" if first.type == "local" else f"{first.id}:{model}"
        gate = self._gates.get(identity)
        fresh = gate is None
        if gate is None:
            concurrency = 1 if first.type == "local" else self._limits.parallel
            gate = Gate(model, concurrency=concurrency, queue=self._limits.queue, timeout=self._limits.queue_timeout)
            self._gates[identity] = gate
        name = route.model or (route.provider if route.provider else model)
        backend = Backend(name=name, service=container.generation(), router=router, gate=gate)
        if fresh and first.type == "local":
            self._unsized[gate] = (backend, local_parallel(first, container.settings()))
        return backend

    def __len__(self) -> int:
        return len(self._built)

    def gates(self) -> dict[str, Gate]:
        return dict(self._gates)

    async def aclose(self) -> None:
        for backend in self._built.values():
            await backend.router.aclose()
