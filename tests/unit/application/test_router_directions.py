"""The router's one fallback loop serves every direction alike: whole or streamed, sync or async."""

from __future__ import annotations

import asyncio

from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.application.provider_router import ProviderRouter
from chi_llm.domain.errors import BackendUnavailable
from chi_llm.domain.generation import GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.ports import TextGenerator
from chi_llm.domain.providers import ProviderProfile

REQUEST = GenerationRequest(messages=(Message(role="user", content="hi"),))


def unbuildable_first() -> ProviderRouter:
    """`a` cannot even be built (its adapter raises while it is made); `b` answers."""

    def build(profile: ProviderProfile) -> TextGenerator:
        if profile.id == "a":
            raise BackendUnavailable("cannot reach a", backend="a")
        return FakeTextGenerator(["from b"] * 4)

    return ProviderRouter([ProviderProfile(id=i, type="fake") for i in "ab"], build)


async def answers() -> list[str]:
    routed = unbuildable_first()
    whole = [routed.generate(REQUEST).text, (await routed.agenerate(REQUEST)).text]
    streamed = [
        "".join(c.text for c in routed.stream(REQUEST)),
        "".join([c.text async for c in routed.astream(REQUEST)]),
    ]
    assert routed.served is not None and routed.served.id == "b"
    assert [pid for pid, _ in routed.failed_before] == ["a"]
    return whole + streamed


def test_a_provider_that_cannot_be_built_falls_back_in_every_direction() -> None:
    assert asyncio.run(answers()) == ["from b"] * 4
