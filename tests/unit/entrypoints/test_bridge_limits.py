"""The bridge's limits, in process: nesting, line length, undecodable bytes, lone surrogates,
answers that cannot be encoded, slow methods that must not starve quick ones, and
`$/cancelRequest` sent as a request (issue 22, finding 11)."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chi_llm.entrypoints.bridge.calls import Call
from chi_llm.entrypoints.bridge.lanes import MAX_IN_FLIGHT, SLOW_LANES
from chi_llm.entrypoints.bridge.lines import MAX_LINE
from chi_llm.entrypoints.bridge.protocol import MAX_DEPTH
from chi_llm.entrypoints.bridge.server import Bridge
from tests.support.bridge_replay import SCHEMA

ROOT = json.loads(SCHEMA.read_text(encoding="utf-8"))


def request(rid: int | str | None, method: str, **params: Any) -> str:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if rid is not None:
        message["id"] = rid
    return json.dumps(message)


def strict(line: str) -> dict[str, Any]:
    """A message as a strict JSON reader (serde_json, the TUI's) reads it: no NaN, no lone surrogate."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} is not JSON")

    message: dict[str, Any] = json.loads(line, parse_constant=refuse)
    json.dumps(message, ensure_ascii=False).encode("utf-8")  # no lone surrogate, raw or escaped
    return message


def messages(output: io.StringIO) -> list[dict[str, Any]]:
    return [strict(line) for line in output.getvalue().splitlines()]


def answer(output: io.StringIO, rid: Any, seconds: float = 5) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [m for m in messages(output) if m.get("id") == rid and "method" not in m]
        if found:
            jsonschema.validate(found[0], ROOT)  # an envelope the protocol's schema describes
            return found[0]
        time.sleep(0.01)
    raise AssertionError(f"no answer to {rid!r} in {seconds} s: {messages(output)[-5:]}")


def answers(output: io.StringIO, rids: list[Any], seconds: float = 20) -> dict[Any, dict[str, Any]]:
    """The answers to all of `rids`, once each has one."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = {m.get("id"): m for m in messages(output) if "method" not in m and m.get("id") in rids}
        if len(found) == len(rids):
            return found
        time.sleep(0.05)
    raise AssertionError(f"not all of {rids} answered in {seconds} s")


def quick(call: Call) -> Any:
    return {"echo": call.params.get("x")}


def finish(bridge: Bridge) -> None:
    bridge.serve(io.BytesIO(request("bye", "shutdown").encode() + b"\n"))


# -- nesting -------------------------------------------------------------------------------------
@pytest.mark.parametrize("line", ["[" * 100_000, '{"a":' * 100_000, "[" * 100_000 + "]" * 100_000])
def test_a_line_nested_without_end_is_a_parse_error_and_the_bridge_goes_on(line: str) -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"quick": quick})
    bridge.handle_line(line)
    bridge.handle_line(request(2, "quick", x=1))
    first = messages(output)[0]
    assert first["id"] is None and first["error"]["code"] in (-32700, -32600)
    assert answer(output, 2)["result"] == {"echo": 1}
    finish(bridge)


def test_params_nested_deeper_than_the_limit_are_invalid_params() -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"quick": quick})
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    bridge.handle_line('{"jsonrpc":"2.0","id":1,"method":"quick","params":{"x":' + deep + "}}")
    shallow = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    bridge.handle_line('{"jsonrpc":"2.0","id":2,"method":"quick","params":{"x":' + shallow + "}}")
    refused = answer(output, 1)["error"]
    assert refused["code"] == -32602 and str(MAX_DEPTH) in refused["message"]
    assert "result" in answer(output, 2)
    finish(bridge)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_numbers_json_does_not_have_are_refused(number: str) -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"quick": quick})
    bridge.handle_line('{"jsonrpc":"2.0","id":1,"method":"quick","params":{"x":' + number + "}}")
    finish(bridge)
    assert messages(output)[0]["error"]["code"] == -32700


# -- bytes and lines -----------------------------------------------------------------------------
def test_bytes_that_are_not_utf8_are_a_parse_error_and_the_next_line_is_read() -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"quick": quick})
    garbage = b'{"jsonrpc":"2.0","id":1,"method":"quick","params":{"x":"\xff\xfe"}}\n'
    bridge.serve(io.BytesIO(garbage + request(2, "quick", x="ok").encode() + b"\n" + request(3, "shutdown").encode()))
    got = messages(output)
    assert got[0]["id"] is None and got[0]["error"]["code"] == -32700 and "UTF-8" in got[0]["error"]["message"]
    assert answer(output, 2)["result"] == {"echo": "ok"} and answer(output, 3)["result"] == {}


def test_a_line_longer_than_the_limit_is_refused_without_reading_it_whole() -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"quick": quick})
    too_long = b'{"jsonrpc":"2.0","id":1,"method":"quick","params":{"x":"' + b"y" * MAX_LINE + b'"}}\n'
    fits = request(2, "quick", x="y" * (MAX_LINE - 200)).encode() + b"\n"
    bridge.serve(
        io.BytesIO(too_long + fits + request(3, "quick", x=3).encode() + b"\n" + request(4, "shutdown").encode())
    )
    got = messages(output)
    refused = next(m for m in got if m.get("id") is None)
    assert refused["error"]["code"] == -32600 and f"{MAX_LINE // 1024 // 1024} MiB" in refused["error"]["message"]
    assert answer(output, 2)["result"]["echo"] == "y" * (MAX_LINE - 200) and answer(output, 3)["result"] == {"echo": 3}
    assert len(got) == 4


# -- surrogates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    ['{"x":"\\ud800"}', '{"x":["a","\\udcff"]}', '{"\\udfff":1}', '{"x":{"y":"ok \\ud83d"}}'],
)
def test_lone_surrogates_in_params_are_invalid_params(params: str) -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"quick": quick})
    bridge.handle_line('{"jsonrpc":"2.0","id":7,"method":"quick","params":' + params + "}")
    bridge.handle_line('{"jsonrpc":"2.0","id":8,"method":"quick","params":{"x":"\\ud83d\\ude00"}}')  # a pair: fine
    refused = answer(output, 7)["error"]
    assert refused["code"] == -32602 and "surrogate" in refused["message"]
    assert answer(output, 8)["result"] == {"echo": "\U0001f600"}
    finish(bridge)


def test_a_lone_surrogate_in_the_id_or_method_is_answered_without_echoing_it() -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"quick": quick})
    bridge.handle_line('{"jsonrpc":"2.0","id":"\\ud800","method":"quick"}')
    bridge.handle_line('{"jsonrpc":"2.0","id":2,"method":"qu\\udcffick"}')
    finish(bridge)
    got = messages(output)
    assert got[0]["id"] is None and got[0]["error"]["code"] == -32600
    assert answer(output, 2)["error"]["code"] == -32601 and "\\udcff" in answer(output, 2)["error"]["message"]


# -- answers that cannot be encoded --------------------------------------------------------------
def test_a_name_that_is_not_utf8_is_answered_escaped() -> None:
    name = os.fsdecode(b"/models/caf\xe9-\xff.gguf")  # surrogate-escaped, as os.listdir gives it

    def odd(call: Call) -> Any:
        call.notify("odd/progress", {"path": name})
        return {"path": Path(name), "names": [name], name: 1}

    output = io.StringIO()
    bridge = Bridge(output, methods={"odd": odd})
    bridge.handle_line(request(1, "odd"))
    got = answer(output, 1)["result"]
    assert got["path"] == got["names"][0] == "/models/caf\\xe9-\\xff.gguf" and got["/models/caf\\xe9-\\xff.gguf"] == 1
    assert messages(output)[0]["params"]["path"] == "/models/caf\\xe9-\\xff.gguf"
    finish(bridge)


def test_an_answer_that_cannot_be_encoded_is_an_internal_error_not_silence() -> None:
    loop: list[Any] = []
    loop.append(loop)

    def nan(call: Call) -> Any:
        return {"rate": float("nan")}

    def circular(call: Call) -> Any:
        return {"x": loop}

    output = io.StringIO()
    bridge = Bridge(output, methods={"nan": nan, "circular": circular})
    bridge.handle_line(request(1, "nan"))
    bridge.handle_line(request(2, "circular"))
    finish(bridge)
    for rid in (1, 2):
        error = answer(output, rid)["error"]
        assert error["code"] == -32603 and error["message"]


def test_an_output_that_refuses_the_text_still_gets_an_answer_for_the_request() -> None:
    class Picky(io.StringIO):
        def write(self, text: str) -> int:
            if "refuse-me" in text:
                raise UnicodeEncodeError("utf-8", text, 0, 1, "refused by the stream")
            return super().write(text)

    def refused(call: Call) -> Any:
        return {"x": "refuse-me"}

    output = Picky()
    bridge = Bridge(output, methods={"refused": refused})
    bridge.handle_line(request(1, "refused"))
    finish(bridge)
    assert answer(output, 1)["error"]["code"] == -32603


# -- slow methods must not starve the others -----------------------------------------------------
def test_slow_network_calls_never_hold_up_quick_ones_and_too_many_are_busy() -> None:
    release = threading.Event()

    def hang(call: Call) -> Any:
        release.wait(20)
        return {"tested": True}

    output = io.StringIO()
    bridge = Bridge(output, methods={"providers/test": hang, "quick": quick})
    cap = SLOW_LANES["providers/test"]
    for rid in range(1, 11):
        bridge.handle_line(request(rid, "providers/test", provider="ollama"))
    started = time.monotonic()
    bridge.handle_line(request(99, "quick", x="fast"))
    assert answer(output, 99)["result"] == {"echo": "fast"} and time.monotonic() - started < 2
    busy = [answer(output, rid) for rid in range(cap + 1, 11)]
    assert all(b["error"]["code"] == -32000 and b["error"]["data"]["kind"] == "busy" for b in busy)
    assert f"{cap} providers/test" in busy[0]["error"]["message"]
    release.set()
    assert all(answer(output, rid)["result"] == {"tested": True} for rid in range(1, cap + 1))
    bridge.handle_line(request(20, "providers/test"))  # the lane is free again
    assert answer(output, 20)["result"] == {"tested": True}
    finish(bridge)


def test_more_requests_in_flight_than_the_cap_are_busy_and_the_bridge_goes_on() -> None:
    release = threading.Event()

    def hang(call: Call) -> Any:
        release.wait(20)
        return {}

    output = io.StringIO()
    bridge = Bridge(output, methods={"config/read": hang, "quick": quick})
    for rid in range(MAX_IN_FLIGHT + 3):
        bridge.handle_line(request(rid, "config/read"))
    busy = answers(output, list(range(MAX_IN_FLIGHT, MAX_IN_FLIGHT + 3)))
    assert all(b["error"]["data"]["kind"] == "busy" for b in busy.values())
    release.set()
    assert all("result" in a for a in answers(output, list(range(MAX_IN_FLIGHT))).values())
    bridge.handle_line(request("after", "quick", x=1))
    assert answer(output, "after")["result"] == {"echo": 1}
    finish(bridge)


# -- $/cancelRequest as a request ----------------------------------------------------------------
def test_cancel_sent_as_a_request_is_answered_and_still_cancels() -> None:
    def slow(call: Call) -> Any:
        call.cancelled.wait(10)
        return {"finished": True}

    output = io.StringIO()
    bridge = Bridge(output, methods={"slow": slow})
    bridge.handle_line(request(1, "slow"))
    bridge.handle_line(request(2, "$/cancelRequest", id=1))
    bridge.handle_line(request(3, "$/cancelRequest", id="not-running"))
    bridge.handle_line(request(4, "$/cancelRequest"))
    bridge.handle_line(request(5, "$/cancelRequest", id=[1]))
    assert answer(output, 2)["result"] == {}
    jsonschema.validate(answer(output, 2)["result"], ROOT["x-methods"]["$/cancelRequest"]["result"])
    assert answer(output, 1)["error"]["code"] == -32800
    assert answer(output, 3)["result"] == {}  # nothing to cancel (finished already): not an error
    assert answer(output, 4)["error"]["code"] == -32602 and answer(output, 5)["error"]["code"] == -32602
    finish(bridge)


def test_an_unknown_method_is_named_shortly_in_the_error() -> None:
    output = io.StringIO()
    bridge = Bridge(output, methods={"quick": quick})
    bridge.handle_line(request(1, "m" * 1_000_000))
    finish(bridge)
    error = answer(output, 1)["error"]
    assert error["code"] == -32601 and len(error["message"]) < 200 and error["message"].startswith("no method 'mmm")


def test_a_client_that_stopped_reading_is_logged_once_and_the_bridge_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    bridge = Bridge(Gone(), methods={"quick": quick})
    lines = b"".join(request(i, "quick").encode() + b"\n" for i in range(5)) + b"not json\n"
    bridge.serve(io.BytesIO(lines + request("bye", "shutdown").encode()))
    gone = [r for r in caplog.records if "output is gone" in r.getMessage()]
    assert len(gone) == 1 and not any(r.exc_info for r in caplog.records)


def test_a_method_that_exits_its_thread_still_answers() -> None:
    def exits(call: Call) -> Any:
        raise SystemExit(3)  # a library calling sys.exit() would end the worker thread silently

    output = io.StringIO()
    bridge = Bridge(output, methods={"exits": exits, "quick": quick})
    bridge.handle_line(request(1, "exits"))
    bridge.handle_line(request(2, "quick", x=2))
    finish(bridge)
    assert answer(output, 1)["error"]["code"] == -32603 and answer(output, 2)["result"] == {"echo": 2}
