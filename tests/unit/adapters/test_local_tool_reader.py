"""A local model's answer read into text and tool calls as it streams (tool_reader): any split of
the text gives the same answer as the whole, the arguments' JSON text is kept as written, and a
call cut off by max_tokens is an error that says to raise it."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.llama_cpp.tool_reader import CallReader, ToolChunks, new_id
from chi_llm.adapters.llama_cpp.tool_syntax import HERMES, LLAMA3, CallSyntax, detect
from chi_llm.domain.errors import GenerationFailed
from chi_llm.domain.generation import Chunk, Completion, FinishReason, Timings, Usage, collect

TWO_CALLS = (
    'Let me look.<tool_call>\n{"name": "weather", "arguments": { "city": "Paris", "days": [1, 2]}}\n</tool_call>\n'
    '<tool_call>\n{"name": "clock", "arguments": {}}\n</tool_call>'
)
LLAMA_CALL = '  {"name": "weather", "parameters": {"city": "Oslo"}}'


def read(pieces: list[str], syntax: CallSyntax = HERMES, reason: FinishReason = "stop") -> Completion:
    """The Completion a stream of these text pieces makes through the reader."""
    numbers = itertools.count()
    out: list[Chunk] = []
    emit = ToolChunks(out.append, CallReader(syntax, make_id=lambda: f"call_{next(numbers)}"))
    for piece in pieces:
        emit(Chunk(text=piece))
    emit(
        Chunk(
            finish_reason=reason,
            usage=Usage(prompt_tokens=1, completion_tokens=1),
            timings=Timings(time_to_first_token=None, total=0.0),
        )
    )
    return collect(out)


def calls(completion: Completion) -> list[tuple[str, dict[str, object], str]]:
    return [(c.name, dict(c.arguments), c.raw) for c in completion.tool_calls]


def test_text_before_hermes_calls_then_each_call_with_its_arguments_text_as_written() -> None:
    answer = read([TWO_CALLS])
    assert answer.text == "Let me look."
    assert calls(answer) == [
        ("weather", {"city": "Paris", "days": [1, 2]}, '{ "city": "Paris", "days": [1, 2]}'),
        ("clock", {}, "{}"),
    ]
    assert answer.finish_reason == "tool_calls"
    assert [c.id for c in answer.tool_calls] == ["call_0", "call_1"]


def splits(text: str) -> st.SearchStrategy[list[str]]:
    cuts = st.lists(st.integers(0, len(text)), max_size=12).map(sorted)
    return cuts.map(lambda at: [text[a:b] for a, b in itertools.pairwise([0, *at, len(text)])])


@given(splits(TWO_CALLS))
def test_any_split_of_a_hermes_answer_reads_as_the_whole(pieces: list[str]) -> None:
    whole = read([TWO_CALLS])
    split = read(pieces)
    assert (split.text, calls(split), split.finish_reason) == (whole.text, calls(whole), whole.finish_reason)


@given(splits(LLAMA_CALL + "\n"))
def test_any_split_of_a_llama3_answer_reads_as_the_whole(pieces: list[str]) -> None:
    answer = read(pieces, LLAMA3)
    assert answer.text == "" and calls(answer) == [("weather", {"city": "Oslo"}, '{"city": "Oslo"}')]


@given(splits("A <tool and <b>bold</b> text, no call."))
def test_text_that_only_looks_like_the_opener_stays_text(pieces: list[str]) -> None:
    answer = read(pieces)
    assert (answer.text, answer.tool_calls, answer.finish_reason) == (
        "A <tool and <b>bold</b> text, no call.",
        (),
        "stop",
    )


def test_a_llama3_answer_that_does_not_open_with_a_call_is_text_even_when_json_follows() -> None:
    answer = read(["Sure: ", '{"name": "weather", "parameters": {}}'], LLAMA3)
    assert answer.text == 'Sure: {"name": "weather", "parameters": {}}' and answer.tool_calls == ()


def test_a_call_cut_off_by_max_tokens_says_to_raise_max_tokens() -> None:
    with pytest.raises(GenerationFailed, match="raise max_tokens"):
        read(['<tool_call>\n{"name": "weather", "arguments": {"ci'], reason="length")
    with pytest.raises(GenerationFailed, match="raise max_tokens"):
        read(["<tool_call>\n{"], reason="length")


def test_a_whole_call_missing_only_its_closing_tag_counts() -> None:
    answer = read(['<tool_call>\n{"name": "clock", "arguments": {}}\n</tool'], reason="length")
    assert calls(answer) == [("clock", {}, "{}")] and answer.finish_reason == "length"


def test_what_is_not_a_call_after_the_opener_comes_back_as_text() -> None:
    """Free text (tool_grammar off) may open a call and not write one: the text is kept."""
    answer = read(["Hmm <tool_call> not json"])
    assert answer.text == "Hmm <tool_call> not json" and answer.tool_calls == ()
    answer = read(['<tool_call>{"name": "clock", "arguments": {}}</tool_call> and after'])
    assert calls(answer) == [("clock", {}, "{}")] and answer.text == "and after"


def test_arguments_given_as_json_text_are_that_text() -> None:
    answer = read(['<tool_call>{"name": "weather", "arguments": "{\\"city\\": \\"Rome\\"}"}</tool_call>'])
    assert calls(answer) == [("weather", {"city": "Rome"}, '{"city": "Rome"}')]


def test_ids_are_nine_letters_and_digits_as_mistral_templates_require() -> None:
    ids = {new_id() for _ in range(50)}
    assert len(ids) > 45 and all(len(i) == 9 and i.isalnum() for i in ids)


def test_the_syntax_is_told_from_the_template() -> None:
    assert detect("{% for t in tools %}<tool_call>{% endfor %}") is HERMES
    assert detect('{{ \'"parameters": \' }}{% if m.role == "ipython" %}{% endif %}{{ tools }}') is LLAMA3
    assert detect("{{ messages }}") is HERMES  # the generic format


BARE_CALLS = [
    '{"name": "weather", "arguments": {"city": "Paris"}}',
    '\n  {"name": "weather", "arguments": {"city": "Paris"}}\nThat asks for the weather.',
    '```json\n{"name": "weather", "arguments": {"city": "Paris"}}\n```',
    '```\n{ "name" : "weather", "arguments": {"city": "Paris"}}\n```\nDone.',
    '```JSON\n{"name": "weather", "arguments": {"city": "Paris"}}\n{"name": "clock", "arguments": {}}\n```',
]


@pytest.mark.parametrize("answer", BARE_CALLS)
def test_a_call_opening_the_answer_without_its_tags_is_a_call(answer: str) -> None:
    """Qwen2.5-Coder and others often drop `<tool_call>`: llama.cpp's server reads these too."""
    read_ = read([answer])
    assert calls(read_)[0] == ("weather", {"city": "Paris"}, '{"city": "Paris"}')
    assert read_.finish_reason == "tool_calls"
    assert read_.text == answer.rpartition("```" if answer.startswith("```") else "}")[2].strip()


@given(st.sampled_from(BARE_CALLS).flatmap(lambda text: splits(text).map(lambda pieces: (text, pieces))))
def test_any_split_of_a_bare_or_fenced_call_reads_as_the_whole(case: tuple[str, list[str]]) -> None:
    text, pieces = case
    whole, split = read([text]), read(pieces)
    assert (split.text, calls(split), split.finish_reason) == (whole.text, calls(whole), whole.finish_reason)


NOT_CALLS = [
    'Use it like this: {"name": "weather", "arguments": {}}',  # later JSON: not the answer's start
    '{"x": 1, "name": "weather"}',
    '{"name": "Bob", "age": 3}',  # a name but no arguments: JSON, not a call
    '```python\nprint({"name": "weather", "arguments": {}})\n```',
    '```json\n[{"name": "weather", "arguments": {}}]\n```',
    "`{ code }` and text",
    "   ",
]


@pytest.mark.parametrize("answer", NOT_CALLS)
def test_json_or_code_that_does_not_open_with_a_call_object_stays_text(answer: str) -> None:
    read_ = read([answer])
    assert (read_.text, read_.tool_calls, read_.finish_reason) == (answer.strip() or answer, (), "stop")


@given(st.sampled_from(NOT_CALLS).flatmap(lambda text: splits(text).map(lambda pieces: (text, pieces))))
def test_any_split_of_an_answer_that_is_not_a_call_reads_as_the_whole(case: tuple[str, list[str]]) -> None:
    text, pieces = case
    whole, split = read([text]), read(pieces)
    assert (split.text, calls(split)) == (whole.text, calls(whole)) == (text.strip() or text, [])


def test_a_bare_call_cut_off_by_max_tokens_says_to_raise_max_tokens() -> None:
    with pytest.raises(GenerationFailed, match="raise max_tokens"):
        read(['```json\n{"name": "weather", "arguments": {"ci'], reason="length")
