"""The toolbox: a ToolSet from functions, async functions, tool(...) values and bare Tools; a
call's JSON arguments validated and turned back into the function's types; sync and async runs."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
import threading
from typing import Any, TypedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.application.tools import FunctionTool, tool, toolbox
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.tools import Tool, ToolCall

VALIDATOR = JsonSchemaValidator()


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


@dataclasses.dataclass(frozen=True)
class Place:
    city: str
    unit: Unit
    tags: tuple[str, ...] = ()
    near: Place | None = None


class Span(TypedDict):
    start: int
    end: int


def locate(place: Place, spans: list[Span], scale: float = 1.0) -> dict[str, Any]:
    """Record where."""
    return {"place": place, "spans": spans, "scale": scale}


async def fetch(url: str) -> str:
    """Fetch a page."""
    await asyncio.sleep(0)
    return f"page {url}"


def call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(id=f"call_{name}", name=name, arguments=arguments)


def test_a_mix_of_tools_gives_the_toolset_and_runners() -> None:
    declared = Tool(name="lookup", description="Look up.")
    box = toolbox([locate, fetch, tool(len, name="size", parameters={"type": "object"}), declared], VALIDATOR,
                  choice="fetch", parallel=False)  # fmt: skip
    assert [t.name for t in box.tools.tools] == ["locate", "fetch", "size", "lookup"]
    assert (box.tools.choice, box.tools.parallel) == ("fetch", False)
    assert set(box.runners) == {"locate", "fetch", "size"} and box.runner("fetch").is_async
    with pytest.raises(InvalidRequest, match="'lookup' was offered without a function"):
        box.run(call("lookup"))
    with pytest.raises(InvalidRequest, match=r"tool 'nope', which was not offered \(offered: locate, fetch"):
        box.arguments(call("nope"))


def test_arguments_become_dataclasses_enums_typeddicts_and_floats() -> None:
    box = toolbox([locate], VALIDATOR)
    place = {"city": "Oslo", "unit": "celsius", "tags": ["cold"], "near": {"city": "Bergen", "unit": "fahrenheit"}}
    result = box.run(call("locate", place=place, spans=[{"start": 1, "end": 2}], scale=2))
    assert result["place"] == Place("Oslo", Unit.CELSIUS, ("cold",), Place("Bergen", Unit.FAHRENHEIT))
    assert result["spans"] == [{"start": 1, "end": 2}]
    assert result["scale"] == 2.0 and isinstance(result["scale"], float)


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ({}, "'place' is a required property"),
        ({"place": {"city": "x", "unit": "kelvin"}, "spans": []}, "argument 'place.unit': 'kelvin' is not one of"),
        ({"place": {"city": "x", "unit": "celsius"}, "spans": [{"start": "a", "end": 1}]}, "argument 'spans[0].start'"),
        ({"place": {"city": "x", "unit": "celsius"}, "spans": [], "extra": 1}, "('extra' was unexpected)"),
    ],
)
def test_arguments_that_do_not_follow_the_schema_are_refused_naming_tool_and_argument(
    arguments: dict[str, Any], said: str
) -> None:
    ran: list[Any] = []
    box = toolbox([tool(lambda **kw: ran.append(kw), name="locate", parameters=tool(locate).tool.parameters)],
                  VALIDATOR)  # fmt: skip
    with pytest.raises(InvalidRequest) as caught:
        box.run(call("locate", **arguments))
    assert "tool 'locate'" in str(caught.value) and said in str(caught.value)
    assert ran == []  # nothing ran


def test_a_types_own_check_is_reported_naming_the_argument() -> None:
    @dataclasses.dataclass
    class Age:
        years: int

        def __post_init__(self) -> None:
            if self.years < 0:
                raise ValueError("an age is not negative")

    def birthday(age: Age) -> int:
        return age.years + 1

    birthday.__annotations__["age"] = Age  # a local class: give the hint as the object itself
    box = toolbox([birthday], VALIDATOR)
    assert box.run(call("birthday", age={"years": 3})) == 4
    with pytest.raises(InvalidRequest, match="tool 'birthday': argument 'age' is not valid: an age is not negative"):
        box.run(call("birthday", age={"years": -1}))


def test_duplicate_names_are_refused_naming_where_each_came_from() -> None:
    def other() -> None: ...

    with pytest.raises(InvalidRequest) as caught:
        toolbox([fetch, tool(other, name="fetch")], VALIDATOR)
    message = str(caught.value)
    assert "'fetch' by tests.unit.application.test_toolbox.fetch and " in message and "<locals>.other" in message
    with pytest.raises(InvalidRequest, match="'lookup' by a Tool object and a Tool object"):
        toolbox([Tool(name="lookup"), Tool(name="lookup")], VALIDATOR)


def test_bad_items_and_bad_explicit_schemas_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="tools are functions, Tool objects or tool"):
        toolbox([42], VALIDATOR)  # type: ignore[list-item]
    bad = tool(fetch, name="bad", parameters={"type": "object", "properties": {"x": {"type": "nonsense"}}})
    with pytest.raises(InvalidRequest, match="tool 'bad': its parameters are not a valid JSON Schema"):
        toolbox([bad], VALIDATOR)
    with pytest.raises(InvalidRequest, match="FunctionTool pairs a Tool with a callable"):
        FunctionTool(tool=Tool(name="x"), function=42)  # type: ignore[arg-type]


def test_async_and_sync_tools_run_both_ways() -> None:
    box = toolbox([fetch, locate], VALIDATOR)
    assert box.run(call("fetch", url="a")) == "page a"  # its own event loop

    async def main() -> list[Any]:
        with pytest.raises(InvalidRequest, match="is async and an event loop is running"):
            box.run(call("fetch", url="a"))
        return list(await asyncio.gather(box.arun(call("fetch", url="b")), box.arun(call("fetch", url="c"))))

    assert asyncio.run(main()) == ["page b", "page c"]


def test_arun_runs_sync_tools_off_the_event_loop() -> None:
    seen: list[int | None] = []
    loop_thread = threading.get_ident()

    def where() -> str:
        """Which thread ran it."""
        seen.append(threading.get_ident())
        return "ok"

    assert asyncio.run(toolbox([where], VALIDATOR).arun(call("where"))) == "ok"
    assert seen and seen[0] != loop_thread


def test_a_tools_own_exception_propagates_unchanged() -> None:
    def boom() -> None:
        raise KeyError("inside the tool")

    with pytest.raises(KeyError, match="inside the tool"):
        toolbox([boom], VALIDATOR).run(call("boom"))


places: st.SearchStrategy[Place] = st.deferred(
    lambda: st.builds(
        Place,
        city=st.text(max_size=20),
        unit=st.sampled_from(Unit),
        tags=st.lists(st.text(max_size=5), max_size=3).map(tuple),
        near=st.none() | places,
    )
)


@given(place=places, spans=st.lists(st.fixed_dictionaries({"start": st.integers(), "end": st.integers()}), max_size=3))
def test_a_dataclass_argument_round_trips_through_json(place: Place, spans: list[Span]) -> None:
    box = toolbox([locate], VALIDATOR)
    as_json = json.loads(json.dumps({"place": _plain(place), "spans": spans}))
    assert box.arguments(ToolCall(id="1", name="locate", arguments=as_json)) == {"place": place, "spans": spans}


def _plain(value: Any) -> Any:
    """What a model would send for a value: dataclasses as objects, enums as their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
near_places = st.fixed_dictionaries(
    {"city": json_values, "unit": st.sampled_from(["celsius", "kelvin", 3]) | json_values},
    optional={"tags": json_values, "near": json_values},
)


@given(
    arguments=st.dictionaries(
        st.sampled_from(["place", "spans", "scale", "other"]), near_places | json_values, max_size=4
    )
)
def test_whatever_a_model_sends_is_converted_or_refused_never_a_crash(arguments: dict[str, Any]) -> None:
    box = toolbox([locate], VALIDATOR)
    outcome = _attempt(lambda: box.arguments(ToolCall(id="1", name="locate", arguments=arguments)))
    if isinstance(outcome, InvalidRequest):
        assert "tool 'locate'" in str(outcome)
    else:
        assert isinstance(outcome["place"], Place) and set(outcome) <= {"place", "spans", "scale"}


def _attempt(action: Any) -> Any:
    """What `action` returns, or the InvalidRequest it raises (anything else fails the test)."""
    try:
        return action()
    except InvalidRequest as exc:
        return exc
