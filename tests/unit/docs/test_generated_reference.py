"""The generated reference pages (scripts/gen_docs.py, built into the site on every `mkdocs build`)
cover every command, configuration key, bridge method and server route, and follow the code."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from chi_llm.domain.settings import KEYS
from chi_llm.entrypoints.cli.app import cli

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def gen_docs() -> Any:
    spec = importlib.util.spec_from_file_location("chi_llm_gen_docs_test", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def command_paths(group: click.Group, ctx: click.Context, prefix: str) -> list[str]:
    paths = []
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        assert sub is not None
        paths.append(f"{prefix} {name}")
        if isinstance(sub, click.Group):
            paths += command_paths(sub, click.Context(sub, info_name=name, parent=ctx), f"{prefix} {name}")
    return paths


def test_the_cli_reference_has_every_command_and_subcommand(gen_docs: Any) -> None:
    page = gen_docs.cli_page()
    paths = command_paths(cli, click.Context(cli, info_name="chi-llm"), "chi-llm")
    assert "chi-llm models list" in paths and "chi-llm rag query" in paths
    for path in paths:
        assert f" `{path}`\n" in page, path
        assert f"Usage: {path} [OPTIONS]" in page, path


def test_an_options_help_changes_the_cli_reference(gen_docs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    generate = cli.get_command(click.Context(cli), "generate")
    assert generate is not None
    option = next(p for p in generate.params if isinstance(p, click.Option) and "--seed" in p.opts)
    monkeypatch.setattr(option, "help", "A help text written only by this test.")
    assert "A help text written only by this test." in gen_docs.cli_page()


def test_the_configuration_reference_has_every_key_and_variable(gen_docs: Any) -> None:
    page = gen_docs.configuration_page()
    for key in KEYS.values():
        assert f"| `{key.name}` |" in page and key.help.replace("|", "\\|") in page
    for variable in ("CHI_LLM_MODEL", "CHI_LLM_HOME", "CHI_LLM_CONFIG", "OPENAI_API_KEY", "CHI_LLM_SERVE_API_KEY"):
        assert f"`{variable}`" in page


def test_the_bridge_and_server_references_follow_their_sources(gen_docs: Any) -> None:
    schema = json.loads((ROOT / "tui" / "protocol" / "bridge.schema.json").read_text(encoding="utf-8"))
    bridge = gen_docs.bridge_page()
    for method in [*schema["x-methods"], *schema["x-notifications"], *schema["$defs"]]:
        assert method in bridge
    server = gen_docs.server_page()
    paths = ("/v1/chat/completions", "/v1/completions", "/v1/responses", "/v1/messages", "/v1/messages/count_tokens")
    for path in (*paths, "/v1/embeddings", "/v1/models", "/health"):
        assert f"`{path}`" in server
    rows = [line for line in server.splitlines() if line.startswith(("| POST", "| GET"))]
    assert rows and all(not line.rstrip(" |").endswith("`") for line in rows)  # each says what it does


def test_every_error_has_its_exit_code_and_http_status(gen_docs: Any) -> None:
    from chi_llm.domain import errors
    from chi_llm.entrypoints.cli.output import exit_code

    kinds = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, errors.ChiLlmError)]
    exits, server = gen_docs.exit_codes_page(), gen_docs.server_page()
    assert len(kinds) > 10
    for kind in kinds:
        assert f"| {exit_code(gen_docs._example(kind))} | `{kind.__name__}` |" in exits, kind
        assert f"| `{kind.__name__}` |" in server, kind
    assert "| `ModelNotFound` | 404 |" in server and "| `RateLimited` | 429 |" in server


def test_the_api_reference_names_every_public_name(gen_docs: Any) -> None:
    import chi_llm

    page = gen_docs.api_page()
    for name in chi_llm.__all__:
        assert f'toc_label: "{name}"' in page or f"`{name}`" in page, name
