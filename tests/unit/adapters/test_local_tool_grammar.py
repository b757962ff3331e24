"""The grammar of a request's tools (tool_grammar): one per tool_choice, each call a declared
name with its schema's arguments, parsed by llama.cpp itself; clear refusals for what cannot be."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.llama_cpp.grammar import parses
from chi_llm.adapters.llama_cpp.tool_grammar import _next, build, lazy, offered_tools, prefixed, tool_grammar
from chi_llm.adapters.llama_cpp.tool_syntax import HERMES, LLAMA3, WAIT, call_opening
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema
from chi_llm.domain.tools import Tool, ToolSet

WEATHER = Tool(
    name="weather",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}},
        "required": ["city"],
    },
)
CLOCK = Tool(name="clock")
BOTH = (WEATHER, CLOCK)


def rules(text: str) -> dict[str, str]:
    return dict(line.split(" ::= ", 1) for line in text.splitlines() if line)


@pytest.mark.parametrize("syntax", [HERMES, LLAMA3])
@pytest.mark.parametrize("choice", ["auto", "required", "weather", "clock"])
@pytest.mark.parametrize("parallel", [None, True, False])
def test_every_choice_makes_a_grammar_llama_cpp_accepts(syntax: object, choice: str, parallel: bool | None) -> None:
    text = tool_grammar(ToolSet(tools=BOTH, choice=choice, parallel=parallel), syntax, tokens=128, vocab=None)  # type: ignore[arg-type]
    assert text is not None and parses(text, None)
    found = rules(text)
    assert found["root"] == ("calls | text" if choice == "auto" else "calls")
    named = [name for name in ("weather", "clock") if f'\\"name\\": \\"{name}\\"' in text]
    assert named == (["weather", "clock"] if choice in ("auto", "required") else [choice])
    several = parallel is True and syntax is HERMES and choice in ("auto", "required")
    assert found["calls"] == ('call ( "\\n" call )*' if several else "call")


@pytest.mark.parametrize("parallel", [None, True])
def test_the_grammar_after_the_opener_continues_the_first_call(parallel: bool | None) -> None:
    """Lazy auto: free text wrote `<tool_call>`; the rest of that call and any more follow."""
    tools = ToolSet(tools=BOTH, parallel=parallel)
    assert lazy(tools, HERMES) and not lazy(tools, LLAMA3) and not lazy(replace(tools, choice="required"), HERMES)
    text = tool_grammar(tools, HERMES, tokens=128, vocab=None, opened=True)
    assert text is not None and parses(text, None)
    found = rules(text)
    assert found["root"] == "opened" and found["open"] == "o0 | o1"
    assert found["o0"] == '"\\n{\\"name\\": \\"weather\\", \\"arguments\\": " t0-root "}\\n</tool_call>"'
    assert found["opened"] == ('open ( "\\n" call )*' if parallel else "open")


@pytest.mark.parametrize("parallel", [None, True])
def test_the_grammar_of_an_answer_opening_with_an_untagged_call(parallel: bool | None) -> None:
    """Lazy auto: the answer opened with `{"name":` (bare or fenced); it is decoded again from
    there as calls without tags, each a declared tool with its schema's arguments."""
    text = tool_grammar(ToolSet(tools=BOTH, parallel=parallel), HERMES, tokens=128, vocab=None, start=True)
    assert text is not None and parses(text, None)
    found = rules(text)
    assert found["root"] == "started" and found["bare"] == "b0 | b1"
    assert found["b0"] == '"{\\"name\\": \\"weather\\", \\"arguments\\": " t0-root "}"'
    bares = 'bare ( "\\n" bare )*' if parallel else "bare"
    assert found["started"] == f'{bares} | "```" "json"? "\\n" {bares} "\\n```"'
    assert "started" not in tool_grammar(ToolSet(tools=BOTH), HERMES, tokens=128, vocab=None, opened=True)  # type: ignore[operator]


OPENING = re.compile(r'\s*(?:```(?i:json)?\s*)?\{\s*"name"\s*:')


@given(st.text(alphabet=' \n`jsonJSONxy{}":', max_size=24), st.text(alphabet=' \n`json{}":x', max_size=8))
def test_a_call_opens_the_answer_exactly_where_llama_cpps_trigger_matches_and_stays_decided(
    text: str, more: str
) -> None:
    at = call_opening(text)
    assert (at is not None and at >= 0) == bool(OPENING.match(text))
    if at != WAIT:
        assert call_opening(text + more) == at  # decided: more text never changes it
    full = '```json\n{"name": "weather"'
    assert all(call_opening(full[:size]) == WAIT for size in range(len(full) - len('"weather"') - 1))


def test_none_and_no_tools_make_no_grammar() -> None:
    assert tool_grammar(ToolSet(tools=BOTH, choice="none"), HERMES, tokens=64, vocab=None) is None
    assert tool_grammar(None, HERMES, tokens=64, vocab=None) is None


def test_each_tools_schema_rules_are_its_own() -> None:
    text = build(ToolSet(tools=BOTH), HERMES, tokens=64)
    assert "t0-root" in rules(text) and "t1-root" in rules(text) and "root" in rules(text)
    assert rules(text)["t0"].endswith('t0-root "}\\n</tool_call>"')


def test_prefixing_renames_rules_and_their_uses_but_not_literals_or_classes() -> None:
    grammar = 'root ::= "root" item [a-z] space\nitem ::= "item" space\nspace ::= " "?\n'
    assert prefixed(grammar, "t3-") == (
        't3-root ::= "root" t3-item [a-z] t3-space\nt3-item ::= "item" t3-space\nt3-space ::= " "?\n'
    )


def _free(text: str, opener: str) -> bool:
    """Whether the grammar's text automaton takes `text` (it never reaches the whole opener)."""
    state = 0
    for char in text:
        state = _next(opener, state, char)
        if state == len(opener):
            return False
    return True


@given(st.text(alphabet="<tool_cax> ", max_size=40))
def test_free_text_is_exactly_text_without_the_call_opener(text: str) -> None:
    assert _free(text, "<tool_call>") == ("<tool_call>" not in text)
    assert _free(text, "aab") == ("aab" not in text)  # an opener whose start repeats


def test_a_schema_that_cannot_be_a_grammar_names_the_tool() -> None:
    never = Tool(
        name="broken",
        parameters={
            "type": "object",
            "properties": {"x": {"type": "string", "minLength": 9, "maxLength": 2}},
            "required": ["x"],
        },
    )
    with pytest.raises(InvalidRequest, match=r"tool 'broken': this JSON Schema cannot become a llama\.cpp grammar"):
        tool_grammar(ToolSet(tools=(WEATHER, never)), HERMES, tokens=64, vocab=None)


def request(**options: object) -> GenerationRequest:
    return GenerationRequest(messages=(Message(role="user", content="hi"),), options=GenerationOptions(**options))  # type: ignore[arg-type]


def test_tools_with_a_schema_json_mode_or_a_raw_prompt_are_refused_clearly() -> None:
    schema = OutputSchema.of({"type": "object"})
    with pytest.raises(InvalidRequest, match="cannot take tools and a JSON schema"):
        offered_tools(request(tools=ToolSet(tools=BOTH), schema=schema))
    with pytest.raises(InvalidRequest, match="cannot take tools and a JSON schema"):
        offered_tools(request(tools=ToolSet(tools=BOTH), json=True))
    with pytest.raises(InvalidRequest, match="not a raw prompt"):
        offered_tools(GenerationRequest(prompt="x", options=GenerationOptions(tools=ToolSet(tools=BOTH))))
    with pytest.raises(InvalidRequest, match="no tools are given"):
        offered_tools(request(tools=ToolSet(tools=(), choice="required")))
    assert offered_tools(request(tools=ToolSet(tools=BOTH, choice="none"), schema=schema)) is False
    assert offered_tools(request(tools=ToolSet(tools=BOTH))) is True


@pytest.mark.parametrize("value", [True, False])
def test_the_tool_grammar_setting_reaches_the_local_adapter(value: bool, tmp_path: Any) -> None:
    """`tool_grammar: false` in a config file (as the tools benchmark writes it) turns it off."""
    from chi_llm.adapters.config_files import FileConfigStore
    from chi_llm.adapters.providers.registry import schemas
    from chi_llm.application.config import ConfigService
    from chi_llm.domain.providers import ProviderProfile
    from chi_llm.entrypoints.container import builder

    config = tmp_path / "chi.yaml"
    config.write_text(f"tool_grammar: {str(value).lower()}\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    service = ConfigService(FileConfigStore(tmp_path, env), env, schemas=schemas(), known_models=lambda _: [])
    settings = service.resolve(config_path=config, check_model=False)
    adapter = builder(settings, {}, lambda _: tmp_path, lambda _p, _c, slots=1, *, fixed=False: slots, lambda _: None)(
        ProviderProfile(id="local", type="local")
    )
    assert adapter._tool_grammar is value  # type: ignore[attr-defined]


def test_a_pattern_the_converter_refuses_is_left_to_validation_not_the_whole_request() -> None:
    # a look-ahead: llama-cpp-python's converter cannot make it a grammar (structured output
    # drops such a pattern from the grammar and validates it afterwards; tools do the same)
    word = Tool(
        name="word",
        parameters={"type": "object", "properties": {"w": {"type": "string", "pattern": "^(?=a)\\w+$"}}},
    )
    text = tool_grammar(ToolSet(tools=(word,), choice="required"), HERMES, tokens=64, vocab=None)
    assert text is not None and parses(text, None) and "(?=" not in text
