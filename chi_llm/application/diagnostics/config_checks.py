"""Configuration (files read, effective values and their sources, problems) and each configured
provider (reachable, latency, models served, the configured model among them, API key present)."""

from __future__ import annotations

from chi_llm.application.config import ConfigService
from chi_llm.application.config_values import migrated
from chi_llm.application.provider_service import ProviderService
from chi_llm.domain.diagnostics import Check
from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.providers import ProviderProfile
from chi_llm.domain.settings import Settings

IN_PROCESS = ("local", "fake")


def config_checks(config: ConfigService, settings: Settings | None, error: ChiLlmError | None) -> list[Check]:
    if error is not None or settings is None:
        value = {"error": str(error)}
        fix = f"{error}; fix the file it names (chi-llm config set / unset KEY, or edit it)"
        return [Check(id="config.files", area="config", title="Configuration", status="fail", value=value, fix=fix)]
    layers = config.layers()
    sources = [source for source, _ in layers if source != "default"]
    notices = [n for source, layer in layers if source != "default" for n in migrated(layer, source)[1]]
    files = Check(
        id="config.files",
        area="config",
        title="Configuration files and variables read",
        status="warn" if notices else "ok",
        value={"sources": sources, "notices": notices},
        fix="keys in chi_llm 2.x form are read, but rewrite them: chi-llm config migrate [--global]"
        if notices
        else None,
    )
    values = Check(
        id="config.values",
        area="config",
        title="Effective settings",
        status="ok",
        value=settings.public(explain=True),
    )
    return [files, values]


def provider_check(service: ProviderService, profile: ProviderProfile, timeout: float) -> Check:
    view = service.view(profile)
    check_id, title = f"providers.{profile.id}", f"Provider {profile.id} ({profile.type})"
    value: dict[str, object] = {
        "type": profile.type,
        "default": view.default,
        "base_url": profile.settings.get("base_url"),
        "api_key_set": view.key_set,
    }
    if profile.type in IN_PROCESS:
        value["in_process"] = True
        return Check(id=check_id, area="providers", title=title, status="ok", value=value)
    if view.key_set is False:
        names = service.schemas[profile.type].key_variables
        variable = next((v for v in names if not v.startswith("CHI_LLM_")), "its key variable")
        fix = f"no API key: set {variable}, or chi-llm providers set {profile.id} --api-key-stdin"
        return Check(id=check_id, area="providers", title=title, status="fail", value=value, fix=fix)
    report = service.test_connection(profile, within=timeout)
    configured = profile.settings.get("model")
    value.update(
        reachable=report.status not in ("unreachable",),
        status=report.status,
        latency_ms=report.latency_ms,
        models=list(report.models),
        model=configured,
        model_served=None if not configured or not report.ok else configured in report.models,
    )
    if not report.ok:
        return Check(id=check_id, area="providers", title=title, status="fail", value=value, fix=report.message)
    if value["model_served"] is False:
        fix = f"the server does not list {configured!r}; what it serves: chi-llm providers discover-models {profile.id}"
        return Check(id=check_id, area="providers", title=title, status="warn", value=value, fix=fix)
    return Check(id=check_id, area="providers", title=title, status="ok", value=value)
