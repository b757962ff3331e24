"""Requests without tools: the Anthropic and Gemini bodies are byte for byte what they were
before tool calling existed (the golden file was written by the code before the change)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chi_llm.adapters.providers import anthropic, gemini
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.structured import OutputSchema

GOLDEN = Path(__file__).parent / "golden" / "tool_free_payloads.json"
PERSON = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
TURNS = (
    Message(role="system", content="Be brief."),
    Message(role="user", content="Hi ü"),
    Message(role="assistant", content="Hello"),
    Message(role="user", content="More"),
)
REQUESTS = {
    "chat": GenerationRequest(messages=TURNS, model="m"),
    "options": GenerationRequest(
        messages=TURNS,
        model="m",
        options=GenerationOptions(temperature=1.5, top_p=0.9, max_tokens=7, stop=("\n",), seed=3, json=True),
    ),
    "schema": GenerationRequest(
        messages=TURNS[1:2], model="m", options=GenerationOptions(schema=OutputSchema.of(PERSON, name="person"))
    ),
    "raw": GenerationRequest(prompt="Once upon a time ", model="m"),
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_bodies_without_tools_are_unchanged(name: str) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))[name]
    request = REQUESTS[name]
    assert json.dumps(anthropic.to_payload(request, stream=True)) == golden["anthropic_stream"]
    assert json.dumps(anthropic.to_payload(request, stream=False)) == golden["anthropic_whole"]
    assert json.dumps(gemini.to_payload(request)) == golden["gemini"]
