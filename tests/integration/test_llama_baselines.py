"""scripts/llama_baselines.sh (llama.cpp's own llama-server and llama-batched-bench, the batching
benchmark's baselines): its help, its plan, and its cache; nothing is downloaded or built here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "llama_baselines.sh"


def run(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHI_LLM_BASELINES": str(cache), "LLAMA_CPP_VERSION": "0.3.36"}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60, env=env)


def test_help_says_what_it_builds_and_where(tmp_path: Path) -> None:
    done = run("--help", cache=tmp_path)
    assert done.returncode == 0
    assert "llama-server" in done.stdout and "llama-batched-bench" in done.stdout
    assert "CHI_LLM_BASELINES" in done.stdout and "--dry-run" in done.stdout


def test_an_unknown_option_is_refused(tmp_path: Path) -> None:
    done = run("--fast", cache=tmp_path)
    assert done.returncode == 2 and "unknown option --fast" in done.stderr


def test_dry_run_names_the_folder_of_this_version_and_variant_and_builds_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    done = run("--dry-run", cache=cache)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    variant = "no-amx" if "amx_int8" in Path("/proc/cpuinfo").read_text() else "default"
    assert lines[-1] == str(cache / f"0.3.36-{variant}")
    assert "not built yet" in lines and "-DBUILD_SHARED_LIBS=OFF" in done.stdout
    assert not cache.exists()


def test_programs_already_in_the_cache_are_not_built_again(tmp_path: Path) -> None:
    plan = run("--dry-run", cache=tmp_path).stdout.splitlines()[-1]
    folder = Path(plan)
    folder.mkdir(parents=True)
    for name in ("llama-server", "llama-batched-bench"):
        (folder / name).write_text("#!/bin/sh\n", encoding="utf-8")
        (folder / name).chmod(0o755)
    assert "already built" in run("--dry-run", cache=tmp_path).stdout
    done = run("no-such-python", cache=tmp_path)  # would fail at once if it tried to download
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(folder) and done.stderr == ""
