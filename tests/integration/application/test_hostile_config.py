"""Hostile or broken configuration is one ConfigError (exit 2), never a traceback or a hang."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chi_llm.domain.errors import ConfigError
from chi_llm.domain.settings import check_value
from tests.support.bounded import run_bounded, run_python_bounded
from tests.support.cli import run


def alias_bomb(levels: int = 9) -> str:
    """'Billion laughs': each level holds nine references to the one before."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join([*lines, f"models: *l{levels}", ""])


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        (".chi_llm.json", "[" * 100000 + "]" * 100000, "nested too deeply"),
        (".chi_llm.yaml", "a: " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        (".chi_llm.yaml", alias_bomb(), "aliases"),
    ],
    ids=["deep-json", "deep-yaml", "alias-bomb"],
)
def test_hostile_files_fail_fast_and_clearly(isolated: Path, name: str, content: str, fragment: str) -> None:
    (isolated / name).write_text(content)
    started = time.monotonic()
    result = run("config", "show")
    assert result.exit_code == 2 and fragment in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 10


def test_a_config_file_that_is_not_utf8_is_named(isolated: Path) -> None:
    (isolated / ".chi_llm.json").write_bytes(b'{"system": "caf\\xe9"}'.replace(b"\\xe9", b"\xe9"))
    result = run("config", "show")
    assert result.exit_code == 2 and "not UTF-8" in result.stderr


@pytest.mark.parametrize("value", ["relative/models", "/tmp/with\nnewline"])
def test_a_garbled_or_relative_cache_dir_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CHI_LLM_HOME", value)
    result = run("config", "show")
    assert result.exit_code == 2 and "cache_dir" in result.stderr


def test_a_cache_dir_that_is_a_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("CHI_LLM_HOME", str(blocker))
    result = run("models", "disk")
    assert result.exit_code == 2 and "is a file, not a folder" in result.stderr


def test_a_home_of_an_unknown_user_is_refused() -> None:
    with pytest.raises(ConfigError, match="user this machine does not have"):
        check_value("cache_dir", "~nobody-here-at-all/models", source="env CHI_LLM_HOME", schemas={})


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


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (".chi_llm.json", '{"context": 1' + "0" * 5000 + "}"),
        (".chi_llm.yaml", "context: 1" + "0" * 5000 + "\n"),
        (".chi_llm.json", '{"seed": 1' + "0" * 100 + "}"),
        (".chi_llm.json", '{"models": [{"id": "a", "path": "/a.gguf", "description": ' + "[" * 40 + "]" * 40 + "}]}"),
        (".chi_llm.yaml", "system: " + "x" * 300_000 + "\n"),
    ],
    ids=["json-5000-digits", "yaml-5000-digits", "json-huge-seed", "json-40-deep", "yaml-long-system"],
)
def test_values_python_or_the_limits_refuse_are_one_config_error(isolated: Path, name: str, content: str) -> None:
    (isolated / name).write_text(content)
    result = run("config", "show")
    assert result.exit_code == 2 and str(isolated / name) in result.stderr
    assert "set_int_max_str_digits" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("[" * 60_000 + "]" * 60_000, "nested too deeply"),
        ("{" + '"a":{' * 60_000 + "}" * 60_001, "nested too deeply"),
        ('{"context": 1' + "0" * 5000 + "}", "digits"),
        ('{"system": "' + "x" * 300_000 + '"}', "characters"),
        ('{"x": "' + "y" * (2 << 20) + '"}', "MiB"),
    ],
    ids=["deep-list", "deep-object", "5000-digits", "long-system", "over-1-mib"],
)
def test_hostile_inline_config_env_is_one_config_error(
    monkeypatch: pytest.MonkeyPatch, value: str, fragment: str
) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", value)
    result = run("config", "show")
    assert result.exit_code == 2 and "CHI_LLM_CONFIG" in result.stderr and fragment in result.stderr, result.stderr[
        :2000
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("models", "[" * 900 + "]" * 900),
        ("provider.x", "[" * 900 + "]" * 900),
        ("provider", '{"type": "fake", "a": ' + "[" * 3000 + "]" * 3000 + "}"),
        ("rag", '{"chunk_size": 1' + "0" * 5000 + "}"),
    ],
    ids=["deep-list", "deep-provider-field", "deeper-than-json", "5000-digits-inside"],
)
def test_config_set_with_hostile_json_is_refused_and_writes_nothing(isolated: Path, key: str, value: str) -> None:
    result = run("config", "set", key, value)
    assert result.exit_code == 2 and "Traceback" not in result.stderr, result.stderr[:2000]
    assert not (isolated / ".chi_llm.json").exists()


@pytest.mark.parametrize(
    "content",
    [
        "name: x\nprompt: p\nvariables: {a: 5}\n",
        "name: x\nprompt: p\nvariables: {a: [1]}\n",
        "name: x\nprompt: p\naliases: 5\n",
    ],
    ids=["variable-not-a-mapping", "variable-a-list", "aliases-not-a-list"],
)
def test_a_malformed_template_file_is_named(isolated: Path, tmp_path: Path, content: str) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "x.yaml").write_text(content)
    (isolated / ".chi_llm.json").write_text(json.dumps({"templates_dir": str(folder)}))
    result = run("template", "--list")
    assert result.exit_code == 2 and "x.yaml" in result.stderr, result.stderr[:2000]


def test_a_catalog_number_too_large_for_arithmetic_is_refused(isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text("models: [{id: a, path: /a.gguf, size_bytes: 1" + "0" * 400 + "}]\n")
    result = run("models", "list")
    assert result.exit_code == 2 and "size_bytes" in result.stderr, result.stderr[:2000]


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


def test_a_conversation_too_large_to_read_back_is_not_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chi_llm.adapters import session_files
    from chi_llm.domain.errors import InvalidRequest

    monkeypatch.setattr(session_files, "MAX_SESSION_BYTES", 1000)
    history = [{"role": "user", "content": "x" * 2000}]
    with pytest.raises(InvalidRequest, match="more than"):
        session_files.write_session(tmp_path / "chat.json", {"history": history}, None)
    assert not (tmp_path / "chat.json").exists()
