"""The bridge's methods: each a thin view over the application services the CLI renders too.
A fresh container per call, so a configuration written by one call is read by the next."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from chi_llm._version import __version__
from chi_llm.entrypoints.bridge.calls import Call
from chi_llm.entrypoints.bridge.generate import generate_start
from chi_llm.entrypoints.bridge.protocol import INVALID_PARAMS, PROTOCOL_VERSION, ProtocolError

if TYPE_CHECKING:
    from chi_llm.application.models.library import ModelLibrary
    from chi_llm.entrypoints.container import Container

Handler = Callable[[Call], Any]
SECRET_WORDS = ("secret", "api_key", "token", "password", "credential")


def _container(**kwargs: Any) -> Container:
    from chi_llm.entrypoints.wiring import wire

    return wire(**kwargs)


def redacted(value: Any) -> Any:
    """A configuration mapping with every secret shown only as set (true) or not (false)."""
    if isinstance(value, Mapping):
        return {
            k: (bool(v) if any(w in str(k).lower() for w in SECRET_WORDS) else redacted(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


def _secret(key: object) -> bool:
    return any(word in str(key).lower() for word in SECRET_WORDS)


# -- configuration -------------------------------------------------------------------------------
def config_explain(call: Call) -> Any:
    return _container(check_model=False).settings().public(explain=True)


def config_read(call: Call) -> Any:
    from chi_llm.entrypoints.wiring import configuration

    return redacted(configuration().stored(call.scope()))


def config_write(call: Call) -> Any:
    from chi_llm.entrypoints.wiring import configuration

    values = call.mapping("values", required=True)

    def merge(existing: dict[str, Any]) -> None:
        existing.update(values)

    secret = redacted(values) != values  # a secret in the change: the file becomes owner-only
    path = configuration().update(merge, call.scope(), private=secret)
    return {"path": str(path)}


# -- providers ------------------------------------------------------------------------------------
def _providers() -> Any:
    return _container(check_model=False).provider_service()


def _provider_param(call: Call) -> Any:
    value = call.params.get("provider")
    if not isinstance(value, (str, dict)):
        raise ProtocolError(INVALID_PARAMS, "params.provider must be a profile id, a type or a profile", call.id)
    return value


def providers_schema(call: Call) -> Any:
    return _providers().schema()


def providers_list(call: Call) -> Any:
    return _providers().list_profiles()


def providers_current(call: Call) -> Any:
    return _providers().current()


def providers_test(call: Call) -> Any:
    return _providers().test_connection(_provider_param(call), e2e=call.flag("e2e"))


def providers_discover(call: Call) -> Any:
    return _providers().served_models(_provider_param(call))


def providers_find_url(call: Call) -> Any:
    port = call.params.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        raise ProtocolError(INVALID_PARAMS, "params.port must be a number", call.id)
    return _providers().find_url(call.required_text("type"), host=call.text("host"), port=port)


def providers_add(call: Call) -> Any:
    path = _providers().add(call.mapping("profile", required=True), call.scope(), make_default=call.flag("default"))
    return {"path": str(path)}


def providers_update(call: Call) -> Any:
    changes = call.mapping("settings")
    path = _providers().update(call.required_text("id"), changes, make_default=call.flag("default"), scope=call.scope())
    return {"path": str(path)}


def providers_remove(call: Call) -> Any:
    return {"path": str(_providers().remove(call.required_text("id"), call.scope()))}


# -- models ---------------------------------------------------------------------------------------
def _library(progress: Any = None) -> ModelLibrary:
    container = _container()
    if progress is not None:
        container.progress.override(progress)
    return container.library()


def models_list(call: Call) -> Any:
    return _library().list_models(downloaded=call.flag("downloaded"), tag=call.text("tag"), fits=call.flag("fits"))


def models_info(call: Call) -> Any:
    return _library().info(call.required_text("id"))


def models_installed(call: Call) -> Any:
    """GGUF files on this machine outside the catalog's own: other tools' and registered paths."""
    return _library().installed()


def models_current(call: Call) -> Any:
    return _library().current()


def models_recommend(call: Call) -> Any:
    return _library().recommend(call.text("tag"))


def models_disk(call: Call) -> Any:
    return _library().disk()


def models_set(call: Call) -> Any:
    return {"path": str(_library().set_default(call.required_text("id"), call.scope()))}


def models_remove(call: Call) -> Any:
    return {"freed_bytes": _library().remove(call.required_text("id"))}


def models_download(call: Call) -> Any:
    """Progress as `models/download/progress` notifications {id, model, phase, done, total}.
    `$/cancelRequest` stops it at the next block; the partial file is kept, so the next
    download of the model resumes where this one stopped."""
    from chi_llm.domain.errors import Cancelled

    def progress(event: Any) -> None:
        if call.cancelled.is_set():
            raise Cancelled("download cancelled; download it again to resume", backend="bridge")
        call.notify(
            "models/download/progress",
            {"model": event.model_id, "phase": event.phase, "done": event.done, "total": event.total},
        )

    done = _library(progress).fetch(call.required_text("model"))
    return {"path": str(done.path), "model": done.id, "chosen": done.chosen}


# -- tools ----------------------------------------------------------------------------------------
def tools_list(call: Call) -> Any:
    """The tools chats may offer the model (`generate/start` params.tools), and each tool source
    that could not be loaded, with what to fix."""
    return call.tools.listing()


# -- diagnostics and bootstrap -------------------------------------------------------------------
def diagnostics_run(call: Call) -> Any:
    from chi_llm.entrypoints.wiring import diagnose

    return diagnose()


def _bootstrap(call: Call, *, dry_run: bool) -> Any:
    from chi_llm.entrypoints.project import bootstrap_project

    return bootstrap_project(
        call.text("path", ".") or ".",
        provider=call.text("provider", "local") or "local",
        model=call.text("model"),
        yaml=call.flag("yaml"),
        extras=call.text("extras", "standard") or "standard",
        force=call.flag("force"),
        dry_run=dry_run,
        base_url=call.text("base_url"),
        expect=call.text("expect"),
    )


def bootstrap_preview(call: Call) -> Any:
    return _bootstrap(call, dry_run=True)


def bootstrap_write(call: Call) -> Any:
    return _bootstrap(call, dry_run=False)


METHODS: dict[str, Handler] = {
    "config/explain": config_explain,
    "config/read": config_read,
    "config/write": config_write,
    "providers/schema": providers_schema,
    "providers/list": providers_list,
    "providers/current": providers_current,
    "providers/test": providers_test,
    "providers/discover": providers_discover,
    "providers/find_url": providers_find_url,
    "providers/add": providers_add,
    "providers/update": providers_update,
    "providers/remove": providers_remove,
    "models/list": models_list,
    "models/info": models_info,
    "models/current": models_current,
    "models/installed": models_installed,
    "models/recommend": models_recommend,
    "models/set": models_set,
    "models/download": models_download,
    "models/remove": models_remove,
    "models/disk": models_disk,
    "diagnostics/run": diagnostics_run,
    "bootstrap/preview": bootstrap_preview,
    "bootstrap/write": bootstrap_write,
    "generate/start": generate_start,
    "tools/list": tools_list,
}


INLINE = ("initialize", "shutdown", "$/cancelRequest", "generate/approve")  # answered by the bridge itself
TOOL_NOTIFICATIONS = ("generate/tool_call", "generate/tool_approval", "generate/tool_result")


def initialize(call: Call) -> Any:
    return {
        "protocol_version": PROTOCOL_VERSION,
        "chi_llm_version": __version__,
        "capabilities": {
            "methods": sorted([*METHODS, *INLINE]),
            "notifications": ["models/download/progress", "generate/delta", *TOOL_NOTIFICATIONS],
        },
    }
