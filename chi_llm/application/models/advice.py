"""Hardware-aware advice: what is downloaded, what fits, what to use, and refusing what won't fit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chi_llm.application.models.store import ModelStore
from chi_llm.domain.errors import InsufficientResources
from chi_llm.domain.hardware import (
    GIB,
    RUNTIME_OVERHEAD,
    Fit,
    Hardware,
    cpu_budget,
    fit_of,
    memory_needed,
    slots_that_fit,
    usable_memory,
)
from chi_llm.domain.models.spec import LocalSource, ModelSpec
from chi_llm.domain.ports import ModelInspector, SystemProbe

SUGGESTED_CONTEXT = 512  # a refusal names a context that would fit when it is at least this


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRow:
    spec: ModelSpec
    downloaded: bool
    current: bool
    fit: Fit


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommendation:
    spec: ModelSpec
    fit: Fit
    hardware: Hardware
    reason: str
    alternatives: tuple[ModelSpec, ...]


class ModelAdvisor:
    def __init__(
        self, models: ModelStore, probe: SystemProbe, inspector: ModelInspector, *, allow_oversize: bool = False
    ) -> None:
        self.models = models
        self.probe = probe
        self.inspector = inspector
        self.allow_oversize = allow_oversize

    def rows(
        self,
        current: str,
        *,
        downloaded_only: bool = False,
        tag: str | None = None,
        fits_only: bool = False,
        context: int | None = None,
    ) -> list[ModelRow]:
        """Every catalog model with its memory fit: at `context` (capped by the model's trained
        context) when given, else at the catalog entry's default context."""
        hardware = self.probe.hardware()
        rows = []
        for spec in self.models.specs():
            row = ModelRow(
                spec=spec,
                downloaded=self.models.is_downloaded(spec),
                current=spec.id == current,
                fit=fit_of(spec, hardware, min(context, spec.context_length or context) if context else None),
            )
            if (
                (downloaded_only and not row.downloaded)
                or (tag and tag not in spec.tags)
                or (fits_only and not row.fit.fits)
            ):
                continue
            rows.append(row)
        return rows

    def cpu_budget(self, hardware: Hardware) -> int | None:
        """Largest weights worth running without a GPU, or None when a GPU takes the load."""
        return cpu_budget(hardware)

    def recommend(self, tag: str | None = None) -> Recommendation:
        hardware = self.probe.hardware()
        wanted = tag or "general"
        pool = [s for s in self.models.catalog.all() if wanted in s.tags and not isinstance(s.source, LocalSource)]
        if not pool:
            raise InsufficientResources(f"no catalog model is tagged {wanted!r}", backend="catalog")
        budget = self.cpu_budget(hardware)
        fitting = [s for s in pool if fit_of(s, hardware).fits]
        quick = [s for s in fitting if budget is None or (s.planning_size or 0) <= budget]
        ranked = sorted(
            quick or fitting or pool,
            key=lambda s: (s.parameter_count, -(s.planning_size or 0)),
            reverse=bool(quick or fitting),
        )
        choice = ranked[0]
        fit = fit_of(choice, hardware)
        if quick:
            why = f"the largest {wanted!r} model that fits and runs at a usable speed"
        elif fitting:
            why = f"the largest {wanted!r} model that fits; expect slow decoding on {hardware.physical_cores} CPU cores"
        else:
            why = f"the smallest {wanted!r} model; nothing in the catalog fits the memory available"
        gpu = ", ".join(g.name for g in hardware.gpus) or "no GPU"
        offload = "GPU offload available" if hardware.gpu_offload else "this llama.cpp build runs on the CPU"
        reason = (
            f"{choice.name}: {why}. It {fit.explain()}. Machine: {hardware.total_ram / GIB:.1f} GiB RAM "
            f"({hardware.available_ram / GIB:.1f} GiB available), {hardware.physical_cores} physical cores, "
            f"{gpu}; {offload}."
        )
        if budget is not None:
            reason += f" CPU-only speed budget: about {budget / GIB:.1f} GiB of weights."
        return Recommendation(spec=choice, fit=fit, hardware=hardware, reason=reason, alternatives=tuple(ranked[1:4]))

    def admit(self, path: Path, context: int, slots: int = 1, *, fixed: bool = False) -> int:
        """The sequences to load a model with, each with a KV cache of `context` cells: `slots`
        when they fit in memory (or allow_oversize). Otherwise, when the count is `fixed` (the
        user set `parallel`), InsufficientResources naming what would fit; when it is not, the
        most that fit, refusing only when not even one does (see domain.hardware.Admit)."""
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        weights = None if self.allow_oversize else self.models.files.size_of(path)
        if weights is None:  # allowed anyway, or a size unknown: nothing to judge by
            return slots
        kv = self.inspector.inspect(path).kv_bytes_per_token
        usable = usable_memory(self.probe.hardware())
        fitting = slots_that_fit(weights, kv, context, usable, slots)
        if fitting == slots or (fitting >= 1 and not fixed):
            return fitting
        shown = slots if fixed else 1
        needed = memory_needed(weights, kv, context, shown) or 0
        what = f"{path.name} needs about {needed / GIB:.1f} GiB at context {context}"
        if shown > 1:
            what += f" with parallel {shown} (a KV cache of {context} tokens per request)"
        room = usable - weights - RUNTIME_OVERHEAD
        if fitting >= 1:
            smaller = f"set `parallel` to {fitting} (or unset it: chi-llm then decodes as many requests as fit)"
        else:
            smaller = "choose a smaller model (`chi-llm models recommend`)"
        shorter = room // (kv * shown) if kv and room > 0 else 0
        context_fix = f"lower `context` to {shorter}" if shorter >= SUGGESTED_CONTEXT else "lower `context`"
        raise InsufficientResources(
            f"{what} but only {usable / GIB:.1f} GiB is usable; {smaller}, {context_fix}, "
            "or set allow_oversize: true to load it anyway",
            backend="memory",
        )
