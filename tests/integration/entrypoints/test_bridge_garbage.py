"""The fault campaign's "bridge garbage" category, against the real `chi-llm bridge` process
under a memory limit: arbitrary bytes and lines (deep nesting, invalid UTF-8, huge lines, wrong
types for id, method and params, lone surrogates) always get the answers they must get, never
end the bridge, and a cheap request after each one still answers. Plus the names that are not
UTF-8 (issue 22, findings 9 and 11)."""

from __future__ import annotations

import json
import math
import os
import queue
import resource
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chi_llm.entrypoints.bridge.lines import MAX_LINE
from chi_llm.entrypoints.bridge.methods import METHODS

MEMORY = 768 * 1024 * 1024  # address space for the bridge (it peaks near 160 MiB): a regression fails here
SAFE = ["initialize", "$/cancelRequest", "models/info", "models/current", "providers/schema", "config/explain"]
SAFE += ["bootstrap/preview", "generate/start", "no/such", ""]  # no writes, no network (fake backend)
UNSAFE = {*METHODS, "shutdown", "exit"} - set(SAFE)


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


class Bridge:
    """The real bridge (fake backend) under RLIMIT_AS; stdout read on a thread, so a large
    request never deadlocks against a full answer pipe."""

    def __init__(self, cwd: Path | bytes, env: dict[str, str] | None = None, *, fake: bool = True) -> None:
        argv = [sys.executable, "-m", "chi_llm", "bridge", *(["--backend", "fake"] if fake else [])]
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, "MALLOC_ARENA_MAX": "2", **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            preexec_fn=limited,
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.pings = 0

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(b"")

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def until(self, done: Any, seconds: float = 60) -> list[dict[str, Any]]:
        """Messages read until `done(messages)`; fails when the bridge ends or falls silent."""
        got: list[dict[str, Any]] = []
        while not done(got):
            try:
                line = self.lines.get(timeout=seconds)
            except queue.Empty:
                raise AssertionError(f"the bridge fell silent; so far {got[-3:]}") from None
            assert line, f"the bridge ended (rc {self.process.wait(10)}); so far {got[-3:]}"
            got.append(strict(line))
        return got

    def call(self, rid: Any, method: str, **params: Any) -> dict[str, Any]:
        self.send(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}).encode() + b"\n")
        return responses(self.until(lambda got: any(m.get("id") == rid for m in responses(got))), rid)[0]

    def close(self) -> int:
        self.send(b'{"jsonrpc":"2.0","id":"bye","method":"shutdown"}\n')
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self.process.wait(timeout=60)


def strict(line: bytes) -> dict[str, Any]:
    """What a strict reader (serde_json, the TUI's) accepts: one UTF-8 JSON object per line, no
    NaN, no lone surrogate, and a JSON-RPC 2.0 envelope."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} is not JSON: {line[:200]!r}")

    message: dict[str, Any] = json.loads(line.decode("utf-8"), parse_constant=refuse)
    json.dumps(message, ensure_ascii=False).encode("utf-8")  # no lone surrogate, escaped or not
    assert message["jsonrpc"] == "2.0"
    if "method" not in message:
        assert ("result" in message) != ("error" in message), message
        if "error" in message:
            assert isinstance(message["error"]["code"], int) and message["error"]["message"]
    return message


def responses(messages: list[dict[str, Any]], rid: Any = ...) -> list[dict[str, Any]]:
    return [m for m in messages if "method" not in m and (rid is ... or m.get("id") == rid)]


def finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def expected_id(line: bytes) -> Any:
    """The id a line's response must carry: a valid request id, None for a line that is not a
    request object (one error with a null id), or ... when no answer or either is fine."""
    if not line.strip(b" \t\r\n"):  # JSON's whitespace only
        return ...
    if len(line) > MAX_LINE:
        return None
    try:
        message = json.loads(line.decode("utf-8"), parse_constant=refuse, parse_float=finite)
    except RecursionError:
        return ...  # deeper than this test's stack can parse: one error, with or without the id
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    rid = message.get("id")
    if isinstance(rid, (int, str)) and not isinstance(rid, bool) and not (isinstance(rid, str) and has_surrogate(rid)):
        return rid
    return None if rid is not None else ...


# -- what the garbage is made of -----------------------------------------------------------------
SURROGATES = st.sampled_from(["\ud800", "\udcff", "\udfff", "a\ud83d", "\ud83d\ude00"])
TEXT = st.text(max_size=12) | SURROGATES
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=10,
)
METHOD = st.sampled_from(SAFE) | st.text(max_size=8).filter(lambda m: m not in UNSAFE)
MESSAGES = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.sampled_from(["2.0", "1.0", 2, None]),
        "id": st.integers() | st.text(max_size=5) | SURROGATES | VALUES,
        "method": METHOD | VALUES.filter(lambda m: m not in UNSAFE if isinstance(m, str) else True),
        "params": VALUES
        | st.fixed_dictionaries({}, optional={"id": VALUES, "prompt": TEXT, "max_tokens": st.integers(-5, 50)}),
    },
).map(lambda m: json.dumps(m).encode())
DEEP = st.tuples(
    st.sampled_from(["[", '{"a":', '{"jsonrpc":"2.0","id":1,"method":"no/such","params":{"a":']),
    st.integers(1, 150_000),
).map(lambda t: (t[0] * t[1]).encode())
NUMBERS = st.sampled_from(["NaN", "Infinity", "1e999", "-1e999", "1" * 5000, "0.1e-99999"]).map(
    lambda n: ('{"jsonrpc":"2.0","id":3,"method":"no/such","params":{"x":' + n + "}}").encode()
)
GARBAGE = st.one_of(st.binary(max_size=300), MESSAGES, VALUES.map(lambda v: json.dumps(v).encode()), DEEP, NUMBERS)


def test_garbage_never_stops_the_bridge_and_every_request_is_answered(isolated: Path) -> None:
    bridge = Bridge(isolated)
    counter = iter(range(1_000_000))

    @settings(
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(GARBAGE.map(lambda b: b.replace(b"\n", b" ")))
    @example(b"[" * 100_000)  # the campaign's RecursionError
    @example(b"\x1c")  # whitespace to str.strip, not to JSON
    @example(b"\xff\xfe\x00 not utf-8")
    @example(b'{"jsonrpc":"2.0","id":"x","method":"no/such"' + b" " * MAX_LINE + b"}")  # over the line limit
    @example(b'{"jsonrpc":"2.0","id":5,"method":"$/cancelRequest","params":{"id":4}}')  # cancel as a request
    @example(b'{"jsonrpc":"2.0","id":6,"method":"bootstrap/preview","params":{"path":"\\udcff"}}')
    @example(b'{"jsonrpc":"2.0","id":[1],"method":"initialize"}')
    @example(b'{"jsonrpc":"2.0","id":7,"method":"generate/start","params":{"prompt":"a b","max_tokens":"x"}}')
    def feed(line: bytes) -> None:
        ping = f"\u2603ping-{next(counter)}"
        rid = expected_id(line)
        bridge.send(line + b"\n" + json.dumps({"jsonrpc": "2.0", "id": ping, "method": "initialize"}).encode() + b"\n")

        def done(got: list[dict[str, Any]]) -> bool:
            ids = [m.get("id") for m in responses(got)]
            return ping in ids and (rid is ... or rid is None or rid in ids)

        got = [m for m in responses(bridge.until(done)) if m.get("id") != ping]
        if rid is None:  # not a request: exactly one error, with a null id
            assert len(got) == 1 and got[0]["id"] is None and "error" in got[0], (line[:200], got)
        elif rid is not ...:
            assert [m["id"] for m in got] == [rid], (line[:200], got)
        else:
            assert len(got) <= 1 and all("error" in m for m in got), (line[:200], got)
        assert all(m.get("error", {}).get("code") != -32603 for m in got), (line[:200], got)  # no bug behind garbage

    try:
        feed()
        assert bridge.process.poll() is None
        assert bridge.call("last", "initialize")["result"]["protocol_version"] == "1"
    finally:
        assert bridge.close() == 0


def test_a_huge_line_is_skipped_in_bounded_memory(isolated: Path) -> None:
    bridge = Bridge(isolated)
    try:
        bridge.send(b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"x":"')
        chunk = b"y" * (1 << 20)
        for _ in range(1024):  # 1 GiB: reading it whole cannot fit under the limit
            bridge.send(chunk)
        bridge.send(b'"}}\n')
        refused = bridge.until(lambda got: len(got) == 1)[0]
        assert refused["id"] is None and refused["error"]["code"] == -32600
        assert bridge.call(2, "initialize")["result"]["protocol_version"] == "1"
    finally:
        assert bridge.close() == 0


def test_names_that_are_not_utf8_are_answered_escaped(isolated: Path) -> None:
    odd = os.fsencode(isolated) + b"/caf\xe9-\xff"
    os.mkdir(odd)
    snapshot = os.fsencode(isolated) + b"/hub/models--someone--repo/snapshots/abc"
    os.makedirs(snapshot)
    Path(os.fsdecode(snapshot + b"/m\xff.gguf")).write_bytes(b"GGUF")
    env = {"HF_HUB_CACHE": str(isolated / "hub"), "HOME": str(isolated / "home")}  # no other tool's models
    bridge = Bridge(odd, env, fake=False)
    try:
        preview = bridge.call(1, "bootstrap/preview", path=".", provider="ollama")
        assert all(f["path"].startswith(f"{isolated}/caf\\xe9-\\xff/") for f in preview["result"]["files"])
        installed = bridge.call(2, "models/installed")["result"]
        assert [m["path"] for m in installed] == [f"{isolated}/hub/models--someone--repo/snapshots/abc/m\\xff.gguf"]
        assert installed[0]["id"] == "hf-cache:someone/repo/m\\xff.gguf"
        refused = bridge.call(3, "bootstrap/preview", path="\udcff")
        assert refused["error"]["code"] == -32602
    finally:
        assert bridge.close() == 0
