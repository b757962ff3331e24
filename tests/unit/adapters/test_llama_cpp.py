"""The llama.cpp adapter's parts that need no model: the chat-template family fallback and a saved
state's header (the adapter on the real model is in tests/integration/adapters/test_llama_cpp.py)."""

from __future__ import annotations

from chi_llm.domain.messages import Message


def test_family_fallback_when_the_model_has_no_template() -> None:
    from chi_llm.adapters.llama_cpp.chat_format import make_formatter

    turns = [Message(role="system", content="S"), Message(role="user", content="U")]
    chatml, stops, _ = make_formatter(None, {"general.architecture": "llama"})(turns)
    assert "<|im_start|>user\nU" in chatml and "<|im_end|>" in stops
    gemma, _, _ = make_formatter(None, {"general.architecture": "gemma2"})([turns[1]])
    assert "<start_of_turn>user" in gemma


def test_a_saved_state_whose_header_is_nested_too_deep_is_ignored() -> None:
    """A crafted state file beside a saved conversation (its header JSON nested 100,000 deep) is
    not a state: the history is evaluated again instead of a RecursionError escaping."""
    from chi_llm.adapters.llama_cpp.sessions import MAGIC, decode_snapshot

    blob = MAGIC + b"[" * 100_000 + b"]" * 100_000 + b"\n" + b"cells"
    assert decode_snapshot(blob, {"path": "m.gguf"}) is None


def test_a_saved_state_keeps_how_many_of_its_cells_were_read_in_the_grids_chunks() -> None:
    import hashlib
    import json

    from chi_llm.adapters.llama_cpp.sessions import MAGIC, Snapshot, decode_snapshot, encode

    model = {"path": "m.gguf"}
    kept = Snapshot((1, 2, 3, 4), b"cells", exact=2)
    assert decode_snapshot(encode(kept, model), model) == kept

    def written(exact: object) -> bytes:
        header = {"model": model, "tokens": [1, 2], "sha256": hashlib.sha256(b"x").hexdigest(), "exact": exact}
        return MAGIC + json.dumps(header).encode() + b"\n" + b"x"

    for wrong in (5, -1, True, "16", None):  # past its tokens, negative, not a count: nothing exact
        assert decode_snapshot(written(wrong), model) == Snapshot((1, 2), b"x", 0)
