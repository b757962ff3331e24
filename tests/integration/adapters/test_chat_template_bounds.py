"""A GGUF file's chat template is code from wherever the file came from: it renders as
llama-cpp-python renders it, within a budget of work, time and memory, and a broken or hostile one
is a clear error (never a traceback, a hang or the machine's memory)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.llama_cpp.chat_format import make_formatter
from chi_llm.domain.errors import InvalidRequest, ModelCorrupt
from chi_llm.domain.messages import Message
from tests.support.cli import run

SMOLLM2 = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
LLAMA3_STYLE = (
    "{{ bos_token }}{% for m in messages %}{% generation %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n\n"
    "{{ m.content | trim }}<|eot_id|>{% endgeneration %}{% if loop.index0 > 8 %}{% break %}{% endif %}"
    "{% endfor %}{{ {'n': messages | length} | tojson }}{% for i in range(2) %}{{ i * 2 }}{% endfor %}"
    "{{ '%05d' % 7 }}{{ '{:>4}'.format('x') }}{{ 'ab' * 3 }}{{ 2 ** 10 }}{{ 'x' | center(9) }}"
)
TURNS = [Message(role="system", content="S"), Message(role="user", content="Hi 1234567 there")]


class FakeLlama:
    """What make_formatter reads of a llama_cpp.Llama: its EOS/BOS tokens and their text."""

    def __init__(self) -> None:
        self._model = self

    def token_eos(self) -> int:
        return 2

    def token_bos(self) -> int:
        return 1

    def token_get_text(self, token: int) -> str:
        return {1: "<s>", 2: "</s>"}[token]


def formatter(template: str) -> Any:
    return make_formatter(FakeLlama(), {"tokenizer.chat_template": template}, "crafted.gguf")


@pytest.mark.parametrize("template", [SMOLLM2, LLAMA3_STYLE])
def test_templates_render_as_llama_cpp_python_renders_them(template: str) -> None:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    reference = Jinja2ChatFormatter(template=template, eos_token="</s>", bos_token="<s>")(
        messages=[{"role": m.role, "content": m.content} for m in TURNS]  # type: ignore[misc]
    )
    prompt, stops, add_bos = formatter(template)(TURNS)
    assert (prompt, stops, add_bos) == (reference.prompt, ["</s>"], not reference.added_special)


def test_a_template_that_does_not_compile_is_a_corrupt_model() -> None:
    with pytest.raises(ModelCorrupt, match=r"chat template in crafted\.gguf does not compile"):
        formatter("{% for m in messages %}{{ m.content }")


def test_the_template_refusing_the_messages_is_an_invalid_request() -> None:
    render = formatter("{% if messages[0].role == 'system' %}{{ raise_exception('no system role') }}{% endif %}")
    with pytest.raises(InvalidRequest, match="refuses these messages: no system role"):
        render(TURNS)


def test_a_template_failing_at_render_time_is_a_corrupt_model() -> None:
    with pytest.raises(ModelCorrupt, match="failed"):
        formatter("{{ messages[0].content + 1 }}")(TURNS)


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
        from tests.integration.adapters.test_chat_template_bounds import formatter
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
