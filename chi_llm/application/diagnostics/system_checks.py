"""The machine and the llama.cpp build: Python, platform, CPU, memory, GPUs, GPU offload."""

from __future__ import annotations

import platform
import sys

from chi_llm.domain.cpu_load import CpuLoad
from chi_llm.domain.diagnostics import Check, EngineReport, Status
from chi_llm.domain.hardware import GIB, Hardware

LOW_MEMORY = 2 * GIB
REINSTALL = {
    "nvidia": 'CMAKE_ARGS="-DGGML_CUDA=on" pip install --force-reinstall --no-cache-dir llama-cpp-python',
    "rocm": 'CMAKE_ARGS="-DGGML_HIP=on" pip install --force-reinstall --no-cache-dir llama-cpp-python',
    "metal": 'CMAKE_ARGS="-DGGML_METAL=on" pip install --force-reinstall --no-cache-dir llama-cpp-python',
}


def _check(name: str, title: str, value: object, status: Status = "ok", fix: str | None = None) -> Check:
    area, _, _ = name.partition(".")
    return Check(id=name, area=area, title=title, status=status, value=value, fix=fix)


def runtime_checks(version: str) -> list[Check]:
    too_old = sys.version_info < (3, 10)
    return [
        _check(
            "system.python",
            "Python",
            {"version": platform.python_version(), "implementation": platform.python_implementation()},
            "fail" if too_old else "ok",
            "chi-llm needs Python 3.10 or newer" if too_old else None,
        ),
        _check(
            "system.platform",
            "Platform",
            {"system": platform.system(), "release": platform.release(), "machine": platform.machine()},
        ),
        _check("system.chi_llm", "chi-llm", {"version": version}),
    ]


def hardware_checks(hardware: Hardware) -> list[Check]:
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    slow_cpu = x86 and bool(hardware.cpu_features) and "avx2" not in hardware.cpu_features
    low = hardware.total_ram > 0 and hardware.available_ram < LOW_MEMORY
    gpus = [
        {"kind": g.kind, "name": g.name, "vram_total": g.vram_total, "vram_free": g.vram_free} for g in hardware.gpus
    ]
    return [
        _check(
            "system.cpu",
            "CPU",
            {
                "physical_cores": hardware.physical_cores,
                "logical_cores": hardware.logical_cores,
                "features": list(hardware.cpu_features),
            },
            "warn" if slow_cpu else "ok",
            "this CPU lacks AVX2, so local models run several times slower; prefer the smallest models "
            "(chi-llm models recommend) or a provider on another machine"
            if slow_cpu
            else None,
        ),
        _check(
            "system.memory",
            "Memory",
            {"total_bytes": hardware.total_ram, "available_bytes": hardware.available_ram},
            "warn" if low else "ok",
            f"only {hardware.available_ram / GIB:.1f} GiB free: close other programs or pick a smaller model "
            "(chi-llm models recommend)"
            if low
            else None,
        ),
        _check("system.gpu", "GPUs", gpus),
    ]


def engine_check(engine: EngineReport, hardware: Hardware | None, gpu_layers: int | None) -> Check:
    value = {
        "installed": engine.installed,
        "version": engine.version,
        "gpu_offload": engine.gpu_offload,
        "system_info": engine.system_info,
    }
    if not engine.installed:
        value["error"] = engine.error
        fix = f"llama-cpp-python cannot be loaded ({engine.error}): pip install --force-reinstall llama-cpp-python"
        return _check("llama_cpp.build", "llama.cpp build", value, "fail", fix)
    gpus = hardware.gpus if hardware else ()
    if gpus and not engine.gpu_offload:
        kind = gpus[0].kind
        how = REINSTALL.get(kind, "see llama-cpp-python's installation guide")
        fix = f"this llama.cpp build cannot use the {kind} GPU found; reinstall it with GPU support: {how}"
        return _check("llama_cpp.build", "llama.cpp build", value, "warn", fix)
    if gpu_layers and not engine.gpu_offload:
        fix = "gpu_layers is set but this build runs on the CPU only: unset it (chi-llm config unset gpu_layers)"
        return _check("llama_cpp.build", "llama.cpp build", value, "warn", fix)
    return _check("llama_cpp.build", "llama.cpp build", value)


def cpu_load_check(load: CpuLoad | None, threads: int | None) -> Check:
    """Whether other processes keep the CPU busy (local decoding slows down beside them)."""
    if load is None:
        return _check("system.cpu_load", "CPU load", None, "skip", "this system does not report CPU use")
    value = {
        "cores": load.cores,
        "other_processes_cores": load.others,
        "runnable": load.runnable,
        "load_1m": load.load_1m,
        "sample_s": load.sample_s,
        "contended": load.contended,
    }
    if not load.contended:
        return _check("system.cpu_load", "CPU load", value)
    if threads is not None:
        adapt = (
            f"`threads` is set to {threads}, so decoding cannot move to fewer threads meanwhile: "
            "unset it (chi-llm config unset threads) to let chi-llm adapt"
        )
    else:
        adapt = "chi-llm decodes on fewer threads meanwhile, which limits the loss"
    fix = (
        f"other processes keep {load.others:.1f} of {load.cores} cores busy, so local models answer slower; "
        f"{adapt}. Pause or close the busy programs, or use a provider on another machine"
    )
    return _check("system.cpu_load", "CPU load", value, "warn", fix)
