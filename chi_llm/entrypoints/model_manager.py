"""ModelManager: the library API for the model catalog and local models (the CLI uses it too)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from chi_llm.domain.errors import InvalidRequest, ModelNotFound
from chi_llm.domain.hardware import GIB
from chi_llm.domain.models import FetchProgress, LocalSource, ModelSpec
from chi_llm.entrypoints.container import build_container, config_service

Scope = Literal["project", "global"]


class ModelManager:
    """List, inspect, download, remove and choose models.

    Args:
        config_path: an extra configuration file, as for MicroLLM.
        progress: called with FetchProgress events during downloads (default: a progress line
            on stderr when it is a terminal).
    """

    def __init__(
        self, config_path: str | Path | None = None, progress: Callable[[FetchProgress], None] | None = None
    ) -> None:
        self._config_path = Path(config_path) if config_path else None
        self.settings = config_service().resolve(None, self._config_path)
        overrides: dict[str, Any] = {"progress": progress} if progress else {}
        self._container = build_container(self.settings, **overrides)
        self._models = self._container.models()

    # -- reading -----------------------------------------------------------------------------
    @property
    def current_id(self) -> str:
        return str(self.settings["model"])

    def _row(self, spec: ModelSpec, downloaded: bool, fit: Any) -> dict[str, Any]:
        path = Path(spec.source.path) if isinstance(spec.source, LocalSource) else self._models.files.path_for(spec)
        return {
            "id": spec.id,
            "name": spec.name,
            "family": spec.family,
            "parameters": spec.parameters,
            "quantization": spec.quantization,
            "source": str(spec.source),
            "filename": spec.filename,
            "size_bytes": spec.size_bytes,
            "approx_size_bytes": spec.approx_size_bytes,
            "sha256": spec.sha256,
            "context_length": spec.context_length,
            "default_context": spec.default_context,
            "context_window": spec.context_length,
            "ram_needed_bytes": fit.needed,
            "recommended_ram_gb": round(fit.needed / GIB, 2) if fit.needed else None,
            "fits": fit.fits,
            "license": spec.license,
            "tags": list(spec.tags),
            "description": spec.description,
            "downloaded": downloaded,
            "current": spec.id == self.current_id,
            "path": str(path),
        }

    def list_models(
        self, *, downloaded: bool = False, tag: str | None = None, fits: bool = False
    ) -> list[dict[str, Any]]:
        advisor = self._container.advisor()
        return [
            self._row(r.spec, r.downloaded, r.fit)
            for r in advisor.rows(self.current_id, downloaded_only=downloaded, tag=tag, fits_only=fits)
        ]

    def info(self, model_id: str) -> dict[str, Any]:
        rows = [r for r in self.list_models() if r["id"] == model_id]
        if not rows:
            self._models.catalog.get(model_id)  # raises ModelNotFound naming the known ids
        return rows[0]

    def installed(self) -> list[dict[str, Any]]:
        """Models found in other tools (read-only): id, path, size_bytes, origin."""
        return [
            {"id": m.id, "path": m.path, "size_bytes": m.size_bytes, "origin": m.origin, "owned": m.owned}
            for m in self._models.installed_elsewhere()
        ]

    def current(self) -> dict[str, Any]:
        setting = self.settings.values["model"]
        model = self.current_id
        info: dict[str, Any] = {"id": model, "config_source": setting.source}
        if self._models.is_known(model):
            info.update({k: v for k, v in self.info(model).items() if k not in ("id", "current")})
        else:
            info.update({"downloaded": Path(model).expanduser().is_file() if "/" in model else None})
        return info

    def recommend(self, tag: str | None = None) -> dict[str, Any]:
        choice = self._container.advisor().recommend(tag)
        hardware = choice.hardware
        return {
            **self._row(choice.spec, self._models.is_downloaded(choice.spec), choice.fit),
            "reason": choice.reason,
            "alternatives": [s.id for s in choice.alternatives],
            "hardware": {
                "total_ram_bytes": hardware.total_ram,
                "available_ram_bytes": hardware.available_ram,
                "physical_cores": hardware.physical_cores,
                "logical_cores": hardware.logical_cores,
                "cpu_features": list(hardware.cpu_features),
                "gpu_offload": hardware.gpu_offload,
                "gpus": [
                    {"kind": g.kind, "name": g.name, "vram_total_bytes": g.vram_total, "vram_free_bytes": g.vram_free}
                    for g in hardware.gpus
                ],
            },
        }

    def disk(self) -> dict[str, Any]:
        files = self._models.files
        owned = files.owned_files()
        partial = files.partial_bytes()
        by_file = {s.filename: s.id for s in self._models.catalog.all()}
        return {
            "models_dir": str(files.models_dir),
            "free_bytes": files.free_bytes(),
            "used_bytes": sum(m.size_bytes for m in owned) + partial,
            "partial_bytes": partial,
            "files": [{"id": by_file.get(m.id, m.id), "path": m.path, "size_bytes": m.size_bytes} for m in owned],
        }

    # -- changing ----------------------------------------------------------------------------
    def download(self, model_id: str) -> Path:
        spec = self._models.catalog.get(model_id)
        return self._models.ensure(spec)

    def remove(self, model_id: str) -> int:
        return int(self._models.remove(model_id))

    def set_default(self, model_id: str, scope: Scope = "project") -> Path:
        if not (self._models.is_known(model_id) or Path(model_id).expanduser().is_file()):
            self._models.catalog.get(model_id)
        return config_service().set_value("model", model_id, scope)

    def add(self, path: str | Path, model_id: str | None = None, scope: Scope = "global") -> dict[str, Any]:
        """Register a local .gguf file under an id (in the global config by default); it is used in place."""
        file = Path(path).expanduser().resolve()
        if not file.is_file() or file.suffix != ".gguf":
            raise ModelNotFound(f"no .gguf file at {file}", backend="local")
        facts = self._container.inspector().inspect(file)  # refuses a non-GGUF file up front
        new_id = model_id or file.stem.lower()
        if self._models.is_known(new_id) and not isinstance(self._models.catalog.get(new_id).source, LocalSource):
            raise InvalidRequest(f"{new_id!r} is a catalog model; pass --id to choose another id")
        entry = {"id": new_id, "path": str(file), "name": facts.name or file.stem, "size_bytes": file.stat().st_size}
        if facts.context_length:
            entry["context_length"] = facts.context_length
            entry["default_context"] = min(facts.context_length, 4096)
        if facts.kv_bytes_per_token:
            entry["kv_bytes_per_token"] = facts.kv_bytes_per_token

        def upsert(values: dict[str, Any]) -> None:
            values["models"] = [e for e in values.get("models") or [] if e.get("id") != new_id] + [entry]

        written = config_service().update(upsert, scope)
        return {**entry, "config_path": str(written)}

    @staticmethod
    def validate(path: str | Path | None = None) -> dict[str, Any]:
        from chi_llm.adapters.catalog import packaged_catalog_text, validate_catalog

        if path is None:
            where = "packaged models.yaml"
            text = packaged_catalog_text()
        else:
            where = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                return {
                    "ok": False,
                    "path": where,
                    "errors": [f"cannot read: {exc.strerror}"],
                    "warnings": [],
                    "models": 0,
                }
        errors, warnings, count = validate_catalog(text, where=where)
        return {"ok": not errors, "path": where, "errors": errors, "warnings": warnings, "models": count}
