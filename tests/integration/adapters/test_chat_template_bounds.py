"""A GGUF file's chat template is code from wherever the file came from: a hostile one is stopped
within a budget of work, time and memory (in bounded child processes, and on the real model) with
a clear error, never a traceback, a hang or the machine's memory."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.cli import run

HOSTILE = {
    "nested ranges": "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
    "nested ranges with output": "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}",
    "a huge range": "{% for i in range(10**12) %}{% endfor %}",
    "text times a huge number": "{{ 'x' * 10000000000 }}",
    "a list times a huge number": "{{ ['x'] * 10000000000 }}",
    "a huge power": "{{ 10 ** 100000000 }}",
    "a wide centre": "{{ 'x' | center(1000000000) }}",
    "a wide ljust": "{{ 'x'.ljust(1000000000) }}",
    "a wide %-format": "{{ '%999999999s' % 'x' }}",
    "a wide str.format": "{{ '{:>999999999}'.format('x') }}",
    "a wide format filter": "{{ '%999999999s' | format('x') }}",
    "doubling text": "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "a recursive macro": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
}


def _render_in_a_child(template: str) -> subprocess.CompletedProcess[str]:
    """Render in a child under a 2 GiB address-space limit and a timeout: a regression fails this
    test instead of hanging the run or taking the machine's memory."""
    code = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        from chi_llm.domain.errors import ChiLlmError
        from chi_llm.domain.messages import Message
        from tests.support.chat_templates import formatter
        try:
            formatter({template!r})([Message(role="user", content="hi")])
        except ChiLlmError as exc:
            print(type(exc).__name__, exc)
            sys.exit(0)
        print("rendered")
        """
    )
    root = Path(__file__).resolve().parents[3]
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=root, check=False
    )


@pytest.mark.parametrize("template", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_template_is_stopped_with_a_clear_error(template: str) -> None:
    done = _render_in_a_child(template)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ModelCorrupt the chat template in crafted.gguf"), done.stdout


def _with_template(source: Path, target: Path, template: str) -> Path:
    """The real model file with its chat template's bytes replaced in place (same length)."""
    from chi_llm.adapters.models.gguf import read_metadata

    original = str(read_metadata(source)["tokenizer.chat_template"]).encode()
    replacement = template.encode()
    assert len(replacement) <= len(original)
    data = source.read_bytes()
    assert data.count(original) == 1
    target.write_bytes(data.replace(original, replacement + b" " * (len(original) - len(replacement))))
    return target


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{% for m in messages %}{{ m.content }", "does not compile"),
        ("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}", "was stopped"),
    ],
    ids=["syntax error", "nested ranges"],
)
def test_generate_on_a_model_with_a_hostile_template_exits_4_with_one_line(
    default_model_path: Path, tmp_path: Path, template: str, says: str
) -> None:
    crafted = _with_template(default_model_path, tmp_path / "crafted.gguf", template)
    result = run("generate", "--model", str(crafted), "--max-tokens", "4", "hello")
    assert result.exit_code == 4, result.output
    assert says in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
