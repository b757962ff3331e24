"""What the machine has, and whether a model fits in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from chi_llm.domain.generation import DEFAULT_CONTEXT
from chi_llm.domain.models.spec import ModelSpec

GIB = 1024**3
RUNTIME_OVERHEAD = 300 * 1024**2  # compute buffers, tokenizer, runtime: measured ~250 MiB on small models
HEADROOM_FRACTION = 0.10  # leave this much of total memory free for everything else
CPU_GIB_PER_CORE = 0.75  # on CPU only, weights above ~0.75 GiB per physical core decode too slowly to enjoy


@dataclass(frozen=True, slots=True, kw_only=True)
class Gpu:
    kind: str  # "nvidia", "metal", "rocm"
    name: str
    vram_total: int | None = None
    vram_free: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Hardware:
    total_ram: int
    available_ram: int
    physical_cores: int
    logical_cores: int
    cpu_features: tuple[str, ...] = ()
    gpus: tuple[Gpu, ...] = ()
    gpu_offload: bool = False  # whether the installed llama.cpp build can offload to a GPU


@dataclass(frozen=True, slots=True, kw_only=True)
class Fit:
    """The memory verdict for one model at one context size."""

    needed: int | None
    available: int
    fits: bool
    context: int

    def explain(self) -> str:
        if self.needed is None:
            return "size unknown"
        verdict = "fits" if self.fits else "does not fit"
        return (
            f"needs about {self.needed / GIB:.1f} GiB at context {self.context}; "
            f"{self.available / GIB:.1f} GiB available — {verdict}"
        )


def amount(size: int) -> str:
    """Bytes for people, precise enough that two different amounts never print the same."""
    for unit, scale in (("GiB", GIB), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}" if size < 100 * scale else f"{size / scale:.0f} {unit}"
    return f"{size} bytes"


def memory_needed(weights: int | None, kv_bytes_per_token: int | None, context: int, slots: int = 1) -> int | None:
    """Weights + the KV cache of `slots` sequences of `context` cells each + runtime overhead;
    None when the weight size is unknown."""
    if weights is None:
        return None
    return weights + (kv_bytes_per_token or 0) * context * slots + RUNTIME_OVERHEAD


def slots_that_fit(weights: int, kv_bytes_per_token: int | None, context: int, usable: int, most: int) -> int:
    """The most sequences (at most `most`) whose KV caches of `context` cells fit in `usable`
    memory beside the weights: 0 when not even one does. An unknown KV size counts as none."""
    room = usable - weights - RUNTIME_OVERHEAD
    if room < 0:
        return 0
    per_slot = (kv_bytes_per_token or 0) * context
    return most if per_slot == 0 else min(most, room // per_slot)


class Admit(Protocol):
    """Checks, before a local model loads, that it fits memory with `slots` sequences of `context`
    cells each, and returns how many sequences to use. `fixed` (the user chose the count): all of
    them or InsufficientResources; otherwise the most that fit, refusing only when one does not."""

    def __call__(self, path: Path, context: int, slots: int = 1, *, fixed: bool = False) -> int: ...


def usable_memory(hardware: Hardware) -> int:
    """Memory a model may use: available RAM (or free VRAM when offloading) minus headroom."""
    pools = [hardware.available_ram]
    if hardware.gpu_offload:
        pools += [g.vram_free for g in hardware.gpus if g.vram_free]
    return max(0, max(pools) - int(hardware.total_ram * HEADROOM_FRACTION))


def fit_of(spec: ModelSpec, hardware: Hardware, context: int | None = None) -> Fit:
    ctx = context or spec.default_context or min(spec.context_length or DEFAULT_CONTEXT, DEFAULT_CONTEXT)
    needed = memory_needed(spec.planning_size, spec.kv_bytes_per_token, ctx)
    available = usable_memory(hardware)
    return Fit(needed=needed, available=available, fits=needed is not None and needed <= available, context=ctx)


def cpu_budget(hardware: Hardware) -> int | None:
    """Largest weights worth running without a GPU, or None when a GPU takes the load."""
    if hardware.gpu_offload and any(g.vram_total for g in hardware.gpus):
        return None
    return int(hardware.physical_cores * CPU_GIB_PER_CORE * GIB)
