"""SystemProbe for Linux, macOS and Windows: RAM, CPU, GPUs (nvidia-smi, rocm-smi, Apple Metal)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from chi_llm.adapters.cpu_sample import sample
from chi_llm.domain.cpu_load import CpuLoad
from chi_llm.domain.hardware import Gpu, Hardware
from chi_llm.domain.ports import SystemProbe

MIB = 1024**2
SIMD_FLAGS = ("avx", "avx2", "avx512f", "avx512_vnni", "f16c", "fma", "sse4_2", "neon", "asimd", "sve", "amx_int8")


def _run(command: list[str], timeout: float = 5.0) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _meminfo(text: str) -> tuple[int, int]:
    values = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[name.strip()] = int(parts[0]) * 1024
    total = values.get("MemTotal", 0)
    return total, values.get("MemAvailable", values.get("MemFree", 0))


def nvidia_gpus(output: str | None) -> list[Gpu]:
    """Parse `nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits`."""
    gpus = []
    for line in (output or "").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            gpus.append(
                Gpu(kind="nvidia", name=parts[0], vram_total=int(parts[1]) * MIB, vram_free=int(parts[2]) * MIB)
            )
    return gpus


def rocm_gpus(output: str | None) -> list[Gpu]:
    """Parse `rocm-smi --showmeminfo vram --csv` (bytes)."""
    gpus = []
    for line in (output or "").splitlines()[1:]:
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3 and parts[1].isdigit() and parts[2].isdigit():
            total, used = int(parts[1]), int(parts[2])
            gpus.append(Gpu(kind="rocm", name=parts[0], vram_total=total, vram_free=max(total - used, 0)))
    return gpus


def physical_core_count(cpuinfo: str, logical: int, run: Callable[[list[str]], str | None] = _run) -> int:
    """Distinct (physical id, core id) pairs in /proc/cpuinfo; sysctl on macOS; else `logical`."""
    pairs = set()
    physical = ""
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "physical id":
            physical = value.strip()
        elif name.strip() == "core id":
            pairs.add((physical, value.strip()))
    if pairs:
        return min(len(pairs), logical)
    if sys.platform == "darwin":
        text = (run(["sysctl", "-n", "hw.physicalcpu"]) or "").strip()
        return int(text) if text.isdigit() else logical
    return logical


def gpu_offload_supported() -> bool:
    """Whether the installed llama.cpp build can offload layers to a GPU (CUDA, Metal, Vulkan...).

    The answer is kept per llama-cpp-python install (its library folder and that folder's mtime)
    in `<cache_dir>/probe.json`, so later processes do not import llama.cpp just to ask."""
    import importlib.util
    import json

    from chi_llm.domain.setting_rules import cache_home

    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        return False
    library = Path(spec.origin).parent / "lib"
    try:
        key = f"{library}:{library.stat().st_mtime_ns}"
    except OSError:
        key = str(library)
    cache = cache_home(os.environ) / "probe.json"
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(key), bool):
        return bool(known[key])
    import llama_cpp

    answer = bool(llama_cpp.llama_supports_gpu_offload())
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        temp = cache.with_name(f"probe.{os.getpid()}.tmp")
        temp.write_text(json.dumps({key: answer}), encoding="utf-8")
        os.replace(temp, cache)
    return answer


class LocalSystemProbe(SystemProbe):
    """Reads /proc (Linux), sysctl (macOS) or the Win32 API; GPU tools are optional."""

    def __init__(self, run: Callable[[list[str]], str | None] = _run, proc: Path = Path("/proc")) -> None:
        self._run = run
        self._proc = proc

    def hardware(self) -> Hardware:
        total, available = self._memory()
        logical = os.cpu_count() or 1
        gpus = tuple(self._gpus())
        return Hardware(
            total_ram=total,
            available_ram=available,
            physical_cores=self._physical_cores(logical),
            logical_cores=logical,
            cpu_features=self._cpu_features(),
            gpus=gpus,
            # Asking llama.cpp imports it (~110 ms): only worth it when there is a GPU to offload to.
            gpu_offload=bool(gpus) and self._offload(),
        )

    def cpu_load(self, seconds: float) -> CpuLoad | None:
        return sample(self._proc, seconds)

    def _memory(self) -> tuple[int, int]:
        meminfo = self._proc / "meminfo"
        if meminfo.is_file():
            return _meminfo(meminfo.read_text())
        if sys.platform == "darwin":
            total = int((self._run(["sysctl", "-n", "hw.memsize"]) or "0").strip() or 0)
            vm = self._run(["vm_stat"]) or ""
            page = 16384 if platform.machine() == "arm64" else 4096
            free_pages = sum(
                int(line.split(":")[1].strip(" ."))
                for line in vm.splitlines()
                if line.startswith(("Pages free", "Pages inactive", "Pages speculative"))
            )
            return total, free_pages * page or total // 2
        if sys.platform == "win32":  # pragma: no cover - Windows only

            class Status(ctypes.Structure):
                _fields_ = [
                    ("length", ctypes.c_ulong),
                    ("load", ctypes.c_ulong),
                    ("total", ctypes.c_ulonglong),
                    ("avail", ctypes.c_ulonglong),
                    ("a", ctypes.c_ulonglong),
                    ("b", ctypes.c_ulonglong),
                    ("c", ctypes.c_ulonglong),
                    ("d", ctypes.c_ulonglong),
                    ("e", ctypes.c_ulonglong),
                ]

            status = Status()
            status.length = ctypes.sizeof(Status)
            ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))  # type: ignore[attr-defined]
            return int(status.total), int(status.avail)
        return 0, 0

    def _cpuinfo(self) -> str:
        try:
            return (self._proc / "cpuinfo").read_text()
        except OSError:
            return ""

    def _physical_cores(self, logical: int) -> int:
        return physical_core_count(self._cpuinfo(), logical, self._run)

    def _cpu_features(self) -> tuple[str, ...]:
        for line in self._cpuinfo().splitlines():
            name, _, value = line.partition(":")
            if name.strip() in ("flags", "Features"):
                flags = set(value.split())
                return tuple(f for f in SIMD_FLAGS if f in flags)
        if sys.platform == "darwin" and platform.machine() == "arm64":
            return ("neon",)
        return ()

    def _gpus(self) -> list[Gpu]:
        gpus = nvidia_gpus(
            self._run(["nvidia-smi", "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"])
        )
        gpus += rocm_gpus(self._run(["rocm-smi", "--showmeminfo", "vram", "--csv"]))
        if sys.platform == "darwin" and platform.machine() == "arm64":
            gpus.append(Gpu(kind="metal", name="Apple Silicon GPU (unified memory)"))
        return gpus

    def _offload(self) -> bool:
        return gpu_offload_supported()
