"""An OpenAI-compatible adapter over a transport that answers with fixed body lines: the same
bytes through the sync and the async stream loops, no server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from chi_llm.adapters.providers.http.transport import HttpTransport
from chi_llm.adapters.providers.openai_compatible import OpenAICompatibleGenerator
from chi_llm.domain.generation import Chunk, GenerationRequest
from chi_llm.domain.messages import Message

REQUEST = GenerationRequest(messages=(Message(role="user", content="hi"),), model="m")


class Scripted:
    """A response whose body is a fixed list of lines, for both loops."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def iter_text(self) -> Iterator[str]:
        return (line if line.endswith("\n") else line + "\n" for line in self.lines)

    async def aiter_text(self) -> AsyncIterator[str]:
        for text in self.iter_text():
            await asyncio.sleep(0)
            yield text


class ScriptedTransport(HttpTransport):
    def __init__(self, lines: list[str], secrets: tuple[str, ...] = ()) -> None:
        super().__init__(backend="openai", base_url="http://127.0.0.1:9", max_retries=0, secrets=secrets)
        self.lines = lines

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[Any]:
        yield Scripted(self.lines)

    @asynccontextmanager
    async def astream(self, method: str, path: str, **kwargs: Any) -> AsyncIterator[Any]:
        yield Scripted(self.lines)


def sync_run(lines: list[str], context: int | None = None) -> list[Chunk]:
    return list(OpenAICompatibleGenerator(ScriptedTransport(lines), model="m", context=context).stream(REQUEST))


def async_run(lines: list[str], context: int | None = None) -> list[Chunk]:
    adapter = OpenAICompatibleGenerator(ScriptedTransport(lines), model="m", context=context)

    async def collect() -> list[Chunk]:
        return [c async for c in adapter.astream(REQUEST)]

    return asyncio.run(collect())


class WholeAnswer(ScriptedTransport):
    """A transport whose whole-answer request returns `body` as the server's JSON."""

    def __init__(self, body: Any) -> None:
        super().__init__([])
        self.body = body

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.body
