"""The composition root: resolve settings once, build the container. MicroLLM, ModelManager, the
CLI, the bridge and the server are thin views over what `wire` returns."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chi_llm.adapters.providers.registry import schemas
from chi_llm.application.config import ConfigService
from chi_llm.domain.diagnostics import DiagnosticReport
from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.providers import ProviderSchema
from chi_llm.domain.settings import Settings
from chi_llm.entrypoints.container import Container, config_service, providers


def wire(
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    provider: str | Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    check_model: bool | None = None,
    **overrides: Any,
) -> Container:
    """A container for one configuration. A part is replaced on the container returned, with
    dependency-injector's override (`container.progress.override(callback)`; tests:
    `container.generator.override(fake)`).

    Args:
        config_path: an extra configuration file (above the environment, below `overrides`).
        env: the environment to read (default: os.environ).
        provider: a provider profile id, a provider type, or a profile mapping to use alone.
        tags: use only provider profiles having all these tags.
        check_model: check `model` against the local catalog (default: unless a remote provider
            was chosen, whose model names the catalog does not know).
        overrides: setting values given as arguments (`model`, `temperature`, ...); None means unset.
    """
    env = os.environ if env is None else env
    config = config_service(env)
    if check_model is None:
        check_model = provider is None or _local(provider)
    settings = config.resolve(overrides, Path(config_path) if config_path else None, check_model=check_model)
    container = Container(settings=settings, config=config)
    container.env.override(env)
    container.selection.override(provider)
    container.tags.override(tuple(tags or ()))
    return container


# What a provider choice, a model or a context leaves as it is: a rewired container shares these
# with the container it comes from (one model store, catalog, advisor and set of adapters' helpers).
# Every other singleton (the builder, the router, the RAG service holding it...) is per container:
# rebuilt by `refine`, built afresh by `rewire`, so a part added to the container is never stale.
SHARED = (
    "catalog",
    "model_files",
    "sources",
    "inventory",
    "probe",
    "hub",
    "model_store",
    "inspector",
    "advisor",
    "finder",
    "templates",
    "schema_validator",
    "engine_info",
    "features",
)


def rewire(base: Container, *, provider: str | None = None, model: str | None = None) -> Container:
    """`base`'s configuration with another provider choice (None: `base`'s) and model, for a
    server's route. Nothing is resolved again (`model` goes on top of `base`'s settings as an
    argument) and the model store, catalog and advisor are `base`'s: only the router and the
    services that use it are new. The link goes one way: `base` keeps no reference to the route
    (overriding with `base`'s own providers would record it there, so a route let go would stay)."""
    selection = base.selection() if provider is None else provider
    container = Container(settings=_refined(base, selection, model=model), config=base.config())
    container.env.override(providers.Object(base.env()))
    container.selection.override(providers.Object(selection))
    container.tags.override(providers.Object(base.tags()))
    container.progress.override(providers.Object(base.progress()))
    for name in SHARED:
        getattr(container, name).override(providers.Callable(getattr(base, name)))
    return container


def refine(
    container: Container, *, model: str | None = None, context: int | None = None, parallel: int | None = None
) -> Container:
    """Put `model`, `context` and `parallel` on top of `container`'s settings, as arguments,
    without resolving the configuration again: for a choice made from the settings themselves (a
    one-shot context sized to them, one sequence for it). Every singleton outside SHARED (the
    builder, the router and what holds them) is built again on next use."""
    arguments = {"model": model, "context": context, "parallel": parallel}
    container.settings.override(_refined(container, container.selection(), **arguments))
    for name, part in container.providers.items():
        if name not in SHARED and isinstance(part, providers.BaseSingleton):
            part.reset()
    return container


def _refined(container: Container, selection: str | Mapping[str, Any] | None, **arguments: Any) -> Settings:
    """`container`'s settings with `arguments` on top; a model given is checked against the
    local catalog unless a remote provider was chosen (as `wire` checks it)."""
    config: ConfigService = container.config()
    check_model = selection is None or _local(selection)
    settings: Settings = config.refine(container.settings(), arguments, check_model=check_model)
    return settings


def diagnose(env: Mapping[str, str] | None = None) -> DiagnosticReport:
    """Run every diagnostic check (see chi_llm.application.diagnostics). A configuration that
    cannot be resolved is reported as a failed check; the other checks then use the defaults."""
    env = os.environ if env is None else env
    try:
        container = wire(env=env)
        service = container.diagnostics()
    except ChiLlmError as error:
        container = Container(settings=Settings.defaults(), config=config_service(env))
        container.env.override(env)
        service = container.diagnostics(settings=None, config_error=error)
    return service.run()


def configuration(env: Mapping[str, str] | None = None) -> ConfigService:
    """The configuration service alone, for commands that change files without resolving them
    (a broken file must stay fixable with `chi-llm config set`)."""
    return config_service(os.environ if env is None else env)


def provider_schemas() -> Mapping[str, ProviderSchema]:
    """Each provider type's settings schema (the registry's), for forms and `providers schema`."""
    return schemas()


def _local(provider: str | Mapping[str, Any]) -> bool:
    if isinstance(provider, Mapping):
        return bool(provider.get("type", "local") == "local")
    return provider == "local"
