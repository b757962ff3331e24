"""The model store: writable, free space, each downloaded model's integrity and fit, the current model."""

from __future__ import annotations

from pathlib import Path

from chi_llm.application.models.library import ModelLibrary
from chi_llm.domain.diagnostics import Check
from chi_llm.domain.generation import DEFAULT_PARALLEL
from chi_llm.domain.hardware import GIB, slots_that_fit
from chi_llm.domain.models.spec import LocalSource
from chi_llm.domain.models.views import ModelInfo

LOW_DISK = 2 * GIB


def store_check(library: ModelLibrary) -> Check:
    files = library.models.files
    problem = files.check_writable()
    free = files.free_bytes()
    value = {"path": str(files.models_dir), "writable": problem is None, "free_bytes": free}
    if problem is not None:
        fix = f"{problem}: fix the folder's permissions, or set CHI_LLM_HOME to a folder you can write"
        return Check(id="models.dir", area="models", title="Models folder", status="fail", value=value, fix=fix)
    if free < LOW_DISK:
        fix = f"only {free / GIB:.1f} GiB free: remove models you do not use (chi-llm models remove ID)"
        return Check(id="models.dir", area="models", title="Models folder", status="warn", value=value, fix=fix)
    return Check(id="models.dir", area="models", title="Models folder", status="ok", value=value)


def listing(library: ModelLibrary) -> list[ModelInfo]:
    """The catalog with each model's fit at the configured context (what the local backend loads
    with, capped per model): made once per report, shared by the checks below."""
    return library.list_models(context=int(library.settings["context"]))


def downloaded_checks(library: ModelLibrary, listed: list[ModelInfo]) -> list[Check]:
    """Each model file in the store: size, stamp and sampled blocks (`models verify` hashes all),
    and whether it fits memory at its configured context. A damaged file is listed too."""
    rows = {info.spec.filename: info for info in listed if not isinstance(info.spec.source, LocalSource)}
    checks = []
    for stored in library.models.files.owned_files():
        info = rows.get(Path(stored.path).name)
        if info is None:
            value = {"path": stored.path, "size_bytes": stored.size_bytes, "integrity": "not in the catalog"}
            title = f"Model file {stored.id}"
            checks.append(Check(id=f"models.{stored.id}", area="models", title=title, status="ok", value=value))
            continue
        checks.append(_stored_check(library, info))
    return checks


def _stored_check(library: ModelLibrary, info: ModelInfo) -> Check:
    spec = info.spec
    problem = library.models.files.quick_check(spec)
    value = {
        "path": info.path,
        "size_bytes": spec.size_bytes,
        "sha256": spec.sha256,
        "integrity": problem or "verified",
        "fits": info.fit.fits,
        "context": info.fit.context,
        "memory_needed_bytes": info.fit.needed,
    }
    check_id, title = f"models.{spec.id}", f"Model {spec.id}"
    if problem is not None:
        fix = f"{problem}: chi-llm models verify {spec.id} hashes it; chi-llm models download {spec.id} refetches"
        return Check(id=check_id, area="models", title=title, status="fail", value=value, fix=fix)
    if not info.fit.fits:
        fix = f"{info.fit.explain()}: set a smaller context (chi-llm config set context 2048) or a smaller model"
        return Check(id=check_id, area="models", title=title, status="warn", value=value, fix=fix)
    return Check(id=check_id, area="models", title=title, status="ok", value=value)


def _slots(info: ModelInfo, most: int) -> int:
    """Requests (each a KV cache of the fit's context) that fit in memory beside the model, at most `most`."""
    weights = info.spec.planning_size
    if weights is None:
        return most
    return slots_that_fit(weights, info.spec.kv_bytes_per_token, info.fit.context, info.fit.available, most)


def current_check(library: ModelLibrary, listed: list[ModelInfo]) -> Check:
    title = "Current model"
    info = next((r for r in listed if r.spec.id == library.current_id), None)
    if info is None:  # a path or another tool's model, not a catalog entry
        current = library.current()
        value: dict[str, object] = {"id": current.id, "source": current.config_source, "downloaded": current.downloaded}
        if current.downloaded is False:
            fix = f"{current.id} does not exist: chi-llm models set ID (see chi-llm models list)"
            return Check(id="models.current", area="models", title=title, status="fail", value=value, fix=fix)
        return Check(id="models.current", area="models", title=title, status="ok", value=value)
    current_id, downloaded = info.spec.id, info.downloaded
    value = {"id": current_id, "source": library.settings.source("model"), "downloaded": downloaded}
    value.update(fits=info.fit.fits, context=info.fit.context, memory_needed_bytes=info.fit.needed)
    chosen: int | None = library.settings["parallel"]
    fitting = _slots(info, chosen or DEFAULT_PARALLEL)
    value["parallel"] = chosen or max(fitting, 1)  # requests decoded together (auto: as many as fit)
    if not info.fit.fits:
        fix = f"{info.fit.explain()}: chi-llm models recommend names one that fits"
        return Check(id="models.current", area="models", title=title, status="warn", value=value, fix=fix)
    if chosen is not None and fitting < chosen:
        fix = (
            f"`parallel` {chosen} needs a KV cache of {info.fit.context} tokens per request, {fitting} fit in memory: "
            f"chi-llm config set parallel {fitting} (or unset it to decode as many as fit)"
        )
        return Check(id="models.current", area="models", title=title, status="warn", value=value, fix=fix)
    if not downloaded:
        size = f" ({info.spec.size_bytes / 1024**2:,.0f} MiB)" if info.spec.size_bytes else ""
        fix = f"it downloads on first use{size}; to fetch it now: chi-llm models download {current_id}"
        return Check(id="models.current", area="models", title=title, status="warn", value=value, fix=fix)
    return Check(id="models.current", area="models", title=title, status="ok", value=value)
