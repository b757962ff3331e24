"""The unit tier is in-process: a test here that starts a subprocess or loads the real model (in
its own body or in any fixture it sets up) fails and says where it belongs, so the tier's
definition is enforced rather than remembered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import pytest

from tests.conftest import REAL_MODEL_FIXTURES
from tests.support.in_process import WHERE, watching


def refusal(what: str) -> str:
    return f"{what}: tests/unit is in-process only (no subprocess, no real model); this test belongs in {WHERE}"


@contextmanager
def kept_in_process() -> Iterator[None]:
    """Fail at once on a subprocess or the real model; seen in another thread (where the failure
    only ends that thread), fail again on the way out."""
    elsewhere: list[str] = []

    def seen(what: str) -> None:
        if threading.current_thread() is not threading.main_thread():
            elsewhere.append(what)
        pytest.fail(refusal(what), pytrace=False)

    with watching(seen):
        yield
    if elsewhere:
        pytest.fail(refusal(elsewhere[0]), pytrace=False)


def _refused(name: str) -> object:
    @pytest.fixture(scope="session", name=name)
    def refuse() -> None:
        pytest.fail(refusal(f"asking for the real model ({name})"), pytrace=False)

    return refuse


# The real-model fixtures, replaced here by ones that refuse (before the model is even fetched).
for _name in sorted(REAL_MODEL_FIXTURES):
    globals()[f"refuse_{_name}"] = _refused(_name)


# Hook wrappers rather than an autouse fixture, so that fixtures of every scope are watched too.
# One watch spans a test's setup, call and teardown, so that a fixture replacing what the guard
# watches (a fake llama_cpp.Llama by monkeypatch) reaches the test and is undone inside the watch.
# The last test's teardown also ends other tiers' session fixtures: that test is watched per phase.
LAST = pytest.StashKey[bool]()


def _guarded(item: pytest.Item) -> bool:
    """Whether this conftest's guard applies to `item`: pytest calls the protocol hook for every
    item once a conftest is loaded, but the phase hooks only for the items below it."""
    return any(impl.function is pytest_runtest_call for impl in item.ihook.pytest_runtest_call.get_hookimpls())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    item.stash[LAST] = nextitem is None
    if nextitem is None or not _guarded(item):
        return (yield)
    with watching(_seen):
        return (yield)


_elsewhere: list[str] = []  # what another thread was refused during the current phase


def _seen(what: str) -> None:
    if threading.current_thread() is not threading.main_thread():
        _elsewhere.append(what)
    pytest.fail(refusal(what), pytrace=False)


@contextmanager
def _phase(item: pytest.Item) -> Iterator[None]:
    """A phase of `item`: watched here only for the last test; a refusal seen in another thread
    (where the failure only ends that thread) fails the phase on the way out."""
    _elsewhere.clear()
    with watching(_seen) if item.stash.get(LAST, True) else nullcontext():
        yield
    if _elsewhere:
        pytest.fail(refusal(_elsewhere[0]), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _phase(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _phase(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    if nextitem is None:  # the end of the session: it also tears down other tiers' session fixtures
        return (yield)
    with _phase(item):
        return (yield)
