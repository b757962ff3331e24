"""A request that needs tools goes only to a backend that takes them: refused before anything
is sent otherwise (the single-backend path), skipped by the router (recorded as a cause)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.application.generation import GenerationService
from chi_llm.application.provider_router import ProviderRouter
from chi_llm.domain.errors import AllProvidersFailed, BackendUnavailable, ToolsUnsupported
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.providers import ProviderProfile
from chi_llm.domain.tools import Tool, ToolCall, ToolSet
from chi_llm.entrypoints.cli.output import exit_code

USER = Message(role="user", content="weather in Paris?")
TOOLS = ToolSet(tools=(Tool(name="weather"),))
CALL = ToolCall(id="c1", name="weather", arguments={"city": "Paris"})
PLAIN = GenerationRequest(messages=(USER,))
DECLARES = GenerationRequest(messages=(USER,), options=GenerationOptions(tools=TOOLS))
NEEDING = {
    "declared": DECLARES,
    "declared, choice none": GenerationRequest(
        messages=(USER,), options=GenerationOptions(tools=ToolSet(tools=TOOLS.tools, choice="none"))
    ),
    "history with a call and its result": GenerationRequest(
        messages=(
            USER,
            Message(role="assistant", content="", tool_calls=(CALL,)),
            Message(role="tool", content="sunny", tool_call_id="c1", name="weather"),
        )
    ),
}


class NoTools(FakeTextGenerator):
    """A backend that cannot take tools (the port's default)."""

    name = "notools"

    def calls_tools(self) -> bool:
        return False


def routed(adapters: dict[str, FakeTextGenerator], notes: list[tuple[str, str]] | None = None) -> ProviderRouter:
    seen = notes if notes is not None else []
    return ProviderRouter(
        [ProviderProfile(id=i, type="fake") for i in adapters],
        lambda p: adapters[p.id],
        on_fallback=lambda a, e, b: seen.append((a, b)),
    )


@pytest.mark.parametrize("request_", NEEDING.values(), ids=NEEDING.keys())
async def test_one_backend_without_tools_refuses_every_way_before_sending(request_: GenerationRequest) -> None:
    backend = NoTools()
    service = GenerationService(backend)
    with pytest.raises(ToolsUnsupported, match=r"provider notools cannot call tools.*pick a provider"):
        service.generate(request_)
    with pytest.raises(ToolsUnsupported):
        service.stream(request_)
    with pytest.raises(ToolsUnsupported):
        await service.agenerate(request_)
    chunks = service.astream(request_)  # refused at the first chunk, like a backend's errors
    with pytest.raises(ToolsUnsupported):
        await anext(chunks)
    assert backend.requests == [] and backend.tokens_decoded == 0


async def test_requests_without_tools_reach_a_backend_without_tools_as_before() -> None:
    backend = NoTools(["one", "two", "three", "four"])
    service = GenerationService(backend)
    assert service.generate(PLAIN).text == "one"
    assert "".join(c.text for c in service.stream(PLAIN)) == "two"
    assert (await service.agenerate(PLAIN)).text == "three"
    assert "".join([c.text async for c in service.astream(PLAIN)]) == "four"


def test_a_backend_with_tools_gets_the_request() -> None:
    backend = FakeTextGenerator([{"tool_calls": [{"name": "weather", "arguments": {"city": "Paris"}}]}])
    done = GenerationService(backend).generate(DECLARES)
    assert done.finish_reason == "tool_calls" and backend.requests == [DECLARES]


async def test_the_router_skips_candidates_without_tools_without_announcing_a_failure() -> None:
    local, remote = NoTools(), FakeTextGenerator(["a", "b", "c", "d"])
    notes: list[tuple[str, str]] = []
    router = routed({"local": local, "remote": remote}, notes)
    service = GenerationService(router)
    assert service.generate(DECLARES).text == "a"
    assert router.served is not None and router.served.id == "remote"
    assert [(pid, e.kind) for pid, e in router.failed_before] == [("local", "tools_unsupported")]
    assert "".join(c.text for c in service.stream(DECLARES)) == "b"
    assert (await service.agenerate(DECLARES)).text == "c"
    chunks = service.astream(DECLARES)
    assert "".join([c.text async for c in chunks]) == "d"
    assert [pid for pid, _ in router.failures_of(chunks)] == ["local"]
    assert local.requests == [] and notes == []


def test_the_router_sends_requests_without_tools_to_its_first_candidate_as_before() -> None:
    local, remote = NoTools(["plain"]), FakeTextGenerator()
    router = routed({"local": local, "remote": remote})
    assert router.generate(PLAIN).text == "plain" and router.failed_before == ()


def test_a_lone_candidate_without_tools_is_the_clear_error_naming_it() -> None:
    with pytest.raises(ToolsUnsupported, match=r"provider local \(notools\) cannot call tools") as caught:
        routed({"local": NoTools()}).generate(DECLARES)
    assert exit_code(caught.value) == 2


def test_when_no_candidate_takes_tools_the_error_names_them_all() -> None:
    router = routed({"a": NoTools(), "b": NoTools()})
    with pytest.raises(ToolsUnsupported, match=r"none of the providers a \(notools\), b \(notools\) can call tools"):
        router.generate(NEEDING["history with a call and its result"])


def test_a_capable_candidate_that_fails_beside_skipped_ones_is_every_provider_failed() -> None:
    down = FakeTextGenerator(failure=BackendUnavailable("down", backend="remote"))
    with pytest.raises(AllProvidersFailed) as caught:
        routed({"remote": down, "local": NoTools()}).generate(DECLARES)
    assert [(pid, e.kind) for pid, e in caught.value.attempts] == [
        ("remote", "backend_unavailable"),
        ("local", "tools_unsupported"),
    ]


def test_the_embedded_model_takes_tools_so_a_tools_request_reaches_it(tmp_path: Path) -> None:
    from chi_llm.adapters.providers.provider_type import BuildContext
    from chi_llm.adapters.providers.registry import PROVIDER_TYPES

    class Reached(Exception):
        """The adapter went to load its model: the request was not refused."""

    def locate(model: str) -> Path:
        raise Reached(model)

    context = BuildContext(model=str(tmp_path / "m.gguf"), locate=locate)
    local = PROVIDER_TYPES["local"].build(ProviderProfile(id="local", type="local"), context)
    router = ProviderRouter([ProviderProfile(id="local", type="local")], lambda p: local)
    with pytest.raises(Reached):
        GenerationService(router).generate(DECLARES)
    assert local.calls_tools() is True


def test_a_fallback_warning_still_comes_for_a_real_failure_and_none_for_a_skip(
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapters = {
        "one": FakeTextGenerator(failure=BackendUnavailable("down", backend="one")),
        "two": NoTools(),
        "three": FakeTextGenerator(["ok"]),
    }
    router = ProviderRouter([ProviderProfile(id=i, type="fake") for i in adapters], lambda p: adapters[p.id])
    with caplog.at_level(logging.WARNING, logger="chi_llm"):
        assert router.generate(DECLARES).text == "ok"
    assert [pid for pid, _ in router.failed_before] == ["one", "two"]
    assert "provider one failed" in caplog.text and "provider two failed" not in caplog.text
    assert "falling back to three" in caplog.text and "falling back to two" not in caplog.text


def test_no_fallback_is_announced_when_only_candidates_without_tools_are_left() -> None:
    notes: list[tuple[str, str]] = []
    down = FakeTextGenerator(failure=BackendUnavailable("down", backend="remote"))
    with pytest.raises(AllProvidersFailed):
        routed({"remote": down, "local": NoTools()}, notes).generate(DECLARES)
    assert notes == []


def test_a_request_without_tools_still_falls_back_to_a_backend_without_them() -> None:
    notes: list[tuple[str, str]] = []
    down = FakeTextGenerator(failure=BackendUnavailable("down", backend="remote"))
    assert routed({"remote": down, "local": NoTools(["ok"])}, notes).generate(PLAIN).text == "ok"
    assert notes == [("remote", "local")]
