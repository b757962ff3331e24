"""The tool-calling benchmark's suite (benchmarks/tool_cases.json) and its scores, pure: no model,
no I/O beyond reading the case file. bench_tools.py runs the suite; the unit tests check these.

Per case:
- decision: a call was made exactly when one was expected (every case);
- tool: a call was expected and the expected tool was called (call cases);
- args: ...and that call's arguments have the expected values (strings compared without case or
  surrounding space, numbers by value) and contain the expected texts (call cases);
- schema-valid: each call made has arguments that validate against its tool's schema (a call of
  an unknown tool, or an answer chi_llm refused as unreadable, counts as one invalid call).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chi_llm.domain.structured import SchemaValidator
from chi_llm.domain.tools import Tool

CASES_FILE = Path(__file__).with_name("tool_cases.json")


@dataclass(frozen=True, slots=True, kw_only=True)
class Expect:
    call: bool
    tool: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)  # values the arguments must have
    contain: Mapping[str, str] = field(default_factory=dict)  # texts the arguments must contain


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    id: str
    prompt: str
    expect: Expect


@dataclass(frozen=True, slots=True, kw_only=True)
class Suite:
    system: str
    tools: tuple[Tool, ...]
    cases: tuple[Case, ...]

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.tools if t.name == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """What a backend answered: its calls (name, arguments), or the error chi_llm raised."""

    calls: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    decision: bool
    tool: bool | None  # None on a no-call case
    args: bool | None
    calls: int  # calls judged for schema validity (an error counts as one)
    valid_calls: int


def load_suite(path: Path = CASES_FILE) -> Suite:
    document = json.loads(path.read_text(encoding="utf-8"))
    tools = tuple(
        Tool(name=t["name"], description=t.get("description", ""), parameters=t["parameters"])
        for t in document["tools"]
    )
    cases = tuple(
        Case(
            id=c["id"],
            prompt=c["prompt"],
            expect=Expect(
                call=c["expect"]["call"],
                tool=c["expect"].get("tool"),
                args=c["expect"].get("args", {}),
                contain=c["expect"].get("args_contain", {}),
            ),
        )
        for c in document["cases"]
    )
    return Suite(system=document["system"], tools=tools, cases=cases)


def ideal(case: Case) -> Answer:
    """The answer that scores full marks: the expected tool with the expected values and texts."""
    if not case.expect.call or case.expect.tool is None:
        return Answer()
    return Answer(calls=((case.expect.tool, {**case.expect.args, **case.expect.contain}),))


def problems(suite: Suite, validator: SchemaValidator) -> list[str]:
    """What is wrong with the suite: every tool's schema is valid, case ids are unique, a call case
    names a tool of the suite, and its ideal answer validates against that tool's schema."""
    found = [f"tool {t.name}: {e}" for t in suite.tools for e in validator.check_schema(t.parameters)]
    ids = [case.id for case in suite.cases]
    found += [f"case id {i!r} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for case in suite.cases:
        expect = case.expect
        if not expect.call:
            if expect.tool or expect.args or expect.contain:
                found.append(f"{case.id}: a no-call case expects a tool or arguments")
            continue
        tool = suite.tool(expect.tool or "")
        if tool is None:
            found.append(f"{case.id}: expects tool {expect.tool!r}, which the suite does not offer")
            continue
        for _name, arguments in ideal(case).calls:
            found += [f"{case.id}: {e}" for e in validator.errors(dict(arguments), tool.parameters)]
    return found


def same(expected: Any, got: Any) -> bool:
    """Strings without case or surrounding space; numbers by value (a bool is no number)."""
    if isinstance(expected, str):
        return isinstance(got, str) and got.strip().casefold() == expected.strip().casefold()
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, int | float):
        return isinstance(got, int | float) and abs(got - expected) < 1e-9
    return bool(expected == got)


def _right_values(expect: Expect, arguments: Mapping[str, Any]) -> bool:
    values = all(name in arguments and same(value, arguments[name]) for name, value in expect.args.items())
    texts = all(
        isinstance(arguments.get(name), str) and text.casefold() in arguments[name].casefold()
        for name, text in expect.contain.items()
    )
    return values and texts


def score(suite: Suite, case: Case, answer: Answer, validator: SchemaValidator) -> Score:
    expect = case.expect
    called = bool(answer.calls) or answer.error is not None
    valid = 0
    for name, arguments in answer.calls:
        tool = suite.tool(name)
        valid += tool is not None and not validator.errors(dict(arguments), tool.parameters)
    calls = len(answer.calls) + (answer.error is not None)
    if not expect.call:
        return Score(decision=not called, tool=None, args=None, calls=calls, valid_calls=valid)
    mine = [arguments for name, arguments in answer.calls if name == expect.tool]
    return Score(
        decision=bool(answer.calls),
        tool=bool(mine),
        args=bool(mine) and _right_values(expect, mine[0]),
        calls=calls,
        valid_calls=valid,
    )


def _share(hits: Sequence[bool]) -> float | None:
    return sum(hits) / len(hits) if hits else None


def summary(scores: Sequence[Score]) -> dict[str, Any]:
    """The backend's row: cases, decision/tool/args shares (tool and args over the call cases),
    schema-valid share over the calls made (None when it made none) and the calls judged."""
    calls = sum(s.calls for s in scores)
    return {
        "cases": len(scores),
        "decision": _share([s.decision for s in scores]),
        "tool": _share([s.tool for s in scores if s.tool is not None]),
        "schema_valid": sum(s.valid_calls for s in scores) / calls if calls else None,
        "calls": calls,
        "args": _share([s.args for s in scores if s.args is not None]),
    }
