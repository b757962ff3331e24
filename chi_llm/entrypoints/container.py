"""The dependency-injector container: the only place that knows every concrete class."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dependency_injector import containers, providers

from chi_llm.adapters.catalog import YamlModelCatalog
from chi_llm.adapters.config_files import FileConfigStore
from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.adapters.gguf import GgufInspector
from chi_llm.adapters.hf_source import HfModelSource
from chi_llm.adapters.inventory import ToolInventory
from chi_llm.adapters.model_files import LocalModelFiles
from chi_llm.adapters.progress import TerminalProgress
from chi_llm.adapters.system_probe import LocalSystemProbe
from chi_llm.adapters.wheel_source import WheelModelSource
from chi_llm.application.config import ConfigService
from chi_llm.application.generation import GenerationService
from chi_llm.application.model_advice import ModelAdvisor
from chi_llm.application.models import ModelService
from chi_llm.application.router import ProviderRouter, select
from chi_llm.domain.generation import GenerationOptions
from chi_llm.domain.settings import Settings
from chi_llm.entrypoints.provider_wiring import adhoc_profile, configured_profiles, make_builder


def _llama_generator(**kwargs: Any) -> Any:
    from chi_llm.adapters.llama_cpp import LlamaCppGenerator  # imports llama_cpp lazily

    return LlamaCppGenerator(**kwargs)


def _fake_generator(provider: Mapping[str, Any], model: str) -> FakeTextGenerator:
    return FakeTextGenerator(
        replies=provider.get("replies", ()),
        context=int(provider.get("context", 4096)),
        models=("fake", model),
        token_delay=float(provider.get("token_delay", 0.0)),
    )


def _router(
    settings: Settings, env: Mapping[str, str], local: Any, fake: Any, provider: Any, tags: Any
) -> ProviderRouter:
    profiles = configured_profiles(settings)
    provider_id = None
    if provider is not None:
        adhoc = adhoc_profile(provider, profiles)
        if adhoc is not None:
            profiles = [p for p in profiles if p.id != adhoc.id] + [adhoc]
        provider_id = adhoc.id if adhoc is not None else str(provider)
    candidates = select(
        profiles, provider_id=provider_id, tags=tuple(tags or ()), default_id=settings["default_provider"]
    )
    return ProviderRouter(candidates, make_builder(settings, env, local, fake))


def cache_dir(settings_value: str | None, env: Mapping[str, str]) -> Path:
    """The cache folder: the `cache_dir` setting (CHI_LLM_HOME), else XDG cache / ~/.cache/chi_llm."""
    if settings_value:
        return Path(settings_value).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "chi_llm"


def config_service(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> ConfigService:
    env = os.environ if env is None else env

    def known(values: Mapping[str, Any]) -> list[str]:
        catalog = YamlModelCatalog(config_entries=values.get("models") or (), env=env)
        return [spec.id for spec in catalog.all()]

    return ConfigService(FileConfigStore(cwd or Path.cwd(), env), env, known_models=known)


class Container(containers.DeclarativeContainer):
    """Adapters are singletons; services are factories; the backend is chosen by
    `provider.type` in the resolved settings."""

    config = providers.Configuration()
    env = providers.Object(os.environ)
    progress = providers.Object(TerminalProgress())

    catalog = providers.Singleton(
        lambda entries, env: YamlModelCatalog(config_entries=entries or (), env=env), config.models, env
    )
    model_files = providers.Singleton(
        lambda cache, env: LocalModelFiles(cache_dir(cache, env) / "models"), config.cache_dir, env
    )
    sources = providers.Dict(
        wheel=providers.Singleton(WheelModelSource),
        hf=providers.Singleton(HfModelSource),
    )
    inventory = providers.Singleton(lambda env, paths: ToolInventory(env, paths or ()), env, config.gguf_paths)
    models = providers.Singleton(
        ModelService, catalog=catalog, files=model_files, sources=sources, progress=progress, inventory=inventory
    )
    probe = providers.Singleton(LocalSystemProbe)
    inspector = providers.Singleton(GgufInspector)
    advisor = providers.Singleton(
        ModelAdvisor, models=models, probe=probe, inspector=inspector, allow_oversize=config.allow_oversize
    )

    local_generator = providers.Factory(
        _llama_generator,
        locate=models.provided.locate,
        default_model=config.model,
        context=config.context,
        threads=config.threads,
        gpu_layers=config.gpu_layers,
        admit=advisor.provided.admit,
    )
    fake_generator = providers.Factory(_fake_generator, provider=config.provider_settings, model=config.model)
    settings: providers.Object[Any] = providers.Object(None)
    generator = providers.Singleton(
        _router,
        settings=settings,
        env=env,
        local=local_generator.provider,
        fake=fake_generator.provider,
        provider=config.selection_provider,
        tags=config.selection_tags,
    )

    defaults = providers.Factory(
        GenerationOptions,
        temperature=config.temperature,
        top_p=config.top_p,
        max_tokens=config.max_tokens,
        seed=config.seed,
    )
    generation = providers.Factory(GenerationService, generator=generator, defaults=defaults, system=config.system)


def build_container(settings: Settings, *, provider: Any = None, tags: Any = None, **overrides: Any) -> Container:
    """A container configured from resolved settings and the caller's provider choice (an id, a
    type, or a mapping) or required tags; `overrides` replace providers (tests)."""
    container = Container()
    values = {key: settings[key] for key in settings.values if key != "provider"}
    # `provider` is an attribute of every dependency-injector provider, so the key is renamed here.
    values["provider_settings"] = settings["provider"]
    values["selection_provider"] = provider
    values["selection_tags"] = list(tags or ())
    container.config.from_dict(values)
    container.settings.override(providers.Object(settings))
    for name, value in overrides.items():
        getattr(container, name).override(providers.Object(value))
    return container
