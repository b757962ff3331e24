"""Tools named as FILE.py:function: loaded with their schema, and every mistake a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from chi_llm.domain.errors import InvalidRequest
from chi_llm.entrypoints.tool_files import load_all, load_tools, split_spec

SOURCE = '''
from typing import Literal

def weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """The weather in a city.

    Args:
        city: The city's name.
        unit: Celsius or Fahrenheit.
    """
    return f"sunny in {city}"

async def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b

def _hidden() -> None:
    pass

from os.path import join  # imported, not defined here: not a tool
'''


@pytest.fixture
def tools_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_tools.py"
    path.write_text(SOURCE)
    return path


def test_named_functions_become_tools_with_their_schema(tools_file: Path) -> None:
    (found,) = load_tools(f"{tools_file}:weather")
    assert found.name == "weather"
    assert found.tool.description.startswith("The weather in a city")
    assert found.tool.parameters["properties"]["unit"]["enum"] == ["c", "f"]
    assert found.tool.parameters["required"] == ["city"]
    assert found(city="Oslo") == "sunny in Oslo"


def test_a_file_alone_gives_its_public_functions_in_order(tools_file: Path) -> None:
    assert [t.name for t in load_tools(str(tools_file))] == ["weather", "add"]
    assert [t.name for t in load_tools(f"{tools_file}:add,weather")] == ["add", "weather"]


def test_several_specs_keep_their_order(tools_file: Path) -> None:
    assert [t.name for t in load_all([f"{tools_file}:add", f"{tools_file}:weather"])] == ["add", "weather"]


def test_a_colon_in_the_path_is_not_taken_for_names(tmp_path: Path) -> None:
    assert split_spec("C:/x/tools.py") == (Path("C:/x/tools.py"), [])
    assert split_spec("C:/x/tools.py:f,g") == (Path("C:/x/tools.py"), ["f", "g"])


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("{dir}/missing.py:f", "does not exist"),
        ("{dir}/notes.txt", "is not a Python file"),
        ("{file}:nothing", "has no function 'nothing' (its public functions: weather, add)"),
        ("{file}:_hidden,", "is not a Python file"),
    ],
)
def test_mistakes_say_what_to_do(tools_file: Path, spec: str, said: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        load_tools(spec.format(dir=tools_file.parent, file=tools_file))
    assert said in str(caught.value)


@pytest.mark.parametrize("body", ["def broken(:\n", "raise SystemExit(3)\n", "import not_a_module_here\n"])
def test_a_broken_file_is_a_clear_error(tmp_path: Path, body: str) -> None:
    path = tmp_path / "broken.py"
    path.write_text(body)
    with pytest.raises(InvalidRequest, match=r"importing tool file .* failed: .*fix the file"):
        load_tools(str(path))


def test_a_file_without_functions_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.py"
    path.write_text("X = 1\n")
    with pytest.raises(InvalidRequest, match="defines no public function"):
        load_tools(str(path))


def test_a_function_whose_schema_cannot_be_derived_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.py"
    path.write_text("def odd(x: object) -> None:\n    pass\n")
    with pytest.raises(InvalidRequest, match="odd"):
        load_tools(f"{path}:odd")
