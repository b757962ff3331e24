"""Pydantic models as tool parameters: their own schema (with `$defs` moved to the root, where
their `$ref`s point) and `model_validate` for the arguments; chi_llm never imports pydantic."""

from __future__ import annotations

from typing import Annotated

import pytest

from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.application.tools import describe, toolbox
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.tools import ToolCall

pydantic = pytest.importorskip("pydantic")


class Point(pydantic.BaseModel):  # type: ignore[misc,name-defined]
    x: float
    y: float


class Shape(pydantic.BaseModel):  # type: ignore[misc,name-defined]
    points: list[Point]

    @pydantic.field_validator("points")  # type: ignore[untyped-decorator]
    @classmethod
    def three_at_least(cls, points: list[Point]) -> list[Point]:
        if len(points) < 3:
            raise ValueError("a shape needs three points at least")
        return points


def area(shape: Shape, scale: Annotated[float, pydantic.Field(description="factor")] = 1.0) -> float:
    """The area of a polygon (shoelace formula)."""
    p = shape.points
    return scale * abs(sum(a.x * b.y - b.x * a.y for a, b in zip(p, p[1:] + p[:1], strict=True))) / 2


def test_the_models_schema_with_its_defs_at_the_root() -> None:
    schema = describe(area)[0].parameters
    assert schema["properties"]["shape"]["properties"]["points"]["items"] == {"$ref": "#/$defs/Point"}
    assert schema["$defs"]["Point"]["properties"]["x"]["type"] == "number"
    assert schema["properties"]["scale"] == {"type": "number", "description": "factor"}
    assert schema["required"] == ["shape"]


def test_arguments_become_the_model_and_its_validation_errors_name_the_argument() -> None:
    box = toolbox([area], JsonSchemaValidator())
    square = {"points": [{"x": 0, "y": 0}, {"x": 2, "y": 0}, {"x": 2, "y": 2}, {"x": 0, "y": 2}]}
    call = ToolCall(id="1", name="area", arguments={"shape": square, "scale": 2})
    assert box.run(call) == 8.0
    assert isinstance(box.arguments(call)["shape"], Shape)
    line = {"points": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]}
    with pytest.raises(InvalidRequest, match=r"tool 'area': argument 'shape' is not valid: .*three points"):
        box.run(ToolCall(id="2", name="area", arguments={"shape": line}))
    with pytest.raises(InvalidRequest, match=r"argument 'shape.points\[0\].y'.*required|'y' is a required"):
        box.run(ToolCall(id="3", name="area", arguments={"shape": {"points": [{"x": 0}]}}))
