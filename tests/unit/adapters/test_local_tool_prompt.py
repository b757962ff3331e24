"""Tools and tool turns in a local model's prompt: a template that renders `tools` gets them and
the history's calls and results in Hugging Face's shapes; any other template gets the generic
format; a request without tools renders exactly as before."""

from __future__ import annotations

import json

from chi_llm.adapters.llama_cpp.tool_syntax import HERMES, LLAMA3
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import Tool, ToolCall, ToolSet
from tests.support.chat_templates import formatter
from tests.support.tool_templates import LLAMA31, QWEN25
from tests.unit.adapters.test_chat_template_bounds import SMOLLM2

WEATHER = Tool(
    name="weather",
    description="today's weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
TOOLS = ToolSet(tools=(WEATHER,))
CALL = ToolCall(id="call_1", name="weather", arguments={"city": "Paris"}, raw='{"city": "Paris"}')
HISTORY = [
    Message(role="system", content="Be brief."),
    Message(role="user", content="Weather in Paris?"),
    Message(role="assistant", content="", tool_calls=(CALL,)),
    Message(role="tool", content="sunny, 21 C", tool_call_id="call_1", name="weather"),
]


def test_a_template_that_renders_tools_gets_them_and_the_history_as_its_family_writes_it() -> None:
    render = formatter(QWEN25)
    assert render.native_tools and render.syntax is HERMES
    prompt, _, _ = render(HISTORY, TOOLS)
    spec = {"type": "function", "function": {"name": "weather", **_rest()}}
    assert json.dumps(spec, ensure_ascii=False) in prompt
    assert (
        '<|im_start|>assistant\n<tool_call>\n{"name": "weather", "arguments": {"city": "Paris"}}\n</tool_call>'
        in prompt
    )
    assert "<|im_start|>user\n<tool_response>\nsunny, 21 C\n</tool_response><|im_end|>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n")


def test_llama31_templates_get_tools_and_json_calls() -> None:
    render = formatter(LLAMA31)
    assert render.native_tools and render.syntax is LLAMA3
    prompt, _, _ = render(HISTORY, TOOLS)
    assert '"name": "weather"' in prompt and "Respond in the format" in prompt
    assert '{"name": "weather", "parameters": {"city": "Paris"}}<|eot_id|>' in prompt
    assert "<|start_header_id|>ipython<|end_header_id|>\n\nsunny, 21 C<|eot_id|>" in prompt


def test_tool_choice_none_shows_no_tools_but_keeps_the_history() -> None:
    prompt, _, _ = formatter(QWEN25)(HISTORY, ToolSet(tools=(WEATHER,), choice="none"))
    assert "# Tools" not in prompt and "<tool_response>\nsunny, 21 C" in prompt


def test_a_template_without_tools_gets_the_generic_format() -> None:
    render = formatter(SMOLLM2)
    assert not render.native_tools
    prompt, _, _ = render(HISTORY, TOOLS)
    system = prompt.split("<|im_end|>")[0]
    assert system.startswith("<|im_start|>system\nBe brief.\n\n# Tools")
    assert json.dumps({"type": "function", "function": {"name": "weather", **_rest()}}) in system
    assert "<tool_call>\n" in system and "</tool_call>" in system  # how to call
    assert (
        '<|im_start|>assistant\n<tool_call>\n{"name": "weather", "arguments": {"city": "Paris"}}\n</tool_call>'
        in prompt
    )
    response = json.dumps({"name": "weather", "id": "call_1", "content": "sunny, 21 C"})
    assert f"<|im_start|>user\n<tool_response>\n{response}\n</tool_response><|im_end|>" in prompt


def _rest() -> dict[str, object]:
    return {"description": WEATHER.description, "parameters": dict(WEATHER.parameters)}


def test_the_generic_format_joins_a_rounds_results_in_one_user_turn_and_marks_failures() -> None:
    second = ToolCall(id="call_2", name="weather", arguments={"city": "Oslo"})
    turns = [
        Message(role="user", content="Paris and Oslo?"),
        Message(role="assistant", content="Looking.", tool_calls=(CALL, second)),
        Message(role="tool", content="sunny", tool_call_id="call_1", name="weather"),
        Message(role="tool", content="no such city", tool_call_id="call_2", name="weather", is_error=True),
    ]
    prompt, _, _ = formatter(SMOLLM2)(turns, None)
    assert prompt.count("<|im_start|>user") == 2 and '"error": true' in prompt
    assert (
        'Looking.\n<tool_call>\n{"name": "weather", "arguments": {"city": "Paris"}}\n</tool_call>\n<tool_call>'
        in prompt
    )
    assert "# Tools" not in prompt  # no tools offered: none listed


def test_without_tools_both_paths_render_exactly_as_before() -> None:
    turns = [Message(role="system", content="S"), Message(role="user", content="Hi")]
    for template in (QWEN25, SMOLLM2):
        plain = formatter(template)
        assert plain(turns) == plain(turns, None) == plain(turns, ToolSet(tools=(WEATHER,), choice="none"))
    assert (
        formatter(QWEN25)(turns)[0]
        == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
