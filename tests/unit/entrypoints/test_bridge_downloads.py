"""`models/download` over the bridge against a hub stand-in on loopback: progress notifications,
`$/cancelRequest` mid-download, and the next download resuming the kept partial file."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chi_llm.entrypoints.bridge.server import Bridge
from tests.support.hub_server import Hub, hub_for_downloads

REPO, FILE = "lmstudio-community/gemma-3-270m-it-GGUF", "gemma-3-270m-it-Q4_K_M.gguf"
DATA = b"GGUF" + bytes((i * 31 + 7) % 256 for i in range(2_000_000))


@pytest.fixture
def hub(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    with hub_for_downloads(monkeypatch) as hub:
        hub.add(REPO, FILE, DATA)
        yield hub


def send(bridge: Bridge, rid: int | None, method: str, **params: Any) -> None:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if rid is not None:
        message["id"] = rid
    bridge.handle_line(json.dumps(message))


def messages(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def wait_for(output: io.StringIO, test: Any, seconds: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [m for m in messages(output) if test(m)]
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"nothing matched in {messages(output)[-5:]}")


def test_a_download_is_cancelled_mid_way_and_the_next_one_resumes(hub: Hub, isolated: Path) -> None:
    hub.pace = 0.05  # about 30 pieces: a second and a half
    output = io.StringIO()
    bridge = Bridge(output)
    send(bridge, 1, "models/download", model="gemma-3-270m")
    progress = wait_for(output, lambda m: m.get("method") == "models/download/progress" and m["params"]["done"] > 0)
    assert progress[0]["params"]["id"] == 1 and progress[0]["params"]["model"] == "gemma-3-270m"
    send(bridge, None, "$/cancelRequest", id=1)
    answer = wait_for(output, lambda m: m.get("id") == 1)[0]
    assert answer["error"]["code"] == -32800  # cancelled, well before the whole file came
    parts = [p for p in (isolated.parent / "chi_home").rglob("*.part") if p.is_file()]
    assert parts and 0 < parts[0].stat().st_size < len(DATA)
    kept = parts[0].stat().st_size

    hub.pace = 0.0
    hub.requests.clear()
    send(bridge, 2, "models/download", model="gemma-3-270m")
    second = wait_for(output, lambda m: m.get("id") == 2)[0]
    bridge.serve(io.BytesIO(json.dumps({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}).encode() + b"\n"))
    ranges = [r for method, _, r in hub.requests if method == "GET" and r]
    assert ranges and int(ranges[0].split("=")[1].rstrip("-")) == kept  # resumed, not restarted
    assert Path(second["result"]["path"]).read_bytes() == DATA  # verified against the hub's sha256


def test_a_hub_repository_is_pulled_with_the_file_chosen_and_why(hub: Hub, isolated: Path) -> None:
    hub.add("org/Tiny-GGUF", "tiny-Q4_K_M.gguf", DATA[:500_000])
    hub.add("org/Tiny-GGUF", "tiny-Q8_0.gguf", DATA)
    output = io.StringIO()
    bridge = Bridge(output)
    send(bridge, 1, "models/download", model="hf:org/Tiny-GGUF")
    answer = wait_for(output, lambda m: m.get("id") == 1)[0]
    assert answer["result"]["model"] == "hf:org/Tiny-GGUF/tiny-Q8_0.gguf", answer
    assert "chose tiny-Q8_0.gguf" in answer["result"]["chosen"]
    assert Path(answer["result"]["path"]).read_bytes() == DATA
    send(bridge, 2, "models/download", model="hf:org/Tiny-GGUF/../x.gguf")
    refused = wait_for(output, lambda m: m.get("id") == 2)[0]
    assert refused["error"]["data"]["kind"] == "invalid_request"
    assert "inside the repository" in refused["error"]["message"]
