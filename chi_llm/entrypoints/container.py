"""The dependency-injector container: the only place that knows every concrete class.

Adapters are singletons, use-case services factories. Settings are resolved once, by
`wire` (the composition root, entrypoints/wiring.py), and handed in; a profile's `type` picks its adapter through
the provider registry. Nothing outside entrypoints builds a container or imports an adapter.
Parts a generation does not use are built by container_parts, which imports each when first built;
every provider is typed, so `container.<part>()` is typed for the caller.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chi_llm.entrypoints.lean_imports import dependency_injector

if TYPE_CHECKING:  # the real modules, so that each provider, and what it provides, is typed
    from dependency_injector import containers
    from dependency_injector import providers as providers  # re-exported for wiring

    from chi_llm.adapters.config_files import FileConfigStore
    from chi_llm.application.models.advice import ModelAdvisor
    from chi_llm.domain.rag import RagSettings
else:
    containers, providers = dependency_injector()

from chi_llm._version import __version__
from chi_llm.adapters.models.catalog import YamlModelCatalog
from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.adapters.progress import TerminalProgress
from chi_llm.adapters.providers.provider_type import BuildContext
from chi_llm.adapters.providers.registry import PROVIDER_TYPES, schemas
from chi_llm.application.cache_folder import cache_dir
from chi_llm.application.config import ConfigService
from chi_llm.application.generation import GenerationService
from chi_llm.application.models.store import ModelStore
from chi_llm.application.profile_model import model_of
from chi_llm.application.provider_router import ProviderRouter, candidates
from chi_llm.domain.generation import GenerationOptions
from chi_llm.domain.hardware import Admit
from chi_llm.domain.models.ports import ProgressCallback
from chi_llm.domain.models.spec import Sampling
from chi_llm.domain.ports import TextGenerator
from chi_llm.domain.providers import ProviderProfile
from chi_llm.domain.settings import Settings
from chi_llm.entrypoints import container_parts as part


def profile_model(profile: ProviderProfile, settings: Settings) -> str | None:
    """The model `profile` generates with: `model_of`, told by the registry whether the profile's
    type runs the local catalog's models."""
    return model_of(profile, settings, catalog_models=PROVIDER_TYPES[profile.type].catalog_models)


def config_service(env: Mapping[str, str], cwd: Path | None = None) -> ConfigService:
    """The configuration service: project and global files, the environment, the provider schemas."""
    from chi_llm.adapters.config_files import FileConfigStore

    def known(values: Mapping[str, Any]) -> list[str]:
        catalog = YamlModelCatalog(config_entries=values.get("models") or (), env=env)
        return [spec.id for spec in catalog.all()]

    return ConfigService(FileConfigStore(cwd or Path.cwd(), env), env, schemas=schemas(), known_models=known)


def project_store(folder: Path) -> FileConfigStore:
    """The configuration store of a project folder (its `.chi_llm.*` files)."""
    from chi_llm.adapters.config_files import FileConfigStore

    return FileConfigStore(folder, os.environ)


def rag_settings(settings: Settings, overrides: Mapping[str, Any]) -> RagSettings:
    """The `rag` key's values (defaults filled in) under the caller's overrides (MicroRAG's arguments)."""
    from chi_llm.domain.rag import RagSettings, check_rag

    values = check_rag({**(settings["rag"] or {}), **{k: v for k, v in overrides.items() if v is not None}})
    return RagSettings(**values)


def rag_location(rag: RagSettings, settings: Settings, env: Mapping[str, str], project: Path | None) -> str:
    """`rag.db`, else `.chi_llm/rag` in the project (the folder of its configuration file), else
    `<cache_dir>/rag`."""
    if rag.db:
        return str(os.path.expanduser(rag.db)) if "://" not in rag.db else str(rag.db)
    if project is not None:
        return str(project.parent / ".chi_llm" / "rag")
    return str(cache_dir(settings["cache_dir"], env) / "rag")


def builder(
    settings: Settings,
    env: Mapping[str, str],
    locate: Callable[[str], Path],
    admit: Admit,
    sampling: Callable[[str], Sampling | None],
) -> Callable[[ProviderProfile], TextGenerator]:
    """profile -> adapter, through the provider registry."""

    def build(profile: ProviderProfile) -> TextGenerator:
        context = BuildContext(
            env=env,
            model=profile_model(profile, settings),
            context=settings["context"] if settings.is_set("context") else None,
            local_context=settings["context"],
            threads=settings["threads"],
            parallel=settings["parallel"],
            gpu_layers=settings["gpu_layers"],
            tool_grammar=settings["tool_grammar"],
            locate=locate,
            admit=admit,
            sampling=sampling,
        )
        return PROVIDER_TYPES[profile.type].build(profile, context)

    return build


def router(
    settings: Settings,
    build: Callable[[ProviderProfile], TextGenerator],
    provider: str | Mapping[str, Any] | None,
    tags: Sequence[str],
) -> ProviderRouter:
    order = candidates(
        settings.profiles(), schemas(), provider=provider, tags=tags, default_id=settings["default_provider"]
    )
    return ProviderRouter(order, build)


def _defaults(settings: Settings) -> GenerationOptions:
    return GenerationOptions(
        temperature=settings["temperature"],
        top_p=settings["top_p"],
        max_tokens=settings["max_tokens"],
        seed=settings["seed"],
    )


def _advisor(models: ModelStore, probe: Any, inspector: Any, settings: Settings) -> ModelAdvisor:
    from chi_llm.application.models.advice import ModelAdvisor

    return ModelAdvisor(models, probe, inspector, allow_oversize=settings["allow_oversize"])


class Container(containers.DeclarativeContainer):
    """Everything wired from one resolved `Settings` (see wiring.wire). Tests replace a part with
    `container.<part>.override(fake)`."""

    settings = providers.Dependency(instance_of=Settings)
    config = providers.Dependency(instance_of=ConfigService)
    env: providers.Object[Mapping[str, str]] = providers.Object(os.environ)
    selection: providers.Object[str | Mapping[str, Any] | None] = providers.Object(None)  # id, type or mapping
    tags: providers.Object[Sequence[str]] = providers.Object(())
    progress: providers.Object[ProgressCallback] = providers.Object(TerminalProgress())

    catalog = providers.Singleton(
        lambda s, env: YamlModelCatalog(config_entries=s["models"] or (), env=env), settings, env
    )
    model_files = providers.Singleton(
        lambda s, env: LocalModelFiles(cache_dir(s["cache_dir"], env) / "models"), settings, env
    )
    sources = providers.Dict(wheel=providers.Singleton(part.wheel_source), hf=providers.Singleton(part.hf_source))
    gguf_paths = providers.Callable(lambda s: tuple(s["gguf_paths"] or ()), settings)
    inventory = providers.Singleton(part.inventory, env, gguf_paths)
    probe = providers.Singleton(part.probe)
    hub = providers.Singleton(part.hub)
    model_store = providers.Singleton(
        ModelStore,
        catalog=catalog,
        files=model_files,
        sources=sources,
        progress=progress,
        inventory=inventory,
        hub=hub,
        probe=probe,
    )
    inspector = providers.Singleton(part.inspector)
    advisor = providers.Singleton(_advisor, model_store, probe, inspector, settings)
    finder = providers.Singleton(part.finder, env)

    build = providers.Singleton(
        builder, settings, env, model_store.provided.locate, advisor.provided.admit, model_store.provided.sampling
    )
    generator = providers.Singleton(router, settings, build, selection, tags)
    generation = providers.Factory(
        lambda generator, s: GenerationService(generator, defaults=_defaults(s), system=s["system"]),
        generator,
        settings,
    )
    templates = providers.Singleton(part.templates, providers.Callable(lambda s: s["templates_dir"], settings))
    tasks = providers.Factory(part.task_service, generation=generation)
    schema_validator = providers.Singleton(part.schema_validator)
    structured = providers.Factory(part.structured_service, generation=generation, validator=schema_validator)
    library = providers.Factory(
        part.model_library, models=model_store, advisor=advisor, config=config, settings=settings
    )
    engine_info = providers.Singleton(part.engine_info)
    features = providers.Singleton(part.features)
    provider_service = providers.Factory(
        part.provider_service,
        settings=settings,
        schemas=providers.Callable(schemas),
        config=config,
        build=build,
        library=library,
        finder=finder,
        env=env,
    )
    diagnostics = providers.Factory(
        part.diagnostics_service,
        version=providers.Object(__version__),
        probe=probe,
        engine=engine_info,
        features=features,
        library=library,
        providers=provider_service,
        config=config,
        settings=settings,
    )
    project_bootstrap = providers.Factory(
        part.project_bootstrap,
        config=config,
        store_for=providers.Object(project_store),
        files=providers.Singleton(part.project_files),
        schemas=providers.Callable(schemas),
        models=model_store,
        package=providers.Singleton(part.installed_package),
    )
    setup = providers.Factory(part.setup_service, library=library, providers=provider_service, config=config)
    rag_overrides: providers.Object[Mapping[str, Any]] = providers.Object({})
    rag_config = providers.Singleton(rag_settings, settings, rag_overrides)
    project_file = providers.Callable(lambda config: config.project_file(), config)
    rag_db = providers.Singleton(rag_location, rag_config, settings, env, project_file)
    embedder = providers.Singleton(part.embedder, rag_config, settings, env, progress)
    vector_store = providers.Singleton(part.vector_store, rag_config, rag_db, settings, env)
    document_loader = providers.Singleton(part.document_loader, env=env)
    rag_progress: providers.Object[Callable[[Any], None] | None] = providers.Object(None)
    ingestor = providers.Singleton(
        part.ingestor,
        embedder=embedder,
        store=vector_store,
        loader=document_loader,
        settings=rag_config,
        progress=providers.Callable(lambda p: p or (lambda _: None), rag_progress),
    )
    rag = providers.Singleton(part.rag_service, ingestor=ingestor, generation=generation)
