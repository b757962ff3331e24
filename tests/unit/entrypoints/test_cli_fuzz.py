"""Whatever arguments the CLI gets: a documented exit code, never a traceback or a hang, and a
command that fails never changes a configuration file (issue 8's acceptance fuzz).

Generation runs on the fake provider; nothing here reaches the network (pip and the hub point at
a closed loopback port), and commands that scan for servers or fetch models are left out."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chi_llm.entrypoints.cli.app import cli
from tests.support.cli import closed_port, run

EXIT_CODES = {0, 1, 2, 3, 4, 5, 6, 7}
COMMANDS = [
    ["generate"],
    ["ask"],
    ["complete"],
    ["chat"],
    ["config", "show"],
    ["config", "set"],
    ["config", "unset"],
    ["config", "migrate"],
    ["models", "list"],
    ["models", "info"],
    ["models", "current"],
    ["models", "disk"],
    ["models", "validate"],
    ["models", "remove"],
    ["models", "set"],
    ["providers", "list"],
    ["providers", "schema"],
    ["providers", "current"],
    ["providers", "remove"],
    ["providers", "add"],
    ["providers", "set"],
]
VALUES = [
    "0", "1", "-1", "16", "300", "1e309", "nan", "inf", "0.5", "2.5", "", " ", "fake", "openai", "ollama",
    "smollm2-135m", "gemma-270m", "phi3-mini", "nope", "max_tokens", "temperature", "provider", "provider.type",
    "provider.api_key", "context", "threads", "model", "default_model", "{}", "[]", '{"type": "fake"}',
    '{"type": "openai", "api_key": "sk-123456"}', "/dev/null", "/nonexistent/file", "/proc/self/status", "-", ".",
    "type=fake", "api_key=sk-x", "a,b", "\x00", "\udcff", "\u202e", "x" * 300,
    "1" + "0" * 5000, "[" * 3000 + "]" * 3000, '{"type": "fake", "x": ' + "[" * 900 + "]" * 900 + "}",
    "gguf_paths", "default_provider", "templates_dir", "ghost", "models", "rag", "system",
]  # fmt: skip
# (the last lines, issue 22: numbers Python cannot read, JSON deeper than the parser, keys with rules)
value = st.sampled_from(VALUES) | st.text(max_size=8)


def option_tokens(option: click.Option) -> st.SearchStrategy[list[str]]:
    name = option.opts[0]
    return st.just([name]) if option.is_flag else value.map(lambda v: [name, v])


def command_argv(path: list[str]) -> st.SearchStrategy[list[str]]:
    """Arguments for one command built from its real click options and arguments, plus now and
    then an option or value it does not take."""
    command: click.Command | None = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), name)
    assert command is not None
    options = [p for p in command.params if isinstance(p, click.Option) and "--help" not in p.opts]
    positional = sum(1 for p in command.params if isinstance(p, click.Argument))
    one_option = st.sampled_from(options).flatmap(option_tokens)
    stray = st.sampled_from([(), (), (), ("--bogus",)]) | value.map(lambda v: (v,))  # now and then
    return st.tuples(
        st.lists(value, min_size=positional, max_size=positional),
        st.lists(one_option, max_size=3) if options else st.just([]),
        stray,
    ).map(lambda t: [*path, *t[0], *(token for pair in t[1] for token in pair), *t[2]])


argv = st.sampled_from(COMMANDS).flatmap(command_argv)


def snapshot(folder: Path) -> dict[str, str]:
    """Every configuration file under `folder` by content digest."""
    names = (".chi_llm.json", ".chi_llm.yaml", ".chi_llm.yml", "config.yaml")
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.name in names and p.is_file()
    }


@pytest.fixture
def offline(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    port = closed_port()
    monkeypatch.setenv("CHI_LLM_PROVIDER_TYPE", "fake")
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "1")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return isolated.parent


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=argv)
def test_any_arguments_get_a_documented_exit_and_leave_files_alone_on_failure(offline: Path, args: list[str]) -> None:
    before = snapshot(offline)
    result = run(*args)  # an exception other than SystemExit fails the test (a traceback)
    assert result.exit_code in EXIT_CODES, (args, result.exit_code, result.output)
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert snapshot(offline) == before, args
