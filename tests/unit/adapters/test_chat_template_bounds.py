"""A GGUF file's chat template is code from wherever the file came from: it renders as
llama-cpp-python renders it, and a broken one is a clear error (the hostile templates, in bounded
child processes and on the real model, are in tests/integration/adapters/test_chat_template_bounds.py)."""

from __future__ import annotations

import pytest

from chi_llm.domain.errors import InvalidRequest, ModelCorrupt
from chi_llm.domain.messages import Message
from tests.support.chat_templates import formatter

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
