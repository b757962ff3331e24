"""`chi-llm extract --schema` with hostile schemas (issue 22): a schema llama.cpp cannot take
exited 139 (SIGSEGV) and `--schema /dev/zero` gave a traceback; each is now exit 2 with a line that
says why. The real-model cases run as child processes with a memory limit."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest


def chi(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # a regression fails, not the machine

    return subprocess.run(
        [sys.executable, "-m", "chi_llm", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        preexec_fn=limited,
    )


@pytest.mark.parametrize(
    ("schema", "said"),
    [
        ('{"enum": []}', "$.enum: no value is allowed"),
        ('{"type": "object", "properties": {"a": {"enum": []}}, "required": ["a"]}', "$.properties.a.enum"),
        ('{"type": "string", "minLength": 1000000000}', "cannot fit"),
        ('{"type": "array", "items": {"type": "integer"}, "minItems": 10000000}', "cannot fit"),
        ('{"type": "string", "minLength": 9, "maxLength": 3}', "minLength 9 is above maxLength 3"),
    ],
)
def test_a_schema_llama_cpp_cannot_take_is_exit_2_not_a_crash(
    isolated: Path, default_model_path: Path, schema: str, said: str
) -> None:
    env = {**os.environ, "CHI_LLM_HOME": str(default_model_path.parent.parent)}
    done = chi(["extract", "Alice is 31", "--schema", schema], env)
    assert done.returncode == 2, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert said in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("value", ["a\u0013b", 'say "hi"', "\U0001f600"])
def test_enum_values_with_escapes_come_back_exactly(isolated: Path, default_model_path: Path, value: str) -> None:
    """A control character in an enum value aborted llama.cpp (exit 134), a quote crashed it (139)
    and an emoji could never be produced: the grammar's literals now match the JSON text."""
    env = {**os.environ, "CHI_LLM_HOME": str(default_model_path.parent.parent)}
    done = chi(["extract", "pick one", "--schema", json.dumps({"enum": [value]}), "--json"], env)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert json.loads(done.stdout)["value"] == value
