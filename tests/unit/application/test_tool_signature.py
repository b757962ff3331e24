"""A tool from a Python function: name, description, and the parameters' JSON Schema from the
signature, type hints and docstring; what cannot be described is refused, naming the parameter."""

from __future__ import annotations

import dataclasses
import enum
import functools
from typing import Annotated, Any, Literal, Optional, TypedDict

import pytest
from typing_extensions import NotRequired  # typing's since 3.11; chi_llm supports 3.10

from chi_llm.application.tools import describe, tool
from chi_llm.application.type_schema import schema_for
from chi_llm.domain.errors import InvalidRequest


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Shade(enum.Enum):
    LIGHT = (1, 2)  # not a JSON value


@dataclasses.dataclass
class Place:
    city: str
    country: str | None = None


class Window(TypedDict):
    start: int
    end: NotRequired[int]


@dataclasses.dataclass
class Node:
    name: str
    children: list[Node] = dataclasses.field(default_factory=list)


def weather(
    place: Place,
    unit: Unit,
    days: Annotated[int, "how many days ahead"] = 1,
    mode: Literal["brief", "full"] = "brief",
    tags: list[str] | None = None,
    window: Optional[Window] = None,  # noqa: UP045 - Optional is what users write too
    extra: dict[str, float] | None = None,
    at: tuple[float, float] | None = None,
) -> str:
    """Get the weather forecast.

    It reads a public forecast.

    Args:
        place: Where to look.
        unit: The unit of temperatures.
        days: Ignored: Annotated says it first.
    """
    return ""


def test_the_schema_follows_the_signature_hints_and_docstring() -> None:
    made, hints = describe(weather)
    assert made.name == "weather"
    assert made.description == "Get the weather forecast.\n\nIt reads a public forecast."
    schema = made.parameters
    assert schema["required"] == ["place", "unit"] and schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["place"] == {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        "required": ["city"],
        "additionalProperties": False,
        "description": "Where to look.",
    }
    assert props["unit"] == {"enum": ["celsius", "fahrenheit"], "description": "The unit of temperatures."}
    assert props["days"] == {"type": "integer", "description": "how many days ahead"}
    assert props["mode"] == {"enum": ["brief", "full"]}
    assert props["tags"] == {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]}
    window = props["window"]["anyOf"][0]
    assert window["required"] == ["start"] and set(window["properties"]) == {"start", "end"}
    assert props["extra"]["anyOf"][0] == {"type": "object", "additionalProperties": {"type": "number"}}
    pair = props["at"]["anyOf"][0]
    assert pair["prefixItems"] == [{"type": "number"}] * 2 and pair["minItems"] == pair["maxItems"] == 2
    assert hints["place"] is Place and hints["unit"] is Unit


def test_a_recursive_type_refers_to_its_definition_at_the_root() -> None:
    def tree(root: Node) -> None: ...

    schema = describe(tree)[0].parameters
    node = schema["$defs"]["Node"]
    assert node["properties"]["children"] == {"type": "array", "items": {"$ref": "#/$defs/Node"}}
    assert schema["properties"]["root"] == node
    assert schema_for(Node)[0]["$defs"] == {"Node": node}  # extract's schemas too


def test_name_and_description_can_be_given() -> None:
    made = tool(weather, name="forecast", description="Forecasts.").tool
    assert (made.name, made.description) == ("forecast", "Forecasts.")


def test_async_functions_methods_partials_and_callable_objects() -> None:
    async def fetch(url: str) -> str:
        """Fetch a page."""
        return url

    class Counter:
        def add(self, amount: int) -> int:
            return amount

        async def __call__(self, text: str) -> str:
            return text

    assert tool(fetch).is_async and not tool(weather).is_async
    assert tool(Counter().add).tool.parameters["required"] == ["amount"]
    bound = tool(functools.partial(fetch, url="x"))
    assert bound.name == "fetch" and bound.is_async and bound.tool.description == "Fetch a page."
    assert bound.tool.parameters["required"] == []  # the partial gave it a default
    called = tool(Counter(), name="echo")
    assert called.is_async and called.tool.parameters["properties"] == {"text": {"type": "string"}}


def test_the_decorator_keeps_the_function_callable() -> None:
    @tool(name="double_it")
    def double(x: int) -> int:
        return 2 * x

    @tool
    def triple(x: int) -> int:
        return 3 * x

    assert double(4) == 8 and double.name == "double_it"
    assert triple(2) == 6 and triple.name == "triple"


def test_an_explicit_schema_is_kept_as_given() -> None:
    schema = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    made = tool(weather, name="search", parameters=schema)
    assert made.tool.parameters == schema and made.hints == {}
    assert made.tool.description.startswith("Get the weather forecast.")


def f_args(*names: str) -> None: ...
def f_kwargs(**options: int) -> None: ...
def f_positional(x: int, /) -> None: ...
def f_unannotated(x) -> None: ...  # type: ignore[no-untyped-def]
def f_unmappable(x: complex) -> None: ...
def f_nested(x: list[set[complex]]) -> None: ...
def f_enum_of_objects(x: Shade) -> None: ...
def f_literal_member(x: Literal[Unit.CELSIUS]) -> None: ...


@pytest.mark.parametrize(
    ("function", "parameter"),
    [
        (f_args, "*names"),
        (f_kwargs, "**options"),
        (f_positional, "x"),
        (f_unannotated, "'x'"),
        (f_unmappable, "'x'"),
        (f_nested, "'x'"),
        (f_enum_of_objects, "'x'"),
        (f_literal_member, "'x'"),
    ],
)
def test_what_cannot_be_described_is_refused_naming_function_and_parameter(function: Any, parameter: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        tool(function)
    message = str(caught.value)
    assert f"test_tool_signature.{function.__name__}" in message and f"parameter {parameter}" in message


def test_a_name_no_provider_accepts_is_refused_with_the_way_out() -> None:
    with pytest.raises(InvalidRequest, match=r"<lambda>.*not allowed.*tool\(function, name=...\)"):
        tool(lambda x: x)  # no hints either, but the name is checked first

    class Echo:
        def __call__(self, text: str) -> str:
            return text

    for schema in (None, {"type": "object"}):
        with pytest.raises(InvalidRequest, match=r"Echo has no name.*tool\(function, name=...\)"):
            tool(Echo(), parameters=schema)
    with pytest.raises(InvalidRequest, match="takes a function"):
        tool(42)  # type: ignore[call-overload]


def test_an_unresolvable_hint_is_refused_naming_the_function() -> None:
    def broken(x: NoSuchType) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(InvalidRequest, match=r"cannot read the type hints of .*broken"):
        tool(broken)
