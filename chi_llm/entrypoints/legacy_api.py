"""chi_llm 2.x's module-level API (`from chi_llm import ...`): each name still works; those with a
today's spelling give a DeprecationWarning naming it (`old_spelling`)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chi_llm.domain.errors import ChiLlmError, InvalidRequest
from chi_llm.domain.legacy import legacy_model
from chi_llm.domain.models.spec import HfSource, ModelSpec
from chi_llm.entrypoints.wiring import configuration

_PACKAGE = str(Path(__file__).resolve().parents[1])


def _caller_level() -> int:
    """The `stacklevel`, for a `warnings.warn` in the function calling this one, of the first
    frame outside chi_llm (import machinery is not counted, as `warnings` does not count it)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        name = frame.f_code.co_filename
        if "importlib" in name and "_bootstrap" in name:
            frame = frame.f_back  # type: ignore[assignment]
            continue
        if not name.startswith(_PACKAGE):
            return level
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def notice(text: str) -> None:
    """A DeprecationWarning for chi_llm 2.x code, pointing at the caller's line."""
    warnings.warn(text, DeprecationWarning, stacklevel=_caller_level())


def old_spelling(what: str, instead: str) -> None:
    """`notice`: `what` is how 2.x wrote it, `instead` what to write today."""
    notice(f"{what} is chi_llm 2.x's spelling; {instead} instead")


# -- configuration (SDK) ------------------------------------------------------------------------
def load_config(config_path: str | Path | None = None) -> dict[str, Any]:
    """The effective configuration as a plain mapping (API keys only as set / not set)."""
    return configuration().resolve(None, Path(config_path) if config_path else None).public()


_SOURCES = (("project file", "project"), ("global file", "global"), ("env", "env"), ("config_path", "local"))


def resolve_model(config_path: str | Path | None = None) -> dict[str, Any]:
    """{model_id, model_path, context_window, source}: the configured model, as 2.x reported it."""
    old_spelling("resolve_model()", "use ModelManager().get_current_model() or load_config()['model']")
    manager = _manager(config_path)
    settings = manager.settings
    source = next((short for prefix, short in _SOURCES if settings.source("model").startswith(prefix)), "default")
    try:
        info = manager.get_current_model()
    except ChiLlmError:  # a path or a server's model name: no catalog entry to report
        return {
            "model_id": None,
            "model_path": settings["model"],
            "context_window": settings["context"],
            "source": source,
        }
    return {"model_id": info.id, "model_path": info.path, "context_window": info.context_window, "source": source}


def get_provider_settings(config_path: str | Path | None = None) -> dict[str, Any]:
    """The configured provider as 2.x shaped it: type, host, port, timeout, model, api_key (only
    whether one is set), beside today's fields."""
    old_spelling("get_provider_settings()", "use load_config()['provider']")
    config = load_config(config_path)
    provider = dict(config["provider"])
    url = urlsplit(str(provider.get("base_url") or ""))
    return {
        **provider,
        "host": url.hostname,
        "port": url.port,
        "timeout": provider.get("read_timeout"),
        "model": provider.get("model") or (config["model"] if provider["type"] == "local" else None),
        "api_key": provider.get("api_key"),
    }


def list_provider_models(provider: str | None = None) -> list[dict[str, Any]]:
    """[{id, name, size}] that `provider` (an id or a type; default the configured one) serves."""
    old_spelling("list_provider_models()", "run `chi-llm providers discover-models PROVIDER`")
    from chi_llm.entrypoints.wiring import wire

    container = wire(check_model=False)
    chosen = provider or container.settings().profiles()[0].id
    served = container.provider_service().served_models(chosen)
    return [{"id": m.id, "name": m.id, "size": m.details.get("size")} for m in served]


# -- the model registry -------------------------------------------------------------------------
class ModelTable(dict[str, ModelSpec]):
    """Catalog models by id; a chi_llm 2.x id finds its nearest entry today."""

    def __missing__(self, key: str) -> ModelSpec:
        current = legacy_model(key, set(self))
        if current is None:
            raise KeyError(key)
        return self[current]

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or (isinstance(key, str) and legacy_model(key, set(self)) is not None)


def models_table() -> ModelTable:
    """Every catalog model (packaged, user catalog, configured `models:`) by id."""
    from chi_llm.entrypoints.wiring import wire

    return ModelTable((spec.id, spec) for spec in wire().catalog().all())


def _manager(config_path: str | Path | None = None) -> Any:
    from chi_llm.entrypoints.model_manager import ModelManager

    return ModelManager(config_path)


def list_available_models(show_all: bool = True) -> list[dict[str, Any]]:
    """[{id, name, size, context_window, downloaded}] of the catalog (`show_all=False`: those that fit)."""
    old_spelling("list_available_models()", "use ModelManager().list_models()")
    return [
        {
            "id": m.id,
            "name": m.name,
            "size": m.spec.parameters,
            "context_window": m.context_window,
            "downloaded": m.downloaded,
        }
        for m in _manager().list_models(show_all=show_all)
    ]


def get_current_model_status() -> dict[str, Any]:
    """{id, name, downloaded, path} of the configured model."""
    old_spelling("get_current_model_status()", "use ModelManager().get_current_model()")
    info = _manager().get_current_model()
    return {"id": info.id, "name": info.name, "downloaded": info.downloaded, "path": info.path}


def get_model_info() -> dict[str, Any]:
    """The configured model's facts (2.x's answer was fixed; this one is the catalog's)."""
    old_spelling("get_model_info()", "use ModelManager().get_current_model()")
    info = _manager().get_current_model()
    spec = info.spec
    return {
        "id": spec.id,
        "name": spec.name,
        "parameters": spec.parameters,
        "context_window": info.context_window,
        "file_size_mb": round((spec.size_bytes or spec.approx_size_bytes or 0) / 2**20),
        "path": info.path,
        "downloaded": info.downloaded,
    }


_BY_SIZE = {"tiny": "gemma-270m", "small": "qwen3-1.7b", "medium": "gemma2-2b", "large": "phi3-mini"}


def get_model_by_size(size: str) -> Any:
    """The catalog model 2.x chose for `size` (tiny, small, medium, large), as today's ModelInfo."""
    old_spelling("get_model_by_size()", "use ModelManager().recommend() or list_models(tag=...)")
    if size not in _BY_SIZE:
        raise InvalidRequest(f"size must be one of {', '.join(_BY_SIZE)}, got {size!r}")
    manager = _manager()
    return manager.info(legacy_model(_BY_SIZE[size], {m.id for m in manager.list_models()}) or _BY_SIZE[size])


def format_model_info(model: Any, is_downloaded: bool = False, is_current: bool = False) -> str:
    """A text card for a model (a ModelInfo or ModelSpec), as 2.x's `models info` printed it."""
    spec = getattr(model, "spec", model)
    marks = [word for word, on in (("current", is_current), ("downloaded", is_downloaded)) if on]
    lines = [f"{spec.name} ({spec.id})" + (f" [{', '.join(marks)}]" if marks else "")]
    size = spec.size_bytes or spec.approx_size_bytes
    lines.append(f"  Size: {spec.parameters or '?'} parameters, {round(size / 2**20) if size else '?'} MB file")
    lines.append(f"  Context: {spec.context_window or '?'} tokens")
    if spec.description:
        lines.append(f"  {spec.description}")
    if spec.tags:
        lines.append(f"  Tags: {', '.join(spec.tags)}")
    return "\n".join(lines)


_CONSTANTS = ("MODEL_REPO", "MODEL_FILE", "MODEL_DIR")


def constant(name: str) -> str:
    """MODEL_REPO, MODEL_FILE, MODEL_DIR: where today's default model comes from, its file name,
    and the folder models are kept in."""
    old_spelling(name, "use ModelManager().get_current_model().path")
    from chi_llm.entrypoints.wiring import wire

    container = wire(check_model=False)
    catalog = container.catalog()
    spec: ModelSpec = catalog.get(catalog.default_id)
    if name == "MODEL_FILE":
        return spec.filename
    if name == "MODEL_REPO":
        source = spec.source  # the hub repository, or the package the model comes in
        return source.repo if isinstance(source, HfSource) else str(getattr(source, "requirement", catalog.default_id))
    return str(Path(_manager().get_current_model().path).parent)


# -- prompt helpers -------------------------------------------------------------------------------
_CODE_TASKS = {
    "explain": "explain_code",
    "review": "code_review",
    "optimize": "optimize_code",
    "document": "document_code",
    "test": "write_tests",
    "refactor": "refactor_code",
}
_DATA_TASKS = {
    "extract": "Extract the key information from the following data",
    "summarize": "Summarize the following data",
    "classify": "Classify the following data and say why",
}


def code_prompt(code: str, task: str = "explain") -> str:
    """The prompt for `task` on `code`: explain, review, optimize, document, test, refactor, or any other."""
    old_spelling("code_prompt()", "use PromptTemplates.<name>(code) (PromptTemplates.names() lists them)")
    from chi_llm.entrypoints.templates import PromptTemplates

    if task in _CODE_TASKS:
        return PromptTemplates.render(_CODE_TASKS[task], code)
    return f"{task}:\n\n{code}"


def data_prompt(data: str, task: str = "extract") -> str:
    """The prompt for `task` on `data`: extract, summarize, classify, or any other."""
    old_spelling("data_prompt()", "use MicroLLM().extract / summarize / classify")
    if task in _DATA_TASKS:
        return f"{_DATA_TASKS[task]}:\n\n{data}"
    return f"{task}:\n\n{data}"


# 2.x names `from chi_llm import` finds here (the legacy analyzer's live in legacy_analyzer)
EXPORTS = (
    "code_prompt",
    "data_prompt",
    "get_model_info",
    "resolve_model",
    "get_provider_settings",
    "list_provider_models",
    "list_available_models",
    "get_current_model_status",
)


def export(name: str) -> Any:
    """The object `from chi_llm import name` gives for a 2.x-only name."""
    if name in _CONSTANTS:
        return constant(name)
    if name in EXPORTS:
        return globals()[name]
    if name in ("truncate_text", "format_chat_history", "clean_response"):
        from chi_llm.entrypoints import legacy_text

        return getattr(legacy_text, name)
    if name == "ModelInfo":
        from chi_llm.domain.models.views import ModelInfo

        return ModelInfo
    from chi_llm.entrypoints import legacy_analyzer

    return getattr(legacy_analyzer, name)
