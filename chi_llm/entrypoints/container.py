"""The dependency-injector container: the only place that knows every concrete class.

Adapters are singletons, use-case services factories. Settings are resolved once, by
`wire` (the composition root, entrypoints/wiring.py), and handed in; a profile's `type` picks its adapter through
the provider registry. Nothing outside entrypoints builds a container or imports an adapter.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from chi_llm.entrypoints.lean_imports import dependency_injector

containers, providers = dependency_injector()

from chi_llm._version import __version__  # noqa: E402
from chi_llm.adapters.disk import cache_home  # noqa: E402
from chi_llm.adapters.models.catalog import YamlModelCatalog  # noqa: E402
from chi_llm.adapters.models.files import LocalModelFiles  # noqa: E402
from chi_llm.adapters.progress import TerminalProgress  # noqa: E402
from chi_llm.adapters.providers.provider_type import BuildContext  # noqa: E402
from chi_llm.adapters.providers.registry import PROVIDER_TYPES, schemas  # noqa: E402
from chi_llm.application.config import ConfigService  # noqa: E402
from chi_llm.application.generation import GenerationService  # noqa: E402
from chi_llm.application.models.store import ModelStore  # noqa: E402
from chi_llm.application.provider_router import ProviderRouter, candidates  # noqa: E402
from chi_llm.domain.generation import GenerationOptions  # noqa: E402
from chi_llm.domain.models.spec import Sampling  # noqa: E402
from chi_llm.domain.ports import TextGenerator  # noqa: E402
from chi_llm.domain.providers import ProviderProfile, model_for  # noqa: E402
from chi_llm.domain.settings import Settings, check_on_disk  # noqa: E402


def cache_dir(settings_value: str | None, env: Mapping[str, str]) -> Path:
    """The cache folder: the `cache_dir` setting (CHI_LLM_HOME), else XDG cache / ~/.cache/chi_llm."""
    folder = Path(os.path.expanduser(settings_value)) if settings_value else cache_home(env)
    check_on_disk("cache_dir", str(folder))
    return folder


def config_service(env: Mapping[str, str], cwd: Path | None = None) -> ConfigService:
    """The configuration service: project and global files, the environment, the provider schemas."""
    from chi_llm.adapters.config_files import FileConfigStore

    def known(values: Mapping[str, Any]) -> list[str]:
        catalog = YamlModelCatalog(config_entries=values.get("models") or (), env=env)
        return [spec.id for spec in catalog.all()]

    return ConfigService(FileConfigStore(cwd or Path.cwd(), env), env, schemas=schemas(), known_models=known)


def project_store(folder: Path) -> Any:
    """The configuration store of a project folder (its `.chi_llm.*` files)."""
    from chi_llm.adapters.config_files import FileConfigStore

    return FileConfigStore(folder, os.environ)


def rag_settings(settings: Settings, overrides: Mapping[str, Any]) -> Any:
    """The `rag` key's values (defaults filled in) under the caller's overrides (MicroRAG's arguments)."""
    from chi_llm.domain.rag import RagSettings, check_rag

    values = check_rag({**(settings["rag"] or {}), **{k: v for k, v in overrides.items() if v is not None}})
    return RagSettings(**values)


def rag_location(rag: Any, settings: Settings, env: Mapping[str, str], project: Path | None) -> str:
    """`rag.db`, else `.chi_llm/rag` in the project (the folder of its configuration file), else
    `<cache_dir>/rag`."""
    if rag.db:
        return str(os.path.expanduser(rag.db)) if "://" not in rag.db else str(rag.db)
    if project is not None:
        return str(project.parent / ".chi_llm" / "rag")
    return str(cache_dir(settings["cache_dir"], env) / "rag")


def make_embedder(rag: Any, settings: Settings, env: Mapping[str, str], progress: Any) -> Any:
    if rag.embedding_model == "fake":  # deterministic, no model: tests and demos
        from chi_llm.adapters.fake import FakeEmbedder

        return FakeEmbedder()
    from chi_llm.adapters.fastembed_embedder import FastEmbedEmbedder

    cache = cache_dir(settings["cache_dir"], env)
    return FastEmbedEmbedder(rag.embedding_model, cache_dir=cache, threads=settings["threads"], progress=progress)


def make_vector_store(rag: Any, location: str, settings: Settings, env: Mapping[str, str]) -> Any:
    if location == "memory:":
        from chi_llm.adapters.fake_store import InMemoryStore

        return InMemoryStore(rag.name)
    from chi_llm.adapters.lancedb_store import LanceDbStore

    locks = cache_dir(settings["cache_dir"], env) / "locks"  # for a knowledge base on object storage
    return LanceDbStore(location, rag.name, rag.storage_options, lock_folder=locks)


def model_of(profile: ProviderProfile, settings: Settings) -> str | None:
    """The model `profile` generates with under these settings (see `model_for`)."""
    argument = str(settings["model"]) if settings.source("model") == "argument" else None
    catalog = PROVIDER_TYPES[profile.type].catalog_models
    configured = str(settings["model"]) if catalog or settings.is_set("model") else None
    return model_for(profile, argument=argument, configured=configured)


def builder(
    settings: Settings,
    env: Mapping[str, str],
    locate: Callable[[str], Path],
    admit: Callable[[Path, int], None],
    sampling: Callable[[str], Sampling | None],
) -> Callable[[ProviderProfile], TextGenerator]:
    """profile -> adapter, through the provider registry."""

    def build(profile: ProviderProfile) -> TextGenerator:
        context = BuildContext(
            env=env,
            model=model_of(profile, settings),
            context=settings["context"] if settings.is_set("context") else None,
            local_context=settings["context"],
            threads=settings["threads"],
            gpu_layers=settings["gpu_layers"],
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


def _advisor(models: ModelStore, probe: Any, inspector: Any, settings: Settings) -> Any:
    from chi_llm.application.models.advice import ModelAdvisor

    return ModelAdvisor(models, probe, inspector, allow_oversize=settings["allow_oversize"])


def lazy(path: str) -> Callable[..., Any]:
    """A factory for the class at `path` that imports it when first called, so a generation does
    not load the model- and provider-management code (cold start: benchmarks/bench_core.py).
    dependency-injector's own string paths are imported when the container class is defined."""
    module, _, name = path.rpartition(".")

    def build(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    build.__qualname__ = build.__name__ = name
    return build


ADAPTERS = "chi_llm.adapters."
SERVICES = "chi_llm.application."


class Container(containers.DeclarativeContainer):  # type: ignore[misc,name-defined]
    """Everything wired from one resolved `Settings` (see wiring.wire)."""

    settings = providers.Dependency(instance_of=Settings)
    config = providers.Dependency(instance_of=ConfigService)
    env = providers.Object(os.environ)
    selection = providers.Object(None)  # the caller's provider choice: id, type or mapping
    tags = providers.Object(())
    progress = providers.Object(TerminalProgress())

    catalog = providers.Singleton(
        lambda s, env: YamlModelCatalog(config_entries=s["models"] or (), env=env), settings, env
    )
    model_files = providers.Singleton(
        lambda s, env: LocalModelFiles(cache_dir(s["cache_dir"], env) / "models"), settings, env
    )
    sources = providers.Dict(
        wheel=providers.Singleton(lazy(ADAPTERS + "models.wheel_source.WheelModelSource")),
        hf=providers.Singleton(lazy(ADAPTERS + "models.hf_source.HfModelSource")),
    )
    gguf_paths = providers.Callable(lambda s: tuple(s["gguf_paths"] or ()), settings)
    inventory = providers.Singleton(lazy(ADAPTERS + "models.inventory.ToolInventory"), env, gguf_paths)
    probe = providers.Singleton(lazy(ADAPTERS + "system_probe.LocalSystemProbe"))
    hub = providers.Singleton(lazy(ADAPTERS + "models.hf_hub.HfHub"))
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
    inspector = providers.Singleton(lazy(ADAPTERS + "models.gguf.GgufInspector"))
    advisor = providers.Singleton(_advisor, model_store, probe, inspector, settings)
    finder = providers.Singleton(lazy(ADAPTERS + "providers.server_finder.LocalServerFinder"), env)

    build = providers.Singleton(
        builder, settings, env, model_store.provided.locate, advisor.provided.admit, model_store.provided.sampling
    )
    generator = providers.Singleton(router, settings, build, selection, tags)
    generation = providers.Factory(
        lambda generator, s: GenerationService(generator, defaults=_defaults(s), system=s["system"]),
        generator,
        settings,
    )
    templates = providers.Singleton(
        lazy(ADAPTERS + "template_files.YamlTemplates"), providers.Callable(lambda s: s["templates_dir"], settings)
    )
    tasks = providers.Factory(lazy(SERVICES + "tasks.TaskService"), generation=generation)
    schema_validator = providers.Singleton(lazy(ADAPTERS + "json_schema.JsonSchemaValidator"))
    structured = providers.Factory(
        lazy(SERVICES + "structured.StructuredService"), generation=generation, validator=schema_validator
    )
    library = providers.Factory(
        lazy(SERVICES + "models.library.ModelLibrary"),
        models=model_store,
        advisor=advisor,
        config=config,
        settings=settings,
    )
    engine_info = providers.Singleton(lazy(ADAPTERS + "llama_cpp.engine_info.LlamaCppEngineInfo"))
    features = providers.Singleton(lazy(ADAPTERS + "features.InstalledFeatures"))
    provider_service = providers.Factory(
        lazy(SERVICES + "provider_service.ProviderService"),
        settings=settings,
        schemas=providers.Callable(schemas),
        config=config,
        build=build,
        library=library,
        finder=finder,
        env=env,
    )
    diagnostics = providers.Factory(
        lazy(SERVICES + "diagnostics.DiagnosticsService"),
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
        lazy(SERVICES + "project_bootstrap.ProjectBootstrap"),
        config=config,
        store_for=providers.Object(project_store),
        files=providers.Singleton(lazy(ADAPTERS + "project_files.LocalProjectFiles")),
        schemas=providers.Callable(schemas),
        models=model_store,
        package=providers.Singleton(lazy(ADAPTERS + "package_origin.installed_package")),
    )
    setup = providers.Factory(
        lazy(SERVICES + "setup_service.SetupService"), library=library, providers=provider_service, config=config
    )
    rag_overrides = providers.Object({})
    rag_config = providers.Singleton(rag_settings, settings, rag_overrides)
    project_file = providers.Callable(lambda config: config.project_file(), config)
    rag_db = providers.Singleton(rag_location, rag_config, settings, env, project_file)
    embedder = providers.Singleton(make_embedder, rag_config, settings, env, progress)
    vector_store = providers.Singleton(make_vector_store, rag_config, rag_db, settings, env)
    document_loader = providers.Singleton(lazy(ADAPTERS + "document_loader.FileLoader"), env=env)
    rag_progress = providers.Object(None)
    ingestor = providers.Singleton(
        lazy(SERVICES + "rag.ingest.Ingestor"),
        embedder=embedder,
        store=vector_store,
        loader=document_loader,
        settings=rag_config,
        progress=providers.Callable(lambda p: p or (lambda _: None), rag_progress),
    )
    rag = providers.Singleton(lazy(SERVICES + "rag.service.RagService"), ingestor=ingestor, generation=generation)
