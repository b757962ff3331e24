"""Mapping HTTP failures to domain errors, once, with messages that say what to do."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from chi_llm.domain.errors import (
    BackendUnavailable,
    ChiLlmError,
    ContextLengthExceeded,
    GenerationFailed,
    MissingCredentials,
    ModelNotFound,
    RateLimited,
)

_CONTEXT_WORDS = re.compile(
    r"context[_ ]length|context window|maximum context|too long|exceeds the maximum|"
    r"token count .* exceeds|prompt is too long",
    re.IGNORECASE,
)
_NUMBERS = re.compile(r"\d[\d,]*")
# A server or model refusing tools: Ollama ("<model> does not support tools"), vLLM ('"auto" tool
# choice requires --enable-auto-tool-choice'), llama.cpp's server ("tools param requires --jinja").
_NO_TOOLS = re.compile(
    r"does not support (?:tools|tool|function)|tool choice requires|tools? param requires|"
    r"(?:tool|function) calling is not (?:supported|enabled)",
    re.IGNORECASE,
)


def error_text(body: Any) -> str:
    """The human message inside the many error body shapes providers use."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("message") or inner.get("type") or inner)
        return str(inner)
    return str(body or "").strip()[:300]


_LIMIT = re.compile(
    r"(?:maximum context length is|context window of|tokens allowed \(|>|maximum of)\s*(\d[\d,]*)", re.IGNORECASE
)
_PROMPT = re.compile(r"(?:requested|resulted in|token count \(|too long:|prompt has)\s*(\d[\d,]*)", re.IGNORECASE)


def _number(pattern: re.Pattern[str], message: str) -> int | None:
    match = pattern.search(message)
    return int(match.group(1).replace(",", "")) if match else None


def _context_error(message: str, backend: str, context: int | None) -> ContextLengthExceeded:
    numbers = [int(n.replace(",", "")) for n in _NUMBERS.findall(message)]
    limit = _number(_LIMIT, message) or context or (min(numbers) if numbers else 0)
    prompt = _number(_PROMPT, message) or (max(numbers) if numbers else 0)
    return ContextLengthExceeded(prompt_tokens=prompt, context=limit, backend=backend)


def map_status(
    status: int, body: Any, *, backend: str, url: str, context: int | None = None, location: str | None = None
) -> ChiLlmError:
    """One error for one HTTP answer. API keys never appear: only the server's message does."""
    message = error_text(body)
    if 300 <= status < 400:  # never followed: a redirect would carry the API key to another address
        return BackendUnavailable(
            f"{backend} at {url} answered with a redirect ({status}) to {location or 'an unnamed address'}; "
            "API calls are not redirected (that would send your API key on) — set base_url to the "
            "address that answers",
            backend=backend,
        )
    if status in (401, 403) or ("api key" in message.lower() and status == 400):
        return MissingCredentials(
            f"{backend} refused the credentials ({status}: {message}); check the API key", backend=backend
        )
    if _CONTEXT_WORDS.search(message) and status in (400, 413, 422):
        return _context_error(message, backend, context)
    if status == 404:
        return ModelNotFound(
            f"{backend} at {url} does not know that model or path ({message}); "
            "`chi-llm providers discover-models` lists what it serves",
            backend=backend,
        )
    if status == 429:
        return RateLimited(f"{backend} is rate limiting requests ({message}); wait and retry", backend=backend)
    if status >= 500:
        return BackendUnavailable(f"{backend} at {url} failed ({status}: {message}); try again later", backend=backend)
    if _NO_TOOLS.search(message):
        return _no_tools(f"{status}: {message}", backend)
    return GenerationFailed(f"{backend} rejected the request ({status}: {message})", backend=backend)


def _no_tools(said: str, backend: str) -> GenerationFailed:
    return GenerationFailed(
        f"{backend} cannot call tools with this model or server ({said}); use a model (or server "
        "settings) that supports tool calling, or ask without tools",
        backend=backend,
    )


_IN_STREAM: tuple[tuple[re.Pattern[str], Callable[[str, str, int | None], ChiLlmError]], ...] = (
    (_CONTEXT_WORDS, _context_error),
    (
        re.compile(r"rate.?limit|too many requests", re.IGNORECASE),
        lambda m, b, _: RateLimited(f"{b} is rate limiting requests ({m}); wait and retry", backend=b),
    ),
    (
        re.compile(r"overloaded|unavailable|try again later", re.IGNORECASE),
        lambda m, b, _: BackendUnavailable(f"{b} is overloaded or unavailable ({m}); try again later", backend=b),
    ),
    (_NO_TOOLS, lambda m, b, _: _no_tools(m, b)),
)


def stream_error(message: str, *, backend: str, context: int | None = None) -> ChiLlmError:
    """An error a server reports inside a stream (no HTTP status), mapped by the same patterns."""
    for pattern, make in _IN_STREAM:
        if pattern.search(message):
            return make(message, backend, context)
    return GenerationFailed(f"{backend} reported an error mid-stream: {message}", backend=backend)
