"""Running one tool call with an optional timeout, sync or in asyncio. A sync tool with a
timeout runs in a daemon thread: on timeout the loop goes on and the thread is left to finish
(Python cannot stop a thread), its result ignored; an async tool is cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from typing import Any

from chi_llm.application.tools.function_tool import FunctionTool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a call came to: a value, the exception it raised, or no answer in time."""

    value: Any = None
    error: Exception | None = None
    timed_out: bool = False


def _call(runner: FunctionTool, values: dict[str, Any]) -> Outcome:
    try:
        if runner.is_async:
            return Outcome(asyncio.run(runner.function(**values)))
        return Outcome(runner.function(**values))
    except Exception as error:  # a tool's failure is its result (it goes back to the model)
        return Outcome(error=error)


def run_call(runner: FunctionTool, values: dict[str, Any], timeout: float | None) -> Outcome:
    """Run in this thread (no timeout, and no event loop running here), else in a daemon thread."""
    if timeout is None and not _loop_running():
        return _call(runner, values)
    box: list[Outcome] = []
    worker = threading.Thread(target=lambda: box.append(_call(runner, values)), daemon=True, name="chi_llm-tool")
    worker.start()
    worker.join(timeout)
    return box[0] if box else Outcome(timed_out=True)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _guarded(runner: FunctionTool, values: dict[str, Any]) -> Outcome:
    try:
        if runner.is_async:
            return Outcome(await runner.function(**values))
        return await _in_thread(runner, values)
    except Exception as error:  # a tool's failure is its result (it goes back to the model)
        return Outcome(error=error)


async def _in_thread(runner: FunctionTool, values: dict[str, Any]) -> Outcome:
    """A sync tool in a daemon thread (not the loop's executor, which asyncio.run waits for at
    exit: a hung tool would hang the program)."""
    loop = asyncio.get_running_loop()
    settled: asyncio.Future[Outcome] = loop.create_future()

    def settle(outcome: Outcome) -> None:
        if not settled.done():
            settled.set_result(outcome)

    def work() -> None:
        outcome = _call(runner, values)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits for this result
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(target=work, daemon=True, name="chi_llm-tool").start()
    return await settled


async def arun_call(runner: FunctionTool, values: dict[str, Any], timeout: float | None) -> Outcome:
    """Run in asyncio: an async tool awaited (cancelled on timeout), a sync one in a daemon thread."""
    try:
        return await asyncio.wait_for(_guarded(runner, values), timeout)
    except TimeoutError:
        return Outcome(timed_out=True)
