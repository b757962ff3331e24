"""Bad input a user can give gets one clear line and the documented exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import chi_llm
from chi_llm import InvalidRequest, MicroLLM
from tests.support.cli import run


@pytest.mark.parametrize("options", [{"stop": 5}, {"stop": [1]}, {"temperature": "hot"}, {"max_tokens": 2.5}])
def test_wrong_option_types_are_invalid_requests(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        MicroLLM().generate("hi", **options)


def test_documented_errors_are_importable() -> None:
    assert issubclass(chi_llm.AllProvidersFailed, chi_llm.ChiLlmError)
    assert issubclass(chi_llm.RateLimited, chi_llm.ChiLlmError)


@pytest.mark.parametrize("how", ["argument", "file", "stdin"])
def test_a_blank_prompt_is_refused_wherever_it_comes_from(isolated: Path, how: str) -> None:
    (isolated / "blank.txt").write_text("  \n\t\n")
    args = {"argument": ["generate", "   "], "file": ["generate", "-f", "blank.txt"], "stdin": ["generate", "-"]}[how]
    result = run(*args, stdin=" \n")
    assert result.exit_code == 2 and "was empty" in result.stderr


def test_text_that_is_not_utf8_is_refused_clearly(isolated: Path) -> None:
    (isolated / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    result = run("generate", "-f", "latin1.txt")
    assert result.exit_code == 2 and "not UTF-8" in result.stderr
