"""Prompt tokens for a request, with the context check and optional explicit truncation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from chi_llm.adapters.llama_cpp.loader import LoadedModel
from chi_llm.domain.errors import ContextLengthExceeded, InvalidRequest
from chi_llm.domain.generation import GenerationOptions, GenerationRequest, answer_room
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolSet

BACKEND = "llama.cpp"


def _budget(model: LoadedModel, options: GenerationOptions) -> tuple[int, int]:
    """(hard limit, truncation target): a prompt must leave room for at least one token;
    a truncated prompt leaves room for min(max_tokens, a quarter of the context)."""
    context = model.context
    return context - 1, context - answer_room(context, options.max_tokens)


def raw_tokens(model: LoadedModel, prompt: str, options: GenerationOptions) -> list[int]:
    tokens: list[int] = model.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
    if not tokens:  # a model without BOS: llama.cpp cannot continue nothing (llama-cpp-python asserts)
        raise InvalidRequest("the prompt is empty: a raw completion needs some text to continue", backend=BACKEND)
    limit, target = _budget(model, options)
    if len(tokens) <= limit:
        return tokens
    if not options.truncate:
        raise ContextLengthExceeded(prompt_tokens=len(tokens), context=model.context, backend=BACKEND)
    head = tokens[:1] if tokens and tokens[0] == model.llm.token_bos() else []
    return head + tokens[len(tokens) - (target - len(head)) :]


def _render(model: LoadedModel, messages: Sequence[Message], tools: ToolSet | None) -> tuple[list[int], list[str]]:
    text, stops, add_bos = model.format_chat(messages, tools)
    return model.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True), stops


def prompt_length(model: LoadedModel, request: GenerationRequest) -> int:
    """Tokens the request's prompt takes, as `raw_tokens` and `chat_tokens` read it (untruncated,
    without their context check: a count is asked for whatever the prompt's length)."""
    if request.prompt is not None:
        return len(model.llm.tokenize(request.prompt.encode("utf-8"), add_bos=True, special=True))
    return len(_render(model, request.messages, request.options.tools)[0])


def chat_tokens(
    model: LoadedModel, messages: Sequence[Message], options: GenerationOptions
) -> tuple[list[int], list[str]]:
    """Render with the chat template. With `truncate`, drop the oldest turns (never the system
    prompt or the last turn), then the start of the last turn, until the prompt fits."""
    turns = list(messages)
    tokens, stops = _render(model, turns, options.tools)
    limit, target = _budget(model, options)
    if len(tokens) <= limit:
        return tokens, stops
    if not options.truncate:
        raise ContextLengthExceeded(prompt_tokens=len(tokens), context=model.context, backend=BACKEND)
    while len(tokens) > target:
        droppable = [i for i, turn in enumerate(turns[:-1]) if turn.role != "system"]
        if droppable:
            del turns[droppable[0]]
        else:
            last = turns[-1]
            content = model.llm.tokenize(last.content.encode("utf-8"), add_bos=False, special=False)
            excess = len(tokens) - target
            if excess >= len(content):
                raise ContextLengthExceeded(prompt_tokens=len(tokens), context=model.context, backend=BACKEND)
            kept = model.llm.detokenize(content[excess + 1 :]).decode("utf-8", errors="ignore")
            turns[-1] = replace(last, content=kept)
        tokens, stops = _render(model, turns, options.tools)
    return tokens, stops
