"""Load defaults that depend on the machine: physical cores and GPU offload support (read once)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from chi_llm.adapters.system_probe import gpu_offload_supported, physical_core_count


@functools.cache
def physical_cores() -> int:
    """Physical CPU cores (llama.cpp runs best with one thread per core), else the logical count."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    return physical_core_count(cpuinfo, os.cpu_count() or 1)


@functools.cache
def default_gpu_layers() -> int:
    """-1 (offload every layer) when this llama.cpp build supports GPU offload, else 0."""
    return -1 if gpu_offload_supported() else 0
