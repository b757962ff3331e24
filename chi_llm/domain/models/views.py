"""Typed results of the model use cases (list, info, current, recommend, disk, add, validate)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chi_llm.domain.hardware import GIB, Fit, Hardware
from chi_llm.domain.models.spec import ModelSpec
from chi_llm.domain.results import JsonResult


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInfo(JsonResult):
    """One catalog model as `models list/info` show it, with what this machine says of it."""

    spec: ModelSpec
    downloaded: bool
    current: bool
    fit: Fit
    path: str

    # chi_llm 2.x's ModelInfo attributes
    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def filename(self) -> str:
        return self.spec.filename

    @property
    def context_window(self) -> int | None:
        return self.spec.context_length

    @property
    def tags(self) -> list[str]:
        return list(self.spec.tags)

    @property
    def recommended_ram_gb(self) -> float | None:
        return round(self.fit.needed / GIB, 2) if self.fit.needed else None

    def json_fields(self) -> Mapping[str, Any]:
        s, needed = self.spec, self.fit.needed
        return {
            "id": s.id,
            "name": s.name,
            "family": s.family,
            "parameters": s.parameters,
            "quantization": s.quantization,
            "source": str(s.source),
            "filename": s.filename,
            "size_bytes": s.size_bytes,
            "approx_size_bytes": s.approx_size_bytes,
            "sha256": s.sha256,
            "context_window": s.context_length,  # the trained context (the earlier chi_llm's name)
            "default_context": s.default_context or self.fit.context,  # the context the RAM estimate is for
            "ram_needed_bytes": needed,
            "recommended_ram_gb": round(needed / GIB, 2) if needed else None,
            "fits": self.fit.fits,
            "license": s.license,
            "tags": list(s.tags),
            "description": s.description,
            "sampling": None if s.sampling is None else asdict(s.sampling),
            "tools": s.tools,
            "downloaded": self.downloaded,
            "current": self.current,
            "path": self.path,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrentModel(JsonResult):
    """The model MicroLLM() uses now, the source that chose it, and its catalog facts if any."""

    id: str
    config_source: str
    downloaded: bool | None
    info: ModelInfo | None = None

    def json_fields(self) -> Mapping[str, Any]:
        base: dict[str, Any] = {"id": self.id, "config_source": self.config_source}
        if self.info is not None:
            base.update({k: v for k, v in self.info.to_json().items() if k not in ("id", "current")})
        else:
            base["downloaded"] = self.downloaded
        return base


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelChoice(JsonResult):
    """A recommendation for this machine, with the reasoning and the measured hardware."""

    info: ModelInfo
    reason: str
    alternatives: tuple[str, ...]
    hardware: Hardware

    def json_fields(self) -> Mapping[str, Any]:
        h = self.hardware
        return {
            **self.info.to_json(),
            "reason": self.reason,
            "alternatives": list(self.alternatives),
            "hardware": {
                "total_ram_bytes": h.total_ram,
                "available_ram_bytes": h.available_ram,
                "physical_cores": h.physical_cores,
                "logical_cores": h.logical_cores,
                "cpu_features": list(h.cpu_features),
                "gpu_offload": h.gpu_offload,
                "gpus": [
                    {"kind": g.kind, "name": g.name, "vram_total_bytes": g.vram_total, "vram_free_bytes": g.vram_free}
                    for g in h.gpus
                ],
            },
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Download(JsonResult):
    """A model made present: its id (for a hub repository, the file chosen), where it is, and why
    that file was chosen (None when it was named)."""

    id: str
    path: Path
    chosen: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFile(JsonResult):
    id: str
    path: str
    size_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DiskReport(JsonResult):
    """What the model store holds and the space left."""

    models_dir: str
    free_bytes: int
    used_bytes: int
    partial_bytes: int
    files: tuple[StoredFile, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration(JsonResult):
    """A local .gguf file registered under an id, and the configuration file that now lists it."""

    id: str
    path: str
    name: str
    size_bytes: int
    context_length: int | None
    default_context: int | None
    kv_bytes_per_token: int | None
    architecture: str | None
    chat_template: bool  # False: chat uses a family fallback template (ChatML, Gemma), which may not fit
    config_path: str

    def entry(self) -> dict[str, Any]:
        """The `models:` entry written to the configuration file."""
        fields = {k: v for k, v in self.to_json().items() if k not in ("config_path", "architecture", "chat_template")}
        return {k: v for k, v in fields.items() if v is not None}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelCheck(JsonResult):
    """A full integrity check of one downloaded model."""

    id: str
    ok: bool
    problem: str | None
    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogCheck(JsonResult):
    """Every problem found in a catalog file."""

    ok: bool
    path: str
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    models: int
