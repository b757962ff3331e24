"""The provider router: selection, fallback order, error aggregation, streams and async."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.application.provider_router import ProviderRouter, select
from chi_llm.domain.errors import (
    AllProvidersFailed,
    BackendUnavailable,
    ConfigError,
    ContextLengthExceeded,
    InvalidRequest,
    RateLimited,
)
from chi_llm.domain.generation import GenerationRequest, aclose_stream
from chi_llm.domain.messages import Message
from chi_llm.domain.providers import ProviderProfile
from chi_llm.domain.structured import OutputSchema

REQUEST = GenerationRequest(messages=(Message(role="user", content="hi"),))


def profiles(*specs: tuple[str, int, tuple[str, ...]]) -> list[ProviderProfile]:
    return [ProviderProfile(id=i, type="fake", priority=p, tags=t) for i, p, t in specs]


def router(adapters: dict[str, FakeTextGenerator], order: list[str], seen: list | None = None) -> ProviderRouter:  # type: ignore[type-arg]
    candidates = [ProviderProfile(id=i, type="fake") for i in order]
    notes = seen if seen is not None else []
    return ProviderRouter(candidates, lambda p: adapters[p.id], on_fallback=lambda a, e, b: notes.append((a, b)))


def test_select_by_id_tags_priority_and_default() -> None:
    pool = profiles(("a", 5, ("fast",)), ("b", 1, ("fast", "smart")), ("c", 3, ()))
    assert [p.id for p in select(pool)] == ["b", "c", "a"]
    assert [p.id for p in select(pool, tags=["fast"])] == ["b", "a"]
    assert [p.id for p in select(pool, provider_id="c")] == ["c"]
    assert [p.id for p in select(pool, default_id="a")] == ["a", "b", "c"]
    with pytest.raises(ConfigError):
        select(pool, tags=["missing"])
    with pytest.raises(ConfigError):
        select(pool, default_id="nope")


def test_falls_back_in_order_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    dead = FakeTextGenerator(failure=BackendUnavailable("down", backend="x"))
    alive = FakeTextGenerator(["from b"])
    candidates = [ProviderProfile(id="a", type="fake"), ProviderProfile(id="b", type="fake")]
    routed = ProviderRouter(candidates, lambda p: {"a": dead, "b": alive}[p.id])
    with caplog.at_level(logging.WARNING, logger="chi_llm"):
        assert routed.generate(REQUEST).text == "from b"
    assert "provider a failed (backend_unavailable: down); falling back to b" in caplog.text


def test_all_failures_are_listed() -> None:
    adapters = {
        "a": FakeTextGenerator(failure=BackendUnavailable("down", backend="x")),
        "b": FakeTextGenerator(failure=RateLimited("slow down", backend="y")),
    }
    with pytest.raises(AllProvidersFailed) as error:
        router(adapters, ["a", "b"]).generate(REQUEST)
    assert [(pid, e.kind) for pid, e in error.value.attempts] == [("a", "backend_unavailable"), ("b", "rate_limited")]
    assert "a: backend_unavailable: down" in str(error.value) and "b: rate_limited: slow down" in str(error.value)


def test_single_provider_errors_pass_through_unchanged() -> None:
    with pytest.raises(BackendUnavailable):
        router({"a": FakeTextGenerator(failure=BackendUnavailable("down", backend="x"))}, ["a"]).generate(REQUEST)


def test_request_errors_do_not_fall_back() -> None:
    seen: list = []  # type: ignore[type-arg]
    adapters = {"a": FakeTextGenerator(failure=InvalidRequest("bad", backend="x")), "b": FakeTextGenerator()}
    with pytest.raises(InvalidRequest):
        router(adapters, ["a", "b"], seen).generate(REQUEST)
    assert seen == [] and adapters["b"].requests == []


def test_stream_falls_back_only_before_the_first_token() -> None:
    early = FakeTextGenerator(failure=BackendUnavailable("down", backend="x"))
    backup = FakeTextGenerator(["backup answer"])
    assert "".join(c.text for c in router({"a": early, "b": backup}, ["a", "b"]).stream(REQUEST)) == "backup answer"
    late = FakeTextGenerator(["one two three"], failure=BackendUnavailable("cut", backend="x"), fail_after_tokens=1)
    unused = FakeTextGenerator(["never"])
    stream = router({"a": late, "b": unused}, ["a", "b"]).stream(REQUEST)
    assert next(stream).text == "one"
    with pytest.raises(BackendUnavailable):
        list(stream)
    assert unused.requests == []


async def test_async_fallback_and_stream() -> None:
    adapters = {
        "a": FakeTextGenerator(failure=BackendUnavailable("down", backend="x")),
        "b": FakeTextGenerator(["x y"]),
    }
    assert (await router(adapters, ["a", "b"]).agenerate(REQUEST)).text == "x y"
    adapters["b"].queue("p q")
    routed = router(adapters, ["a", "b"])
    assert [c.text async for c in routed.astream(REQUEST) if c.text] == ["p", " q"]
    assert routed.served is not None and routed.served.id == "b"  # the server reports who answered


def test_sync_stream_records_the_provider_that_served() -> None:
    adapters = {"a": FakeTextGenerator(failure=BackendUnavailable("down", backend="x")), "b": FakeTextGenerator()}
    routed = router(adapters, ["a", "b"])
    assert "".join(c.text for c in routed.stream(REQUEST)) == "Echo: hi"
    assert routed.served is not None and routed.served.id == "b"


@given(pattern=st.lists(st.booleans(), min_size=1, max_size=6))
def test_first_healthy_provider_wins_or_every_cause_is_raised(pattern: list[bool]) -> None:
    """pattern[i] is True when provider i is healthy; providers are tried in order."""
    adapters = {
        f"p{i}": FakeTextGenerator([f"answer {i}"])
        if healthy
        else FakeTextGenerator(failure=BackendUnavailable(f"p{i} down", backend="x"))
        for i, healthy in enumerate(pattern)
    }
    routed = router(adapters, list(adapters))
    if any(pattern):
        first = pattern.index(True)
        assert routed.generate(REQUEST).text == f"answer {first}"
        assert all(not adapters[f"p{i}"].requests for i in range(first + 1, len(pattern)))
    elif len(pattern) == 1:
        with pytest.raises(BackendUnavailable):
            routed.generate(REQUEST)
    else:
        with pytest.raises(AllProvidersFailed) as error:
            routed.generate(REQUEST)
        assert [pid for pid, _ in error.value.attempts] == list(adapters)


class Strict(FakeTextGenerator):
    def enforces(self, schema: OutputSchema) -> bool:
        return True


def test_whether_a_schema_was_enforced_follows_the_provider_that_answered() -> None:
    schema = OutputSchema.of({"type": "object"})
    dead = Strict(failure=BackendUnavailable("down", backend="x"))
    routed = router({"strict": dead, "loose": FakeTextGenerator(["ok"])}, ["strict", "loose"])
    assert routed.enforces(schema)  # nothing served yet: the first candidate's answer
    routed.generate(REQUEST)  # the strict one is down: the loose one answers
    assert not routed.enforces(schema)


async def test_each_stream_knows_its_own_provider_while_others_run() -> None:
    adapters = {"a": FakeTextGenerator(failure=BackendUnavailable("down", backend="x")), "b": FakeTextGenerator()}
    routed = router(adapters, ["a", "b"])
    first = routed.astream(REQUEST)
    assert (await first.__anext__()).text  # fell back to b
    adapters["a"].failure = None
    second = routed.astream(REQUEST)
    assert (await second.__anext__()).text  # a is back
    assert routed.served is not None and routed.served.id == "a"  # the last one to start
    assert [routed.served_by(s).id for s in (first, second)] == ["b", "a"]  # type: ignore[union-attr]
    await aclose_stream(first)
    await aclose_stream(second)


EMBEDDED = ProviderProfile(id="local", type="local", fallback=True)


def test_the_embedded_fallback_is_tried_last_whatever_the_priorities() -> None:
    pool = [*profiles(("a", 5, ("fast",)), ("b", 500, ())), EMBEDDED]
    assert [p.id for p in select(pool)] == ["a", "b", "local"]
    assert [p.id for p in select(pool, default_id="b")] == ["b", "a", "local"]
    assert [p.id for p in select(pool, default_id="local")] == ["local", "a", "b"]  # chosen: then first
    assert [p.id for p in select(pool, provider_id="a")] == ["a"]  # an explicit provider never falls back
    assert [p.id for p in select(pool, tags=["fast"])] == ["a"]  # nor do required tags


def test_a_fallback_is_announced_once_per_router_and_again_after_a_recovery() -> None:
    seen: list = []  # type: ignore[type-arg]
    adapters = {"a": FakeTextGenerator(failure=BackendUnavailable("down", backend="x")), "b": FakeTextGenerator()}
    routed = router(adapters, ["a", "b"], seen)
    for _ in range(3):  # a chat's turns: one notice, not one per turn
        assert routed.generate(REQUEST).text == "Echo: hi"
    assert seen == [("a", "b")]
    adapters["a"].failure = None
    routed.generate(REQUEST)  # a is back...
    adapters["a"].failure = BackendUnavailable("down again", backend="x")
    routed.generate(REQUEST)  # ...and down again: said again
    assert seen == [("a", "b"), ("a", "b")]


def test_the_failures_before_the_answer_are_kept_for_reports() -> None:
    adapters = {"a": FakeTextGenerator(failure=BackendUnavailable("down", backend="x")), "b": FakeTextGenerator()}
    routed = router(adapters, ["a", "b"])
    routed.generate(REQUEST)
    assert routed.served is not None and routed.served.id == "b"
    assert [(pid, e.kind, e.message) for pid, e in routed.failed_before] == [("a", "backend_unavailable", "down")]
    adapters["a"].failure = None
    "".join(c.text for c in routed.stream(REQUEST))
    assert routed.served.id == "a" and routed.failed_before == ()


async def test_each_stream_knows_who_failed_before_it() -> None:
    adapters = {"a": FakeTextGenerator(failure=BackendUnavailable("down", backend="x")), "b": FakeTextGenerator()}
    routed = router(adapters, ["a", "b"])
    stream = routed.astream(REQUEST)
    assert (await stream.__anext__()).text
    assert [pid for pid, _ in routed.failures_of(stream)] == ["a"]
    await aclose_stream(stream)


def test_the_notice_for_the_embedded_model_says_how_to_turn_it_off(caplog: pytest.LogCaptureFixture) -> None:
    dead = FakeTextGenerator(failure=BackendUnavailable("Ollama is not reachable", backend="ollama"))
    local = FakeTextGenerator(["from local"])
    routed = ProviderRouter(
        [ProviderProfile(id="home", type="fake"), EMBEDDED], lambda p: {"home": dead, "local": local}[p.id]
    )
    with caplog.at_level(logging.WARNING, logger="chi_llm"):
        assert routed.generate(REQUEST).text == "from local"
    assert "provider home failed (backend_unavailable: Ollama is not reachable)" in caplog.text
    assert "falling back to local, the embedded model" in caplog.text and "fallback_to_local: false" in caplog.text


def test_a_prompt_too_long_is_not_sent_to_the_embedded_model() -> None:
    """Its context is rarely larger: the configured provider's own error (exit 6) is what helps."""
    too_long = ContextLengthExceeded(prompt_tokens=9000, context=8192, backend="ollama")
    local = FakeTextGenerator(["from local"])
    adapters = {"home": FakeTextGenerator(failure=too_long), "local": local}
    routed = ProviderRouter([ProviderProfile(id="home", type="fake"), EMBEDDED], lambda p: adapters[p.id])
    with pytest.raises(ContextLengthExceeded):
        routed.generate(REQUEST)
    adapters["other"] = FakeTextGenerator(failure=BackendUnavailable("down", backend="x"))
    two = [ProviderProfile(id="other", type="fake"), ProviderProfile(id="home", type="fake"), EMBEDDED]
    with pytest.raises(AllProvidersFailed) as error:
        ProviderRouter(two, lambda p: adapters[p.id]).generate(REQUEST)
    assert [pid for pid, _ in error.value.attempts] == ["other", "home"]
    assert local.requests == []
