"""Every code block of the documentation runs in the tests or says why not (tests/support/doc_fences.py),
and every `chi-llm` command and option a command summary (```{.bash synopsis}) names exists."""

from __future__ import annotations

import shlex

import click
import pytest

from chi_llm.entrypoints.cli.app import cli
from tests.support.doc_fences import SHELLS, Fence, all_fences, parse_info

FENCES = all_fences()
SYNOPSES = [f for f in FENCES if f.lang in SHELLS and "synopsis" in f.options]


def test_info_strings_read_as_pytest_markdown_docs_and_material_read_them() -> None:
    assert parse_info("python") == ("python", frozenset(), None)
    assert parse_info('{.bash notest reason="needs a key"}') == ("bash", frozenset({"notest"}), "needs a key")
    assert parse_info("{.bash synopsis}") == ("bash", frozenset({"synopsis"}), None)


def test_the_documentation_has_runnable_blocks_of_each_kind() -> None:
    runnable = [f for f in FENCES if "notest" not in f.options and "synopsis" not in f.options]
    assert {f.lang for f in runnable} >= {"python", "bash"}
    assert SYNOPSES


@pytest.mark.parametrize("fence", [f for f in FENCES if f.lang in ("python", *SHELLS)], ids=lambda f: f.where)
def test_a_block_not_run_says_why(fence: Fence) -> None:
    if "notest" in fence.options:
        assert fence.reason, f'{fence.where}: say why it cannot run here: notest reason="..."'
    assert "synopsis" not in fence.options or fence.lang in SHELLS, fence.where


def named_commands(line: str) -> list[list[str]]:
    """The words after each `chi-llm` of a summary line, up to a pipe or redirection outside [...]."""
    words = shlex.split(line, comments=True)
    found: list[list[str]] = []
    current: list[str] | None = None
    depth = 0
    for word in words:
        if word == "chi-llm" and depth == 0:
            current = []
            found.append(current)
            continue
        if current is None:
            continue
        depth += word.count("[") - word.count("]")
        if depth <= 0 and word in ("|", "<", ">", "&&", ";"):
            current, depth = None, 0
            continue
        current.append(word)
    return found


def resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli
    ctx = click.Context(cli, info_name="chi-llm")
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith(("-", "[")):
        sub = command.get_command(ctx, rest[0])
        if sub is None:
            raise AssertionError(f"chi-llm has no command {' '.join(words[: len(words) - len(rest) + 1])!r}")
        command, ctx = sub, click.Context(sub, info_name=rest[0], parent=ctx)
        rest.pop(0)
    return command, rest


def options_named(words: list[str]) -> list[str]:
    named = []
    for word in words:
        for part in word.strip("[]").split("/"):
            part = part.strip("[]").split("=", 1)[0]
            if part.startswith("-") and part != "-" and not part[1:2].isdigit():
                named.append(part)
    return named


@pytest.mark.parametrize("fence", SYNOPSES, ids=lambda f: f.where)
def test_every_command_and_option_of_a_summary_exists(fence: Fence) -> None:
    checked = 0
    for line in fence.code.splitlines():
        for words in named_commands(line):
            command, rest = resolve(words)
            known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
            for option in options_named(rest):
                assert option in known, f"{fence.where}: `chi-llm {' '.join(words)}`: no option {option}"
            checked += 1
    assert checked, f"{fence.where}: a synopsis without a chi-llm command"


def test_a_renamed_option_or_command_is_caught() -> None:
    with pytest.raises(AssertionError, match="no command"):
        resolve(["models", "lsit"])
    command, rest = resolve(["models", "list", "[--downloaded]", "[--tag", "coding]"])
    assert command.name == "list" and options_named(rest) == ["--downloaded", "--tag"]
    assert named_commands('echo "x" | chi-llm ask - # comment') == [["ask", "-"]]
    assert named_commands("chi-llm config set k v [--project | --global]") == [
        ["config", "set", "k", "v", "[--project", "|", "--global]"]
    ]
