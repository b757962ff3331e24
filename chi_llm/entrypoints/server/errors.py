"""The server's one error mapping: chi_llm's error kinds to HTTP statuses and OpenAI's error
body `{"error": {"message", "type", "param", "code"}}` (Anthropic's `{"type": "error", "error":
{"type", "message"}}` on its Messages API's paths). Nothing else writes an error response."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from chi_llm.domain.errors import (
    AllProvidersFailed,
    BackendUnavailable,
    Cancelled,
    ChiLlmError,
    ConfigError,
    ContextLengthExceeded,
    InsufficientResources,
    InvalidRequest,
    InvalidToolCall,
    MissingCredentials,
    ModelFetchFailed,
    ModelNotFound,
    RateLimited,
    ToolsUnsupported,
)

log = logging.getLogger("chi_llm.serve")
RETRY_AFTER_DOWN = 5  # seconds a client should wait before retrying a provider that is down
# Anthropic's error type for each status (docs.claude.com/en/api/errors); other 4xx are
# invalid_request_error, other 5xx api_error. A 503 here (busy, shutting down, a provider down)
# keeps its status and Retry-After; its type is Anthropic's for "try again later".
ANTHROPIC_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


@dataclass(eq=False)  # an exception: hashed by identity, its traceback set by Python
class HttpError(Exception):
    """An error response: status, OpenAI error `type` and `code`, and Retry-After seconds."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    retry_after: int | None = None
    # How Anthropic's API words the same error, where clients act on its words (Claude Code
    # compacts a conversation on "prompt is too long: N tokens > M maximum").
    anthropic_words: str | None = None

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def anthropic_body(self) -> dict[str, Any]:
        """The body Anthropic's Messages API gives for this status (its error types are per status)."""
        kind = ANTHROPIC_TYPES.get(self.status) or ("invalid_request_error" if self.status < 500 else "api_error")
        message = f"{self.anthropic_words}; {self.message}" if self.anthropic_words else self.message
        return {"type": "error", "error": {"type": kind, "message": message}}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


SHUTTING_DOWN = HttpError(
    503, "the server is shutting down; retry later", "server_error", "shutting_down", retry_after=RETRY_AFTER_DOWN
)


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> HttpError:
    return HttpError(400, message, param=param, code=code)


def _about_the_request(error: ChiLlmError) -> HttpError | None:
    """The request's errors: 400 (each with its own code: invalid_request, tool_loop_limit, ...),
    404 for a model not here; and a tool call the model wrote unreadably, which is an
    InvalidRequest in the library but the backend's failure here: 502 (a retry may do better)."""
    message = error.message
    if isinstance(error, ContextLengthExceeded):
        counted, context = getattr(error, "prompt_tokens", None), getattr(error, "context", None)
        words = f"prompt is too long: {counted} tokens > {context} maximum" if counted and context else None
        return HttpError(400, message, code="context_length_exceeded", param="messages", anthropic_words=words)
    if isinstance(error, ToolsUnsupported):
        return HttpError(400, message, code=error.kind, param="tools")
    if isinstance(error, InvalidToolCall):
        return HttpError(502, message, type="server_error", code=error.kind)
    if isinstance(error, InvalidRequest):
        return HttpError(400, message, code=error.kind)
    if isinstance(error, ModelNotFound):
        return HttpError(404, message, code="model_not_found", param="model")
    return None


def from_error(error: ChiLlmError) -> HttpError:
    """The response for a chi_llm error: the caller's mistakes are 4xx, a provider that is down
    or out of resources 503 (with Retry-After), an upstream rate limit 429."""
    mapped = _about_the_request(error)
    if mapped is not None:
        return mapped
    message = error.message
    if isinstance(error, RateLimited):
        return HttpError(429, message, type="rate_limit_error", code="rate_limited", retry_after=RETRY_AFTER_DOWN)
    if isinstance(error, (BackendUnavailable, AllProvidersFailed, InsufficientResources, ModelFetchFailed)):
        return HttpError(503, message, type="server_error", code=error.kind, retry_after=RETRY_AFTER_DOWN)
    if isinstance(error, MissingCredentials):
        # The server's own credentials for a provider were refused: the operator must fix them.
        return HttpError(503, message, type="server_error", code=error.kind)
    if isinstance(error, ConfigError):
        return HttpError(500, f"the server's configuration is wrong: {message}", type="server_error", code=error.kind)
    if isinstance(error, Cancelled):
        return HttpError(503, message, type="server_error", code="cancelled", retry_after=RETRY_AFTER_DOWN)
    return HttpError(500, message, type="server_error", code=error.kind)


def failure(error: Exception) -> HttpError:
    """What a stream that already began says when its answer fails: a chi_llm error as mapped
    above; anything else is a defect, logged with its traceback and reported without details."""
    if isinstance(error, ChiLlmError):
        return from_error(error)
    log.error("an answer failed after its stream began", exc_info=error)
    return HttpError(500, "internal server error while answering; the server log has the details", "server_error")


def internal(request_id: str) -> HttpError:
    """An unexpected failure: no details (the log has the traceback under this request id)."""
    return HttpError(
        500, f"internal server error; the server log has the details under request id {request_id}", "server_error"
    )
