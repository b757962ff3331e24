"""A place at the gate won just as the request's handler is cancelled (a shutdown past its grace,
the client's connection dropped) is given back, not held for ever."""

from __future__ import annotations

import asyncio
from typing import Any

from chi_llm.entrypoints.server.gate import Gate
from chi_llm.entrypoints.server.streams import entered


class Connected:
    """A request whose client never leaves."""

    async def receive(self) -> dict[str, Any]:
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}


def test_a_place_won_as_the_handler_is_cancelled_is_given_back() -> None:
    async def scenario() -> tuple[int, int]:
        gate = Gate("model", concurrency=1, queue=4, timeout=5.0)
        handler = asyncio.ensure_future(entered(Connected(), gate, None))  # type: ignore[arg-type]
        await asyncio.sleep(0)  # the handler waits on the entry
        await asyncio.sleep(0)  # the entry takes the free place and ends
        held = gate.active
        handler.cancel()  # before the handler resumes with its ticket
        await asyncio.gather(handler, return_exceptions=True)
        return held, gate.active

    held, after = asyncio.run(scenario())
    assert held == 1  # the race happened: the place was taken when the cancel came
    assert after == 0


def test_a_place_won_normally_is_the_callers() -> None:
    async def scenario() -> int:
        gate = Gate("model", concurrency=1, queue=4, timeout=5.0)
        ticket = await entered(Connected(), gate, None)  # type: ignore[arg-type]
        active = gate.active
        ticket.leave()
        return active

    assert asyncio.run(scenario()) == 1
