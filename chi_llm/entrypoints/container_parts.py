"""The container's parts that a generation does not use, each imported when first built.

A generation must not load the model-, provider- and project-management code (cold start:
benchmarks/bench_core.py). dependency-injector's own string paths (`Factory("pkg.mod.Class")`)
are imported when the container class is defined, so each part here is a small factory with a
local import; its return type is what `container.<part>()` gives the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chi_llm.application.cache_folder import cache_dir
from chi_llm.domain.ports import Embedder, VectorStore
from chi_llm.domain.settings import Settings

if TYPE_CHECKING:
    from chi_llm.adapters.document_loader import FileLoader
    from chi_llm.adapters.features import InstalledFeatures
    from chi_llm.adapters.json_schema import JsonSchemaValidator
    from chi_llm.adapters.llama_cpp.engine_info import LlamaCppEngineInfo
    from chi_llm.adapters.models.gguf import GgufInspector
    from chi_llm.adapters.models.hf_hub import HfHub
    from chi_llm.adapters.models.hf_source import HfModelSource
    from chi_llm.adapters.models.inventory import ToolInventory
    from chi_llm.adapters.models.wheel_source import WheelModelSource
    from chi_llm.adapters.project_files import LocalProjectFiles
    from chi_llm.adapters.providers.server_finder import LocalServerFinder
    from chi_llm.adapters.system_probe import LocalSystemProbe
    from chi_llm.adapters.template_files import YamlTemplates
    from chi_llm.application.diagnostics import DiagnosticsService
    from chi_llm.application.models.library import ModelLibrary
    from chi_llm.application.project_bootstrap import ProjectBootstrap
    from chi_llm.application.provider_service import ProviderService
    from chi_llm.application.rag.ingest import Ingestor
    from chi_llm.application.rag.service import RagService
    from chi_llm.application.setup_service import SetupService
    from chi_llm.application.structured import StructuredService
    from chi_llm.application.tasks import TaskService
    from chi_llm.domain.project import InstalledPackage
    from chi_llm.domain.rag import RagSettings


# -- adapters ----------------------------------------------------------------------------------
def wheel_source() -> WheelModelSource:
    from chi_llm.adapters.models.wheel_source import WheelModelSource

    return WheelModelSource()


def hf_source() -> HfModelSource:
    from chi_llm.adapters.models.hf_source import HfModelSource

    return HfModelSource()


def inventory(env: Mapping[str, str], gguf_paths: Sequence[str]) -> ToolInventory:
    from chi_llm.adapters.models.inventory import ToolInventory

    return ToolInventory(env, gguf_paths)


def probe() -> LocalSystemProbe:
    from chi_llm.adapters.system_probe import LocalSystemProbe

    return LocalSystemProbe()


def hub() -> HfHub:
    from chi_llm.adapters.models.hf_hub import HfHub

    return HfHub()


def inspector() -> GgufInspector:
    from chi_llm.adapters.models.gguf import GgufInspector

    return GgufInspector()


def finder(env: Mapping[str, str]) -> LocalServerFinder:
    from chi_llm.adapters.providers.server_finder import LocalServerFinder

    return LocalServerFinder(env)


def templates(folder: str | None) -> YamlTemplates:
    from chi_llm.adapters.template_files import YamlTemplates

    return YamlTemplates(folder)


def schema_validator() -> JsonSchemaValidator:
    from chi_llm.adapters.json_schema import JsonSchemaValidator

    return JsonSchemaValidator()


def engine_info() -> LlamaCppEngineInfo:
    from chi_llm.adapters.llama_cpp.engine_info import LlamaCppEngineInfo

    return LlamaCppEngineInfo()


def features() -> InstalledFeatures:
    from chi_llm.adapters.features import InstalledFeatures

    return InstalledFeatures()


def project_files() -> LocalProjectFiles:
    from chi_llm.adapters.project_files import LocalProjectFiles

    return LocalProjectFiles()


def installed_package() -> InstalledPackage:
    from chi_llm.adapters.package_origin import installed_package

    return installed_package()


def document_loader(env: Mapping[str, str]) -> FileLoader:
    from chi_llm.adapters.document_loader import FileLoader

    return FileLoader(env=env)


def embedder(rag: RagSettings, settings: Settings, env: Mapping[str, str], progress: Any) -> Embedder:
    if rag.embedding_model == "fake":  # deterministic, no model: tests and demos
        from chi_llm.adapters.fake import FakeEmbedder

        return FakeEmbedder()
    from chi_llm.adapters.fastembed_embedder import FastEmbedEmbedder

    cache = cache_dir(settings["cache_dir"], env)
    return FastEmbedEmbedder(rag.embedding_model, cache_dir=cache, threads=settings["threads"], progress=progress)


def vector_store(rag: RagSettings, location: str, settings: Settings, env: Mapping[str, str]) -> VectorStore:
    if location == "memory:":
        from chi_llm.adapters.fake_store import InMemoryStore

        return InMemoryStore(rag.name)
    from chi_llm.adapters.lancedb_store import LanceDbStore

    locks = cache_dir(settings["cache_dir"], env) / "locks"  # for a knowledge base on object storage
    return LanceDbStore(location, rag.name, rag.storage_options, lock_folder=locks)


# -- use-case services (their parts come from the container) ------------------------------------
def task_service(**parts: Any) -> TaskService:
    from chi_llm.application.tasks import TaskService

    return TaskService(**parts)


def structured_service(**parts: Any) -> StructuredService:
    from chi_llm.application.structured import StructuredService

    return StructuredService(**parts)


def model_library(**parts: Any) -> ModelLibrary:
    from chi_llm.application.models.library import ModelLibrary

    return ModelLibrary(**parts)


def provider_service(**parts: Any) -> ProviderService:
    from chi_llm.application.provider_service import ProviderService

    return ProviderService(**parts)


def diagnostics_service(**parts: Any) -> DiagnosticsService:
    from chi_llm.application.diagnostics import DiagnosticsService

    return DiagnosticsService(**parts)


def project_bootstrap(**parts: Any) -> ProjectBootstrap:
    from chi_llm.application.project_bootstrap import ProjectBootstrap

    return ProjectBootstrap(**parts)


def setup_service(**parts: Any) -> SetupService:
    from chi_llm.application.setup_service import SetupService

    return SetupService(**parts)


def ingestor(**parts: Any) -> Ingestor:
    from chi_llm.application.rag.ingest import Ingestor

    return Ingestor(**parts)


def rag_service(**parts: Any) -> RagService:
    from chi_llm.application.rag.service import RagService

    return RagService(**parts)
