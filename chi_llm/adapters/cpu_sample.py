"""CPU time other processes use, from /proc/stat over a short sample (Linux), else the load average."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from chi_llm.domain.cpu_load import CpuLoad


def busy_ticks(stat: str) -> int | None:
    """Clock ticks every CPU spent working since boot (the `cpu` line less idle and iowait)."""
    for line in stat.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu" and all(f.isdigit() for f in fields[1:]) and len(fields) > 5:
            values = [int(f) for f in fields[1:]]
            return sum(values[:8]) - values[3] - values[4]  # guest time is already in user
    return None


def runnable(loadavg: str) -> tuple[int | None, float | None]:
    """(tasks runnable now, 1-minute load) from /proc/loadavg: "0.55 0.81 0.88 1/125 20324"."""
    fields = loadavg.split()
    try:
        load = float(fields[0])
        running = int(fields[3].split("/")[0])
    except (IndexError, ValueError):
        return None, None
    return running, load


def own_seconds() -> float:
    """CPU time of this process and the children it has waited for (a tool it ran is not 'others')."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def sample(
    proc: Path,
    seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CpuLoad | None:
    cores = os.cpu_count() or 1
    try:
        before = busy_ticks((proc / "stat").read_text())
    except OSError:
        before = None
    if before is None:
        return _from_load_average(cores)
    started, own = clock(), own_seconds()
    sleep(seconds)
    try:
        after = busy_ticks((proc / "stat").read_text())
        running, load = runnable((proc / "loadavg").read_text())
    except OSError:
        return None
    wall = clock() - started
    if after is None or wall <= 0:
        return None
    worked = (after - before) / os.sysconf("SC_CLK_TCK")
    others = max(worked - (own_seconds() - own), 0.0) / wall
    return CpuLoad(
        cores=cores, others=round(min(others, cores), 2), sample_s=round(wall, 3), runnable=running, load_1m=load
    )


def _from_load_average(cores: int) -> CpuLoad | None:
    """Without /proc (macOS): the 1-minute load average stands for the others' use."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has none
        return None
    return CpuLoad(cores=cores, others=round(min(load, cores), 2), sample_s=0.0, load_1m=load)
