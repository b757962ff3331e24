"""The tool-calling benchmark's case file and scores (benchmarks/tool_scoring.py), without a model."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from benchmarks.tool_scoring import (
    Answer,
    Case,
    Expect,
    Score,
    Suite,
    ideal,
    load_suite,
    problems,
    same,
    score,
    summary,
)
from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.domain.tools import Tool

VALIDATOR = JsonSchemaValidator()
TIMER = Tool(
    name="set_timer",
    parameters={
        "type": "object",
        "properties": {"minutes": {"type": "integer", "minimum": 1}, "label": {"type": "string"}},
        "required": ["minutes"],
    },
)
WEATHER = Tool(
    name="get_weather",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
        "required": ["city"],
    },
)
TEA = Case(
    id="tea",
    prompt="Timer, 5 minutes, tea.",
    expect=Expect(call=True, tool="set_timer", args={"minutes": 5}, contain={"label": "tea"}),
)
HELLO = Case(id="hello", prompt="Hi!", expect=Expect(call=False))
SUITE = Suite(system="", tools=(TIMER, WEATHER), cases=(TEA, HELLO))


def scored(case: Case, *calls: tuple[str, dict[str, Any]], error: str | None = None) -> Score:
    return score(SUITE, case, Answer(calls=calls, error=error), VALIDATOR)


def test_the_case_file_is_well_formed_balanced_and_has_typed_arguments() -> None:
    suite = load_suite()
    assert problems(suite, VALIDATOR) == []
    assert len(suite.cases) >= 40
    no_call = [c for c in suite.cases if not c.expect.call]
    assert 0.2 <= len(no_call) / len(suite.cases) <= 0.35
    for tool in suite.tools:  # every tool is the answer to several cases
        assert sum(c.expect.tool == tool.name for c in suite.cases) >= 4, tool.name
    values = [v for c in suite.cases for v in c.expect.args.values()]
    assert any(isinstance(v, int) and not isinstance(v, bool) for v in values)
    assert "fahrenheit" in values  # an enum value to extract
    assert all(score(suite, c, ideal(c), VALIDATOR) == _full(c) for c in suite.cases)


def _full(case: Case) -> Score:
    calls = 1 if case.expect.call else 0
    right = True if case.expect.call else None
    return Score(decision=True, tool=right, args=right, calls=calls, valid_calls=calls)


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        (replace(TEA, expect=replace(TEA.expect, tool="set_alarm")), "set_alarm"),
        (replace(TEA, expect=replace(TEA.expect, args={"minutes": "5"})), "not of type 'integer'"),
        (replace(TEA, expect=replace(TEA.expect, args={})), "'minutes' is a required property"),
        (replace(HELLO, expect=Expect(call=False, tool="set_timer")), "a no-call case expects"),
        (replace(HELLO, id="tea"), "used twice"),
    ],
)
def test_problems_names_each_mistake_in_a_suite(case: Case, problem: str) -> None:
    assert problems(SUITE, VALIDATOR) == []
    found = problems(replace(SUITE, cases=(TEA, case)), VALIDATOR)
    assert any(problem in line for line in found), found


def test_problems_names_a_tool_whose_schema_is_not_valid() -> None:
    broken = Tool(name="broken", parameters={"type": "object", "properties": {"x": {"type": "nonsense"}}})
    assert any(line.startswith("tool broken:") for line in problems(replace(SUITE, tools=(TIMER, broken)), VALIDATOR))


def test_the_right_call_scores_full_marks_whatever_the_case_of_its_strings() -> None:
    assert scored(TEA, ("set_timer", {"minutes": 5, "label": "Green TEA "})) == Score(
        decision=True, tool=True, args=True, calls=1, valid_calls=1
    )
    assert scored(HELLO) == Score(decision=True, tool=None, args=None, calls=0, valid_calls=0)


def test_a_call_where_none_was_needed_is_a_wrong_decision_but_may_be_schema_valid() -> None:
    assert scored(HELLO, ("get_weather", {"city": "Oslo"})) == Score(
        decision=False, tool=None, args=None, calls=1, valid_calls=1
    )


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ((), Score(decision=False, tool=False, args=False, calls=0, valid_calls=0)),
        ((("get_weather", {"city": "Oslo"}),), Score(decision=True, tool=False, args=False, calls=1, valid_calls=1)),
        (
            (("set_timer", {"minutes": 6, "label": "tea"}),),
            Score(decision=True, tool=True, args=False, calls=1, valid_calls=1),
        ),
        (
            (("set_timer", {"minutes": 5, "label": "coffee"}),),
            Score(decision=True, tool=True, args=False, calls=1, valid_calls=1),
        ),
        (
            (("set_timer", {"minutes": "5", "label": "tea"}),),
            Score(decision=True, tool=True, args=False, calls=1, valid_calls=0),
        ),
        (
            (("set_timer", {"minutes": 0, "label": "tea"}),),
            Score(decision=True, tool=True, args=False, calls=1, valid_calls=0),
        ),
        ((("set_alarm", {"minutes": 5}),), Score(decision=True, tool=False, args=False, calls=1, valid_calls=0)),
        (
            (("get_weather", {"city": "Oslo"}), ("set_timer", {"minutes": 5.0, "label": "tea"})),
            Score(decision=True, tool=True, args=True, calls=2, valid_calls=2),  # 5.0 is an integer to JSON Schema
        ),
    ],
)
def test_each_way_a_call_case_goes_wrong_costs_its_scores(
    calls: tuple[tuple[str, dict[str, Any]], ...], expected: Score
) -> None:
    assert scored(TEA, *calls) == expected


def test_an_answer_chi_llm_refused_is_wrong_everywhere_and_one_invalid_call() -> None:
    error = "InvalidRequest: the model's arguments for tool 'set_timer' are not JSON"
    assert scored(TEA, error=error) == Score(decision=False, tool=False, args=False, calls=1, valid_calls=0)
    assert scored(HELLO, error=error) == Score(decision=False, tool=None, args=None, calls=1, valid_calls=0)


@pytest.mark.parametrize(
    ("expected", "got", "equal"),
    [
        ("New York", " new york", True),
        ("New York", "New York City", False),
        (100, 100.0, True),
        (49.99, 49.99, True),
        (49.99, "49.99", False),
        (1, True, False),
        (True, 1, False),
        (True, True, True),
    ],
)
def test_same_compares_strings_without_case_and_numbers_by_value(expected: Any, got: Any, equal: bool) -> None:
    assert same(expected, got) is equal


def test_summary_counts_tool_and_args_over_call_cases_and_validity_over_calls() -> None:
    scores = [
        Score(decision=True, tool=True, args=True, calls=1, valid_calls=1),
        Score(decision=True, tool=True, args=False, calls=2, valid_calls=1),
        Score(decision=False, tool=False, args=False, calls=0, valid_calls=0),
        Score(decision=False, tool=None, args=None, calls=1, valid_calls=1),
    ]
    assert summary(scores) == {
        "cases": 4,
        "decision": 0.5,
        "tool": 2 / 3,
        "schema_valid": 3 / 4,
        "calls": 4,
        "args": 1 / 3,
    }
    assert summary([Score(decision=True, tool=None, args=None, calls=0, valid_calls=0)])["schema_valid"] is None
