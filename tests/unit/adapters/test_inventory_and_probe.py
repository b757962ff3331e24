"""Discovery of other tools' models on trees built here, and the system probe's parsing (in-process;
the offload probe's child processes are in tests/integration/adapters/test_inventory_and_probe.py)."""

from __future__ import annotations

import json
from pathlib import Path

from chi_llm.adapters.models.inventory import ToolInventory
from chi_llm.adapters.system_probe import LocalSystemProbe, nvidia_gpus, rocm_gpus
from tests.support.tools import GGUF, build_tools, touch


def test_discovers_hf_cache_lmstudio_ollama_and_folders(tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_tools(home)
    extra = touch(tmp_path / "mine" / "deep" / "own.gguf")
    found = {m.id: m for m in ToolInventory({}, [str(tmp_path / "mine")], home=home).scan()}
    assert set(found) == {
        "hf-cache:bartowski/Tiny-GGUF/Tiny-Q4_K_M.gguf",
        "lmstudio:lmstudio-community/Small-GGUF/Small-Q8_0.gguf",
        "ollama:llama3.2:1b",
        f"gguf:{extra}",
    }
    ollama = found["ollama:llama3.2:1b"]
    assert ollama.size_bytes == len(GGUF) * 3 and ollama.origin == "ollama" and not ollama.owned
    assert Path(found["hf-cache:bartowski/Tiny-GGUF/Tiny-Q4_K_M.gguf"].path).read_bytes() == GGUF


def test_env_overrides_tool_locations(tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_tools(home)
    moved = tmp_path / "elsewhere"
    (home / ".ollama" / "models").rename(moved)
    env = {"OLLAMA_MODELS": str(moved), "HF_HUB_CACHE": str(tmp_path / "nothing")}
    ids = {m.id for m in ToolInventory(env, home=home).scan()}
    assert "ollama:llama3.2:1b" in ids and not any(i.startswith("hf-cache:") for i in ids)


def test_lmstudio_custom_downloads_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    custom = tmp_path / "lm"
    touch(custom / "pub" / "Repo-GGUF" / "model.gguf")
    (home / ".lmstudio").mkdir(parents=True)
    (home / ".lmstudio" / "settings.json").write_text(json.dumps({"downloadsFolder": str(custom)}))
    assert [m.id for m in ToolInventory({}, home=home).scan()] == ["lmstudio:pub/Repo-GGUF/model.gguf"]


def test_nothing_installed_is_an_empty_list(tmp_path: Path) -> None:
    assert ToolInventory({}, home=tmp_path / "empty").scan() == []


def test_gpu_tool_output_parsing() -> None:
    gpus = nvidia_gpus("NVIDIA H100 80GB HBM3, 81559, 80000\nbad line\n")
    assert len(gpus) == 1 and gpus[0].vram_total == 81559 * 1024**2 and gpus[0].kind == "nvidia"
    rocm = rocm_gpus("device,VRAM Total Memory (B),VRAM Total Used Memory (B)\ncard0,17163091968,1000\n")
    assert rocm[0].vram_free == 17163091968 - 1000


def test_probe_reads_proc_and_tools(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "meminfo").write_text("MemTotal:       16000000 kB\nMemFree:  1000 kB\nMemAvailable:   8000000 kB\n")
    cpus = "".join(f"processor: {i}\nphysical id: 0\ncore id: {i // 2}\nflags: fpu avx avx2 fma\n\n" for i in range(8))
    (proc / "cpuinfo").write_text(cpus)

    def run(command: list[str]) -> str | None:
        return "NVIDIA RTX 4090, 24564, 20000\n" if command[0] == "nvidia-smi" else None

    hardware = LocalSystemProbe(run=run, proc=proc).hardware()
    assert (hardware.total_ram, hardware.available_ram) == (16000000 * 1024, 8000000 * 1024)
    assert hardware.physical_cores == min(4, hardware.logical_cores)
    assert hardware.cpu_features == ("avx", "avx2", "fma")
    assert [g.name for g in hardware.gpus] == ["NVIDIA RTX 4090"]


def test_probe_on_this_machine_reads_real_values() -> None:
    hardware = LocalSystemProbe().hardware()
    assert hardware.total_ram > 0 and 0 < hardware.available_ram <= hardware.total_ram
    assert 1 <= hardware.physical_cores <= hardware.logical_cores
