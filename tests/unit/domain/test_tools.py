"""Tool-calling value types: tools, tool sets, calls, and streamed call pieces assembled into the
same calls a whole answer gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import Chunk, Timings, Usage, collect
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import Tool, ToolCall, ToolCallDelta, ToolSet, assemble

WEATHER = Tool(
    name="get_weather",
    description="The weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def test_a_tool_name_every_provider_accepts_and_an_object_schema() -> None:
    with pytest.raises(InvalidRequest, match="1-64 letters"):
        Tool(name="get weather")
    with pytest.raises(InvalidRequest, match="type 'object'"):
        Tool(name="t", parameters={"type": "string"})
    assert Tool(name="t").parameters == {"type": "object", "properties": {}}


def test_a_tool_set_refuses_repeated_names_and_an_unknown_choice() -> None:
    with pytest.raises(InvalidRequest, match="given twice: get_weather"):
        ToolSet(tools=(WEATHER, WEATHER))
    with pytest.raises(InvalidRequest, match="neither auto, none, required nor a tool"):
        ToolSet(tools=(WEATHER,), choice="search")
    chosen = ToolSet(tools=(WEATHER,), choice="get_weather", parallel=False)
    assert chosen.named("get_weather") is WEATHER and chosen.named("other") is None


def test_tool_messages_name_the_call_and_only_assistants_carry_calls() -> None:
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Oslo"}, raw='{"city": "Oslo"}')
    asked = Message(role="assistant", content="", tool_calls=(call,))
    answered = Message(role="tool", content="4 °C", tool_call_id="c1", name="get_weather")
    assert asked.tool_calls == (call,) and answered.tool_call_id == "c1" and not answered.is_error
    with pytest.raises(InvalidRequest, match="tool_call_id"):
        Message(role="tool", content="4 °C")
    with pytest.raises(InvalidRequest, match="tool_call_id"):
        Message(role="user", content="hi", tool_call_id="c1")
    with pytest.raises(InvalidRequest, match="only an assistant"):
        Message(role="user", content="hi", tool_calls=(call,))


def test_arguments_that_are_not_a_json_object_name_the_tool() -> None:
    with pytest.raises(InvalidRequest, match=r"get_weather.*not JSON"):
        assemble([ToolCallDelta(index=0, id="c", name="get_weather", arguments='{"city": ')])
    with pytest.raises(InvalidRequest, match="not a JSON object"):
        assemble([ToolCallDelta(index=0, id="c", name="get_weather", arguments="[1]")])
    with pytest.raises(InvalidRequest, match="never named its tool"):
        assemble([ToolCallDelta(index=0, arguments="{}")])
    assert assemble([ToolCallDelta(index=0, name="now")])[0].arguments == {}


CALLS = st.lists(
    st.tuples(
        st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
        st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8), st.booleans()), max_size=4),
    ),
    min_size=1,
    max_size=4,
)


@given(calls=CALLS, data=st.data())
def test_any_split_of_a_stream_assembles_the_calls_of_the_whole_answer(
    calls: list[tuple[str, dict[str, object]]], data: st.DataObject
) -> None:
    whole = tuple(
        ToolCall(id=f"call-{i}", name=name, arguments=arguments, raw=json.dumps(arguments))
        for i, (name, arguments) in enumerate(calls)
    )
    deltas: list[ToolCallDelta] = []
    for index, call in enumerate(whole):
        cuts = sorted(data.draw(st.sets(st.integers(0, len(call.raw)), max_size=6)))
        pieces = [call.raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(call.raw)], strict=True)]
        deltas.append(ToolCallDelta(index=index, id=call.id, name=call.name, arguments=pieces[0]))
        deltas.extend(ToolCallDelta(index=index, arguments=piece) for piece in pieces[1:])
    order = data.draw(st.permutations(range(len(whole))))  # calls may interleave; each keeps its order
    interleaved = sorted(deltas, key=lambda d: order.index(d.index)) if data.draw(st.booleans()) else deltas
    assert assemble(interleaved) == whole
    chunks = [Chunk(tool_calls=(delta,)) for delta in interleaved]
    final = Chunk(
        finish_reason="tool_calls",
        usage=Usage(prompt_tokens=1, completion_tokens=1),
        timings=Timings(time_to_first_token=None, total=0.0),
    )
    completion = collect([*chunks, final])
    assert completion.tool_calls == whole and completion.finish_reason == "tool_calls"


def test_deeply_nested_argument_text_is_refused_not_a_crash() -> None:
    deep = '{"a":' + "[" * 100_000
    with pytest.raises(InvalidRequest, match=r"get_weather.*nested too deeply"):
        assemble([ToolCallDelta(index=0, id="c", name="get_weather", arguments=deep)])


def test_a_call_cut_off_by_max_tokens_says_so_and_what_to_do() -> None:
    from chi_llm.domain.errors import GenerationFailed

    usage, timings = Usage(prompt_tokens=1, completion_tokens=8), Timings(time_to_first_token=None, total=0.0)
    chunks = [
        Chunk(tool_calls=(ToolCallDelta(index=0, id="c", name="get_weather", arguments='{"city": "Os'),)),
        Chunk(finish_reason="length", usage=usage, timings=timings),
    ]
    with pytest.raises(GenerationFailed, match=r"cut off by max_tokens.*get_weather.*raise max_tokens"):
        collect(chunks)
