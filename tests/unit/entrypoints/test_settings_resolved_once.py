"""The configuration is resolved once per CLI command and once per server: sizing a one-shot
context or routing a request to another profile or model applies that choice on top of the
settings already resolved (no file is read again) and reuses the wiring already built."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chi_llm.application.config import ConfigService
from chi_llm.application.models.store import ModelStore
from chi_llm.domain.errors import ModelNotFound
from chi_llm.entrypoints.cli.options import MIN_CONTEXT, build_llm
from chi_llm.entrypoints.server.backends import Route
from chi_llm.entrypoints.server.state import ServeOptions, ServerState
from chi_llm.entrypoints.wiring import refine, rewire, wire
from tests.support.calls import counting
from tests.support.cli import run

FAKES = {
    "providers": [{"id": "fake", "type": "fake"}, {"id": "other", "type": "fake"}],
    "default_provider": "fake",
    "rag": {"embedding_model": "fake", "db": "memory:"},
}

# Every command that reads the configuration, on fake providers (no model is loaded).
COMMANDS: list[tuple[str, ...]] = [
    ("generate", "hi"),
    ("complete", "hi"),
    ("ask", "what?", "-c", "some context"),
    ("chat",),
    ("interactive",),
    ("summarize", "some text"),
    ("translate", "hi", "--to", "fr"),
    ("analyze", "x = 1"),
    ("extract", "Ann is 3", "--schema", '{"type": "object"}'),
    ("classify", "good", "-c", "good,bad"),
    ("template", "--list"),
    ("template", "commit"),  # its input from standard input
    ("models", "list"),
    ("models", "current"),
    ("models", "info", "smollm2-135m"),
    ("models", "recommend"),
    ("providers", "list"),
    ("providers", "current"),
    ("providers", "test", "fake"),
    ("config", "show", "--explain"),
    ("diagnostics",),
    ("setup", "recommend"),
    ("rag", "info"),
    ("rag", "query", "what?"),
]


@pytest.fixture
def resolutions(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each ConfigService.resolve call, in a project configured with fake providers."""
    (isolated / ".chi_llm.json").write_text(json.dumps(FAKES), encoding="utf-8")
    return counting(monkeypatch, ConfigService, "resolve")


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_command_resolves_the_configuration_once(resolutions: list[object], args: tuple[str, ...]) -> None:
    result = run(*args, stdin="hi\n")
    assert result.exit_code in (0, 1), result.output  # extract may find the fake's reply invalid (1)
    assert len(resolutions) == 1


def test_a_one_shot_context_is_sized_on_the_settings_already_resolved(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting(monkeypatch, ConfigService, "resolve")
    llm = build_llm(max_tokens=16, one_shot="hi")
    assert llm.settings["context"] == MIN_CONTEXT and llm.settings.source("context") == "argument"
    assert llm.settings["max_tokens"] == 16 and len(calls) == 1


def test_routes_to_other_profiles_and_models_reuse_the_servers_wiring(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = isolated / "serve.json"
    path.write_text(json.dumps(FAKES), encoding="utf-8")
    calls = counting(monkeypatch, ConfigService, "resolve")
    stores = counting(monkeypatch, ModelStore, "__init__")
    state = ServerState(ServeOptions(config_path=path, preload=False), os.environ)
    names = ["other", "fake/smollm2-135m", "default", "other/smollm2-135m"]
    backends = [state.backends.get(state.route(name)) for name in names]
    answers = [b.service.generate(b.service.raw_request("hi")) for b in backends]
    assert [b.name for b in backends] == ["other", "smollm2-135m", "smollm2-135m", "smollm2-135m"]
    assert [b.router.candidates[0].id for b in backends] == ["other", "fake", "fake", "other"]
    assert all(answer.text for answer in answers)
    assert len(calls) == 1  # the server's own resolution; none per route
    state.base.model_store()
    assert len(stores) == 1  # the routes use the server's model store (catalog, advisor...)
    assert state.route("other/smollm2-135m") == Route(provider="other", model="smollm2-135m")


def test_a_rewired_container_shares_what_its_choices_leave_as_it_is(isolated: Path) -> None:
    base = wire()
    route = rewire(base, provider="fake", model="m")
    assert route.model_store() is base.model_store() and route.advisor() is base.advisor()
    assert route.generator() is not base.generator() and route.generator().candidates[0].id == "fake"
    assert route.settings()["model"] == "m" and base.settings()["model"] == "smollm2-135m"
    with pytest.raises(ModelNotFound):  # a local model is checked, as wire(model=...) checks it
        rewire(base, provider="local", model="no-such-model")


def test_refining_builds_the_router_again_and_nothing_else(isolated: Path) -> None:
    container = wire()
    store, router = container.model_store(), container.generator()
    refine(container, context=1024)
    assert container.settings()["context"] == 1024 and container.generator() is not router
    assert container.model_store() is store


def test_routes_let_go_are_freed_and_the_server_wiring_keeps_no_link_to_them(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc
    import weakref

    from chi_llm.entrypoints.server.backends import Backends, Limits

    monkeypatch.setattr(Backends, "MAX_ROUTES", 3)
    (isolated / ".chi_llm.json").write_text(json.dumps(FAKES), encoding="utf-8")
    base = wire()
    backends = Backends(base, Limits())
    routers = [weakref.ref(backends.get(Route(provider="other", model=f"m{i}")).router) for i in range(12)]
    gc.collect()
    assert sum(ref() is not None for ref in routers) == 3  # the routes kept; the others are gone
    assert not base.model_store.overrides and not base.env.overrides  # the server's side links nothing


def test_refining_rebuilds_every_part_that_holds_the_router(isolated: Path) -> None:
    container = wire()
    old = container.rag().generation.generator
    refine(container, context=1024)
    assert container.rag().generation.generator is container.generator() is not old
