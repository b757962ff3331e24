"""Defaults that depend on the machine: physical cores and GPU offload support."""

from __future__ import annotations

import functools
import os
from pathlib import Path


@functools.cache
def physical_cores() -> int:
    """Physical CPU cores (llama.cpp runs best with one thread per core), else logical count."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    cores: set[tuple[str, str]] = set()
    physical = core = ""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if name == "physical id":
            physical = value
        elif name == "core id":
            core = value
            cores.add((physical, core))
    logical = os.cpu_count() or 1
    return min(len(cores), logical) if cores else logical


@functools.cache
def default_gpu_layers() -> int:
    """-1 (offload every layer) when this llama.cpp build supports GPU offload, else 0."""
    import llama_cpp

    return -1 if llama_cpp.llama_supports_gpu_offload() else 0
