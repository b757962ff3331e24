"""The system probe's offload question, asked of llama.cpp in a child process and kept for later
processes (discovery and parsing are in tests/unit/adapters/test_inventory_and_probe.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_probe_asks_llama_cpp_about_offload_only_when_there_is_a_gpu(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "meminfo").write_text("MemTotal: 16000000 kB\nMemAvailable: 8000000 kB\n")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from chi_llm.adapters.system_probe import LocalSystemProbe\n"
        f"hardware = LocalSystemProbe(run=lambda command: None, proc=Path({str(proc)!r})).hardware()\n"
        "print(hardware.gpu_offload, 'llama_cpp' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]  # no GPU: llama.cpp (~110 ms to import) is not loaded


def test_the_offload_answer_is_kept_for_later_processes(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from chi_llm.adapters.system_probe import gpu_offload_supported\n"
        "print(gpu_offload_supported(), 'llama_cpp' in sys.modules)\n"
    )
    env = {**os.environ, "CHI_LLM_HOME": str(tmp_path / "home")}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    answer = first.stdout.split()[0]
    assert first.stdout.split() == [answer, "True"]  # asked llama.cpp once
    assert second.stdout.split() == [answer, "False"]  # then remembered
