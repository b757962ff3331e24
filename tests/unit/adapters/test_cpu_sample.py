"""Sampling the CPU use of other processes from /proc files (here, files a test writes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chi_llm.adapters import cpu_sample
from chi_llm.adapters.cpu_sample import busy_ticks, runnable, sample

STAT = "cpu  {user} 0 {system} {idle} 7 0 3 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1 2\n"


def test_busy_ticks_leave_out_idle_and_iowait() -> None:
    assert busy_ticks(STAT.format(user=100, system=50, idle=1000)) == 100 + 50 + 3
    assert busy_ticks("intr 1 2\n") is None
    assert busy_ticks("cpu  x y z\n") is None


def test_runnable_tasks_and_load_come_from_loadavg() -> None:
    assert runnable("0.55 0.81 0.88 3/125 20324\n") == (3, 0.55)
    assert runnable("garbage") == (None, None)


def test_others_are_the_busy_time_less_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hz = os.sysconf("SC_CLK_TCK")
    (tmp_path / "stat").write_text(STAT.format(user=0, system=0, idle=0))
    (tmp_path / "loadavg").write_text("1.50 1.00 0.50 2/99 1\n")
    own = iter([10.0, 10.25])  # this process used 0.25 s of CPU during the sample
    clock = iter([100.0, 101.0])  # one second of wall time
    monkeypatch.setattr(cpu_sample, "own_seconds", lambda: next(own))

    def one_second(_: float) -> None:  # meanwhile the machine worked 1.25 core-seconds
        (tmp_path / "stat").write_text(STAT.format(user=hz, system=hz // 4, idle=0))

    load = sample(tmp_path, 1.0, sleep=one_second, clock=lambda: next(clock))
    assert load is not None and load.others == pytest.approx(1.0, abs=0.02)
    assert (load.runnable, load.load_1m, load.contended) == (2, 1.5, True)


def test_without_proc_the_load_average_stands_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.1, 0.0))
    load = sample(tmp_path / "missing", 0.5)
    assert load is not None and load.others == 0.2 and not load.contended
