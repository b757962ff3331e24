"""Hostile or broken configuration is one ConfigError (exit 2), never a traceback or a hang: special
files and huge files, read in bounded child processes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.bounded import run_bounded, run_python_bounded

# --- issue 22: special files, huge files and values, numbers Python cannot read -------------------
# Each case that could hang or eat memory runs the CLI in a child process under an address-space
# limit and a timeout (tests/support/bounded.py): a regression fails here, not on the machine.


def fifo(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return str(path)


def global_file(isolated: Path) -> Path:
    return isolated.parent / "xdg_config" / "chi_llm" / "config.yaml"


def special_case(isolated: Path, case: str) -> tuple[list[str], dict[str, str]]:
    """Every configuration-like file the program reads, as a FIFO or a device: the command that
    reads it and the environment that points at it (only this case's special file is made; an
    entry "_" only records a file made for the case, and is not passed on)."""
    blocked = isolated.parent / "blocked"
    templates = isolated.parent / "templates"
    cases: dict[str, Callable[[], tuple[list[str], dict[str, str]]]] = {
        "project-fifo": lambda: (["config", "show"], {"_": fifo(isolated / ".chi_llm.json")}),
        "project-yaml-device": lambda: (["config", "show"], {"_": link(isolated / ".chi_llm.yaml", "/dev/zero")}),
        "global-fifo": lambda: (["config", "show"], {"_": fifo(global_file(isolated))}),
        "config-env-device": lambda: (["config", "show"], {"CHI_LLM_CONFIG": "/dev/zero"}),
        "config-env-fifo": lambda: (["config", "show"], {"CHI_LLM_CONFIG": fifo(blocked / "c.json")}),
        "config-path-device": lambda: (["config", "show", "--config-path", "/dev/zero"], {}),
        "models-yaml-device": lambda: (["models", "list"], {"CHI_LLM_MODELS_YAML": "/dev/zero"}),
        "models-yaml-fifo": lambda: (["models", "list"], {"CHI_LLM_MODELS_YAML": fifo(blocked / "m.yaml")}),
        "models-validate-device": lambda: (["models", "validate", "/dev/zero"], {}),
        "template-fifo": lambda: (
            ["template", "--list"],
            {"_": fifo(templates / "x.yaml"), "CHI_LLM_CONFIG": json.dumps({"templates_dir": str(templates)})},
        ),
        "config-set-on-a-fifo": lambda: (["config", "set", "max_tokens", "9"], {"_": fifo(isolated / ".chi_llm.yml")}),
    }
    return cases[case]()


def link(path: Path, target: str) -> str:
    path.symlink_to(target)
    return str(path)


CASES = [
    "project-fifo",
    "project-yaml-device",
    "global-fifo",
    "config-env-device",
    "config-env-fifo",
    "config-path-device",
    "models-yaml-device",
    "models-yaml-fifo",
    "models-validate-device",
    "template-fifo",
    "config-set-on-a-fifo",
]


@pytest.mark.parametrize("case", CASES)
def test_special_files_are_refused_not_read(isolated: Path, case: str) -> None:
    args, env = special_case(isolated, case)
    env.pop("_", None)
    done = run_bounded(*args, env=env, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 2, done.stderr[-2000:]
    assert "not a regular file" in done.stdout + done.stderr, (done.stdout + done.stderr)[-2000:]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (".chi_llm.json", '{"system": "' + "x" * (40 << 20) + '"}'),
        (".chi_llm.yaml", "system: " + "x" * (40 << 20) + "\n"),
    ],
    ids=["json", "yaml"],
)
def test_a_40_mib_config_file_is_refused_before_it_is_parsed(isolated: Path, name: str, content: str) -> None:
    (isolated / name).write_text(content)
    started = time.monotonic()
    done = run_bounded("config", "show", memory=1 << 30, timeout=60)
    assert done.returncode == 2 and "larger than the 1.0 MiB" in done.stderr, done.stderr[-2000:]
    assert time.monotonic() - started < 30


def test_a_huge_sparse_global_file_is_refused_by_its_size(isolated: Path) -> None:
    path = global_file(isolated)
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        handle.truncate(8 << 30)  # 8 GiB of nothing: reading it would take the memory limit
    done = run_bounded("config", "show", memory=1 << 30, timeout=60)
    assert done.returncode == 2 and str(path) in done.stderr and "MiB" in done.stderr, done.stderr[-2000:]


def test_an_alias_bomb_within_the_alias_limit_is_refused(isolated: Path) -> None:
    refs = ", ".join
    lines = ["l0: &l0 [lol, lol, lol, lol]"]
    lines += [f"l{n}: &l{n} [{refs([f'*l{n - 1}'] * 4)}]" for n in range(1, 16)]  # 60 aliases, 16 deep
    lines.append("models: [{id: bomb, path: /x.gguf, description: *l15}]")  # 4**16 strings if expanded
    (isolated / ".chi_llm.yaml").write_text("\n".join(lines) + "\n")
    done = run_bounded("models", "list", "--json", memory=1 << 30, timeout=60)
    assert done.returncode == 2 and "more than 100000 values" in done.stdout, done.stdout[-2000:]


def test_a_saved_conversation_that_is_a_device_is_refused(isolated: Path) -> None:
    code = (
        "from pathlib import Path\n"
        "from chi_llm.adapters.session_files import read_session\n"
        "from chi_llm.domain.errors import InvalidRequest\n"
        "try:\n"
        "    read_session(Path('/dev/zero'))\n"
        "except InvalidRequest as exc:\n"
        "    print(exc)\n"
    )
    done = run_python_bounded(code, memory=1 << 30, timeout=60)
    assert done.returncode == 0 and "/dev/zero" in done.stdout and "not a regular file" in done.stdout, done.stderr[
        -2000:
    ]


def test_project_bootstrap_does_not_read_a_fifo(isolated: Path) -> None:
    os.mkfifo(isolated / ".env.sample")
    done = run_bounded("bootstrap", "--dry-run", timeout=60)
    assert done.returncode == 2 and "not a regular file" in done.stderr, done.stderr[-2000:]


def test_a_saved_conversation_reads_back_and_a_special_state_file_is_skipped(tmp_path: Path) -> None:
    from chi_llm.adapters.session_files import read_session, state_path, write_session

    path = write_session(tmp_path / "chat.json", {"history": [{"role": "user", "content": "hi"}]}, b"kv-state")
    document, state = read_session(path)
    assert document["history"] == [{"role": "user", "content": "hi"}] and state == b"kv-state"
    state_path(path).unlink()
    os.mkfifo(state_path(path))
    code = (
        "import sys\nfrom pathlib import Path\nfrom chi_llm.adapters.session_files import read_session\n"
        "print(read_session(Path(sys.argv[1]))[1])\n"
    )
    done = run_python_bounded(code, str(path), timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stderr[-2000:]


def _other_tools_file(home: Path, case: str) -> None:
    """Another tool's settings in `home`, as a FIFO, a device or 8 GiB of nothing."""
    if case.startswith("lmstudio"):
        settings = home / ".lmstudio" / "settings.json"
        settings.parent.mkdir(parents=True)
        os.mkfifo(settings) if case == "lmstudio-fifo" else settings.symlink_to("/dev/zero")
        return
    target = (
        home / ".ollama" / "models" / "manifests" / "registry.ollama.ai" / "library" / "x" / "latest"
        if case.startswith("ollama")
        else home / ".cache" / "huggingface" / "hub" / "models--a--b" / "refs" / "main"
    )
    target.parent.mkdir(parents=True)
    (home / ".cache" / "huggingface" / "hub" / "models--a--b" / "snapshots").mkdir(parents=True, exist_ok=True)
    if case == "ollama-layers-not-a-list":
        target.write_text('{"layers": 5}')
        return
    with target.open("wb") as handle:
        handle.truncate(8 << 30)


@pytest.mark.parametrize(
    "case", ["lmstudio-fifo", "lmstudio-device", "ollama-manifest", "ollama-layers-not-a-list", "hf-ref"]
)
def test_other_tools_settings_that_are_special_or_huge_are_skipped(tmp_path: Path, case: str) -> None:
    home = tmp_path / "home"
    _other_tools_file(home, case)
    env = {"HOME": str(home), "HF_HOME": str(home / ".cache" / "huggingface")}
    done = run_bounded("models", "list", "--all", env=env, memory=1 << 30, timeout=60)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]


@pytest.mark.parametrize("case", ["fifo", "device", "huge"])
def test_an_api_key_file_that_is_special_or_huge_is_refused(tmp_path: Path, case: str) -> None:
    keys = tmp_path / "keys"
    if case == "fifo":
        os.mkfifo(keys)
    elif case == "device":
        keys.symlink_to("/dev/zero")
    else:
        with keys.open("wb") as handle:
            handle.truncate(8 << 30)
    done = run_bounded("serve", "--api-key-file", str(keys), "--port", "0", memory=1 << 30, timeout=60)
    assert done.returncode == 2 and str(keys) in done.stderr and "Traceback" not in done.stderr, done.stderr[-2000:]
