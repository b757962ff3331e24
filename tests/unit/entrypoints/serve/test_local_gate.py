"""`chi-llm serve` lets a local model run as many requests at once as its engine has slots (what
admission granted of its `parallel`: fewer when memory is short), a remote provider's model
`--parallel`; the queue beyond them stays, with its 429 and 503."""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from chi_llm.adapters.llama_cpp.generator import LlamaCppGenerator
from chi_llm.application.models.advice import ModelAdvisor
from chi_llm.domain.errors import InsufficientResources
from chi_llm.domain.generation import Chunk, GenerationRequest, Timings, Usage
from chi_llm.entrypoints.server.backends import Backends, Limits, Route
from chi_llm.entrypoints.wiring import wire
from tests.support.gguf_files import gguf_bytes
from tests.support.serve import in_process

FITS = 3  # slots the fake machine has memory for


def model_file(folder: Path, name: str = "tiny") -> str:
    """A GGUF header (trained context 8192) for the adapter to locate and size; never loaded."""
    path = folder / f"{name}.gguf"
    path.write_bytes(gguf_bytes([("llama.context_length", 4, struct.pack("<I", 8192))]))
    return str(path)


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Admission on a machine with memory for FITS slots: a count not `fixed` gets as many as fit,
    a fixed one is granted when it fits and refused otherwise. Records (slots asked, fixed)."""
    calls: list[tuple[int, bool]] = []

    def admit(self: ModelAdvisor, path: Path, context: int, slots: int = 1, *, fixed: bool = False) -> int:
        calls.append((slots, fixed))
        if fixed and slots > FITS:
            raise InsufficientResources(f"parallel {slots} does not fit; set `parallel` to {FITS}", backend="memory")
        return min(slots, FITS)

    monkeypatch.setattr(ModelAdvisor, "admit", admit)
    return calls


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.01)


async def test_a_local_gate_takes_the_slots_admission_granted(isolated: Path, asked: list[tuple[int, bool]]) -> None:
    profiles: list[dict[str, Any]] = [  # a gate per model file
        {"id": "local", "type": "local", "model": model_file(isolated)},
        {"id": "wide", "type": "local", "parallel": 2, "model": model_file(isolated, "wide")},
        {"id": "huge", "type": "local", "parallel": 6, "model": model_file(isolated, "huge")},
        {"id": "fake", "type": "fake"},
    ]
    (isolated / ".chi_llm.json").write_text(json.dumps({"providers": profiles}))
    backends = Backends(wire(), Limits(parallel=7, queue=5))
    gates = {p["id"]: backends.get(Route(provider=p["id"])).gate for p in profiles}
    assert gates["local"].concurrency == 1  # until the engine's slots are known: never more than it has
    await until(lambda: len(asked) == 3, "each local model was admitted")
    await until(lambda: gates["local"].concurrency > 1, "sized")
    assert sorted(asked) == [(2, True), (4, False), (6, True)]  # the model's parallel goes to admission
    assert gates["local"].concurrency == 3  # auto: the default 4; 3 fit
    assert gates["wide"].concurrency == 2  # the profile's own, fixed and fitting
    assert gates["huge"].concurrency == 6  # refused: its requests get the error (or fall back)
    assert gates["fake"].concurrency == 7  # a remote provider's model: --parallel
    assert gates["local"].queue == 5


def test_the_preloaded_model_is_sized_before_the_server_listens(
    isolated: Path, asked: list[tuple[int, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = model_file(isolated)
    (isolated / ".chi_llm.json").write_text(
        json.dumps({"providers": [{"id": "local", "type": "local", "model": path}]})
    )
    monkeypatch.setattr(LlamaCppGenerator, "load", lambda self, model=None: None)  # nothing loaded
    backends = Backends(wire(), Limits())
    backend = backends.get(Route())
    backends.load(backend)
    assert backend.gate.concurrency == 3 and asked == [(4, False)]


def held_engine(let_go: threading.Event) -> Callable[..., AsyncIterator[Chunk]]:
    """The engine's decoding, replaced: one token, then the slot is held until `let_go`."""

    async def astream(self: LlamaCppGenerator, request: GenerationRequest) -> AsyncIterator[Chunk]:
        yield Chunk(text="hi")
        while not let_go.is_set():
            await asyncio.sleep(0.01)
        done = Usage(prompt_tokens=1, completion_tokens=1)
        yield Chunk(finish_reason="stop", usage=done, timings=Timings(time_to_first_token=0, total=0))

    return astream


async def test_requests_past_the_granted_slots_queue_at_the_gate_and_get_429(
    tmp_path: Path, asked: list[tuple[int, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    let_go = threading.Event()
    monkeypatch.setattr(LlamaCppGenerator, "astream", held_engine(let_go))
    config = {"providers": [{"id": "tiny", "type": "local", "model": model_file(tmp_path)}], "default_provider": "tiny"}
    chat: Any = {"model": "tiny", "messages": [{"role": "user", "content": "go"}]}
    with in_process(config, tmp_path, limits=Limits(queue=1)) as running:
        url = running.api + "/chat/completions"

        def model() -> dict[str, Any]:
            models: dict[str, Any] = httpx.get(running.url + "/health").json()["models"]
            return next(iter(models.values())) if models else {}

        async with httpx.AsyncClient(timeout=30) as client:
            opened = []
            for _ in range(2):  # admission granted 3 of the 4 asked: these and one more run
                request = client.build_request("POST", url, json={**chat, "stream": True})
                opened.append(await client.send(request, stream=True))
                assert opened[-1].status_code == 200, await opened[-1].aread()
            await until(lambda: model().get("concurrency") == 3, "the gate sized to the engine's slots")
            third = await client.send(client.build_request("POST", url, json={**chat, "stream": True}), stream=True)
            opened.append(third)
            queued = asyncio.ensure_future(client.post(url, json=chat))
            await until(lambda: model().get("waiting") == 1, "the fourth waits at the gate")
            assert model() == {"running": 3, "waiting": 1, "concurrency": 3, "queue": 1}
            refused = await client.post(url, json=chat)  # granted + queue + 1
            assert refused.status_code == 429 and refused.json()["error"]["code"] == "queue_full"
            let_go.set()
            answer = await queued
            assert answer.status_code == 200, answer.text
            for response in opened:
                await response.aclose()
        assert asked == [(4, False)]
