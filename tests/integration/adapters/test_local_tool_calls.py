"""Tool calls on the real embedded model (SmolLM2, whose template has no tools: the generic
format): a required or named tool_choice forces a call of a declared tool whose arguments follow
its schema, every time; auto gives text or such a call; whole, streamed and async answers agree;
a history with tool turns renders and is answered; `act` runs a real Python tool to the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.adapters.llama_cpp.generator import LlamaCppGenerator
from chi_llm.domain.generation import Completion, GenerationOptions, GenerationRequest, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import Tool, ToolCall, ToolSet

SCHEMAS: dict[str, dict[str, Any]] = {
    "pick_unit": {
        "type": "object",
        "properties": {"unit": {"enum": ["celsius", "fahrenheit"]}, "city": {"type": "string", "maxLength": 24}},
        "required": ["unit", "city"],
    },
    "count": {
        "type": "object",
        "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 9}, "flag": {"type": "boolean"}},
        "required": ["count", "flag"],
    },
    "person": {
        "type": "object",
        "properties": {
            "person": {
                "type": "object",
                "properties": {"name": {"type": "string", "maxLength": 20}, "age": {"type": "integer"}},
                "required": ["name", "age"],
            }
        },
        "required": ["person"],
    },
    "tag": {
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 3}},
        "required": ["tags"],
    },
}
TOOLS = tuple(Tool(name=name, description=f"a tool taking {name}", parameters=s) for name, s in SCHEMAS.items())
PROMPTS = ("What is the weather in Paris?", "Tag this photo of a cat.")
VALIDATOR = JsonSchemaValidator()


@pytest.fixture(scope="module")
def local(default_model_path: Path) -> LlamaCppGenerator:
    return LlamaCppGenerator(locate=lambda _: default_model_path, default_model="smollm2", context=1024)


def ask(prompt: str, choice: str, **options: Any) -> GenerationRequest:
    tools = ToolSet(tools=TOOLS, choice=choice)
    settings = {"max_tokens": 96, "temperature": 0.0, "seed": 1, **options}
    return GenerationRequest(
        messages=(Message(role="user", content=prompt),), options=GenerationOptions(tools=tools, **settings)
    )


def valid(call: ToolCall) -> bool:
    return call.name in SCHEMAS and VALIDATOR.errors(dict(call.arguments), SCHEMAS[call.name]) == []


@pytest.mark.parametrize("choice", ["required", *SCHEMAS])
@pytest.mark.parametrize("prompt", PROMPTS)
def test_a_required_or_named_choice_forces_one_call_with_valid_arguments(
    local: LlamaCppGenerator, choice: str, prompt: str
) -> None:
    answer = local.generate(ask(prompt, choice, temperature=0.8, seed=None))  # sampled: any answer must be valid
    assert answer.finish_reason == "tool_calls" and answer.text == ""
    assert len(answer.tool_calls) == 1 and valid(answer.tool_calls[0]), answer.tool_calls
    assert choice == "required" or answer.tool_calls[0].name == choice


def test_auto_gives_text_without_a_call_opener_or_a_valid_call(local: LlamaCppGenerator) -> None:
    for prompt in PROMPTS:
        answer = local.generate(ask(prompt, "auto", max_tokens=24, temperature=0.8, seed=None))
        if answer.tool_calls:
            assert all(valid(call) for call in answer.tool_calls)
        else:
            assert answer.text and "<tool_call>" not in answer.text


def same(completion: Completion) -> tuple[Any, ...]:
    return (
        completion.text,
        [(c.name, dict(c.arguments), c.raw) for c in completion.tool_calls],
        completion.finish_reason,
    )


async def test_whole_streamed_and_async_answers_agree(local: LlamaCppGenerator) -> None:
    request = ask(PROMPTS[0], "person")
    whole = local.generate(request)
    chunks = list(local.stream(request))
    later = await local.agenerate(request)
    achunks = [chunk async for chunk in local.astream(request)]
    assert same(whole) == same(collect(chunks)) == same(later) == same(collect(achunks))
    assert whole.tool_calls and [c.tool_calls[0].name for c in chunks if c.tool_calls] == ["person"]
    assert chunks[-1].finish_reason == "tool_calls"


def test_a_history_with_tool_turns_renders_and_is_answered(local: LlamaCppGenerator) -> None:
    call = ToolCall(id="call_w", name="pick_unit", arguments={"unit": "celsius", "city": "Paris"})
    turns = (
        Message(role="user", content=PROMPTS[0]),
        Message(role="assistant", content="", tool_calls=(call,)),
        Message(role="tool", content="sunny, 21 C", tool_call_id="call_w", name="pick_unit"),
    )
    prompt, _, _ = local.load().format_chat(turns, ToolSet(tools=TOOLS))
    assert "sunny, 21 C" in prompt and '"name": "pick_unit", "arguments": {"unit": "celsius"' in prompt
    options = GenerationOptions(tools=ToolSet(tools=TOOLS, choice="none"), max_tokens=16, temperature=0.0, seed=1)
    answer = local.generate(GenerationRequest(messages=turns, options=options))
    assert answer.text and answer.tool_calls == () and answer.finish_reason in ("stop", "length")


def test_without_the_grammar_calls_are_read_from_free_text(default_model_path: Path) -> None:
    """`tool_grammar: false`: nothing forces a call; this tiny model answers in prose."""
    free = LlamaCppGenerator(
        locate=lambda _: default_model_path, default_model="smollm2", context=1024, tool_grammar=False
    )
    answer = free.generate(ask(PROMPTS[0], "pick_unit", max_tokens=24))
    assert answer.tool_calls == () and answer.text and answer.finish_reason in ("stop", "length")


def test_act_runs_a_real_python_tool_on_the_local_model_and_finishes(default_model_path: Path) -> None:
    from chi_llm import MicroLLM

    asked: list[str] = []

    def weather(city: str) -> str:
        """Today's weather in a city."""
        asked.append(city)
        return f"sunny, 21 C in {city}"

    llm = MicroLLM(model=default_model_path, context=1024, max_tokens=48, temperature=0.0, seed=1)
    result = llm.act("What is the weather in Paris?", tools=[weather], tool_choice="weather", max_rounds=3)
    assert len(asked) == 1 and result.calls[0].call.name == "weather" and not result.calls[0].is_error
    assert result.rounds == 2 and result.text and result.completion.tool_calls == ()
    assert [m.role for m in result.messages][-3:] == ["assistant", "tool", "assistant"]


@pytest.mark.parametrize("template", ["qwen2.5", "llama3.1"])
def test_a_template_that_renders_tools_drives_the_real_model(
    local: LlamaCppGenerator, template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model's weights with a tools-rendering template (as a Qwen2.5 or Llama 3.1 GGUF has):
    the tools reach the prompt through it, and the call comes back in its family's syntax."""
    from tests.support.chat_templates import formatter
    from tests.support.tool_templates import LLAMA31, QWEN25

    loaded = local.load()
    monkeypatch.setattr(loaded, "format_chat", formatter(QWEN25 if template == "qwen2.5" else LLAMA31))
    prompt, _, _ = loaded.format_chat((Message(role="user", content=PROMPTS[0]),), ToolSet(tools=TOOLS))
    assert '"name": "pick_unit"' in prompt and "to help answer" not in prompt  # not the generic section
    answer = local.generate(ask(PROMPTS[0], "pick_unit", temperature=0.8, seed=None))
    assert [c.name for c in answer.tool_calls] == ["pick_unit"] and valid(answer.tool_calls[0])
    assert answer.finish_reason == "tool_calls"


def test_truncating_a_history_that_ends_with_a_tool_result_keeps_it_a_tool_result(local: LlamaCppGenerator) -> None:
    call = ToolCall(id="call_w", name="tag", arguments={"tags": []})
    turns = (
        Message(role="user", content="Tag it."),
        Message(role="assistant", content="", tool_calls=(call,)),
        Message(role="tool", content="cat " * 2000, tool_call_id="call_w", name="tag"),
    )
    options = GenerationOptions(tools=ToolSet(tools=TOOLS, choice="none"), max_tokens=8, truncate=True, seed=1)
    answer = local.generate(GenerationRequest(messages=turns, options=options))
    assert answer.usage.prompt_tokens < 1024 and answer.finish_reason in ("stop", "length")


def test_auto_decodes_text_free_and_the_call_under_the_grammar_once_the_model_opens_one(
    local: LlamaCppGenerator,
) -> None:
    """The history shows calls with only a city; the declared schema also requires a unit. The
    model opens a call on its own (auto), and what follows the opener is held to the schema."""
    weather = Tool(name="weather", parameters=SCHEMAS["pick_unit"])
    turns: list[Message] = []
    for city, sky in (("Paris", "sunny"), ("Oslo", "rain"), ("Lima", "fog")):
        call = ToolCall(id=f"call{city.lower():x<5}", name="weather", arguments={"city": city})
        turns += [
            Message(role="user", content=f"Weather in {city}?"),
            Message(role="assistant", content="", tool_calls=(call,)),
            Message(role="tool", content=sky, tool_call_id=call.id, name="weather"),
            Message(role="assistant", content=f"It is {sky} in {city}."),
        ]
    turns.append(Message(role="user", content="Weather in Rome?"))
    options = GenerationOptions(tools=ToolSet(tools=(weather,)), max_tokens=48, temperature=0.0, seed=1)
    request = GenerationRequest(messages=tuple(turns), options=options)
    answer = local.generate(request)
    assert [c.name for c in answer.tool_calls] == ["weather"] and answer.finish_reason == "tool_calls"
    chunks = list(local.stream(request))
    assert same(collect(chunks)) == same(answer) and [c.finish_reason for c in chunks if c.finish_reason] == [
        "tool_calls"
    ]
    assert answer.usage.completion_tokens > 10  # both runs counted (the opener alone is a few tokens)
    assert VALIDATOR.errors(dict(answer.tool_calls[0].arguments), SCHEMAS["pick_unit"]) == []
    assert answer.tool_calls[0].arguments["unit"] in ("celsius", "fahrenheit")  # only the grammar asks for it
