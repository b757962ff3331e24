"""The one error hierarchy. Every error names its backend and says what to do."""

from __future__ import annotations

from collections.abc import Iterable


class ChiLlmError(Exception):
    """Root of every error chi_llm raises on purpose.

    Attributes:
        backend: which backend or component raised it ("llama.cpp", "config", "pip", ...).
        kind: a stable machine-readable name, used by the CLI's JSON errors and exit codes.
    """

    kind = "error"

    def __init__(self, message: str, *, backend: str = "chi_llm") -> None:
        super().__init__(message)
        self.message = message
        self.backend = backend

    def __str__(self) -> str:
        return self.message


REDACTED = "[redacted]"
MIN_SECRET = 6  # shorter values are not treated as secrets (they would redact ordinary words)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced, for anything relayed from a server."""
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class ConfigError(ChiLlmError):
    """Configuration is malformed or names something that does not exist."""

    kind = "config_error"

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None) -> None:
        where = ", ".join(part for part in (source, f"key '{key}'" if key else None) if part)
        super().__init__(f"{where}: {message}" if where else message, backend="config")
        self.detail = message
        self.source = source
        self.key = key


class InvalidRequest(ChiLlmError):
    """The caller passed arguments that cannot make a valid request."""

    kind = "invalid_request"


class ToolsUnsupported(InvalidRequest):
    """The request needs tools (it declares them, or its history carries tool calls or results)
    and the provider or model cannot take them: refused before anything is sent."""

    kind = "tools_unsupported"


class InvalidToolCall(InvalidRequest):
    """The model called a tool that was not offered, or with arguments that do not follow its
    schema, again right after the error went back to it: the tool loop stops."""

    kind = "invalid_tool_call"


class ToolLoopLimit(InvalidRequest):
    """The model still asked for tool calls after `max_rounds` rounds of the tool loop.

    Attributes:
        rounds: the rounds run.
    """

    kind = "tool_loop_limit"

    def __init__(self, message: str, *, rounds: int, backend: str = "tools") -> None:
        super().__init__(message, backend=backend)
        self.rounds = rounds


class ModelNotFound(ChiLlmError):
    """The requested model is not known or its file does not exist."""

    kind = "model_not_found"


class ModelFetchFailed(ChiLlmError):
    """A model could not be downloaded, extracted or verified."""

    kind = "model_fetch_failed"


class ModelCorrupt(ModelFetchFailed):
    """A model file failed verification (size or sha256)."""

    kind = "model_corrupt"


class InsufficientResources(ChiLlmError):
    """Not enough memory to load a model, or not enough disk to download it."""

    kind = "insufficient_resources"


class BackendUnavailable(ChiLlmError):
    """The backend cannot be reached or cannot run here."""

    kind = "backend_unavailable"


class MissingCredentials(ChiLlmError):
    """The backend needs credentials that are missing or were refused."""

    kind = "missing_credentials"


class ContextLengthExceeded(ChiLlmError):
    """The prompt does not fit in the model's context window."""

    kind = "context_length_exceeded"

    def __init__(self, *, prompt_tokens: int, context: int, backend: str) -> None:
        super().__init__(
            f"the prompt is {prompt_tokens} tokens but the context window is {context} tokens; "
            "shorten the prompt, raise `context` (config key or CHI_LLM_CONTEXT), "
            "or pass truncate=True to drop the oldest text",
            backend=backend,
        )
        self.prompt_tokens = prompt_tokens
        self.context = context


class RateLimited(ChiLlmError):
    """The backend kept answering 429 (too many requests) after the retries."""

    kind = "rate_limited"


class AllProvidersFailed(ChiLlmError):
    """Every candidate provider failed; `attempts` lists (provider id, error) in order."""

    kind = "all_providers_failed"

    def __init__(self, attempts: list[tuple[str, ChiLlmError]]) -> None:
        lines = "; ".join(f"{pid}: {error.kind}: {error.message}" for pid, error in attempts)
        super().__init__(f"every provider failed — {lines}", backend="router")
        self.attempts = attempts


class GenerationFailed(ChiLlmError):
    """The backend failed while generating."""

    kind = "generation_failed"


class Cancelled(ChiLlmError):
    """The caller cancelled the operation; what it had done so far is kept where that helps
    (a cancelled download resumes on the next attempt)."""

    kind = "cancelled"


class StructuredOutputError(ChiLlmError):
    """The answer did not parse or did not follow the schema, even after one repair attempt.

    Attributes:
        raw: the last answer as the model wrote it.
        errors: what the validator said, one line per problem.
    """

    kind = "structured_output_failed"

    def __init__(self, message: str, *, raw: str, errors: Iterable[str] = (), backend: str = "chi_llm") -> None:
        super().__init__(message, backend=backend)
        self.raw = raw
        self.errors = tuple(errors)
