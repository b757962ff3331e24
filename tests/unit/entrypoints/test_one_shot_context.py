"""One-shot CLI generations size the local context to the prompt when nobody configured one."""

from __future__ import annotations

from pathlib import Path

import pytest

from chi_llm.entrypoints.cli.options import MIN_CONTEXT, one_shot_context, wire_options


def sized(prompt: str, *, system: str | None, max_tokens: int | None) -> int | None:
    """The context for `prompt` under a command's options (resolved as the command does)."""
    return one_shot_context(prompt, wire_options(system=system, max_tokens=max_tokens).settings())


def test_a_short_prompt_gets_the_smallest_context(isolated: Path) -> None:
    assert sized("hi", system=None, max_tokens=16) == MIN_CONTEXT


def test_the_context_covers_every_byte_of_the_prompt_and_the_answer(isolated: Path) -> None:
    prompt = "é" * 600  # 1,200 UTF-8 bytes: at most 1,200 tokens
    size = sized(prompt, system="Be brief.", max_tokens=300)
    assert size is not None and size >= 1200 + 300 and size % 256 == 0
    assert sized("x" * 100_000, system=None, max_tokens=16) == 4096  # never above the configured


@pytest.mark.parametrize(("variable", "value"), [("CHI_LLM_CONTEXT", "2048"), ("CHI_LLM_PROVIDER_TYPE", "fake")])
def test_a_configured_context_or_a_remote_provider_is_left_alone(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert sized("hi", system=None, max_tokens=16) is None
