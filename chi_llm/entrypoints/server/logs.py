"""The server's logs on stderr: one access line per request (request id, model, tokens,
latency; never prompt text or keys), as text or, with `--json-logs`, one JSON object a line."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from chi_llm.domain.generation import Usage

access_log = logging.getLogger("chi_llm.serve.access")
CLIENT_CLOSED = 499  # nginx's status for a client that left before the answer was complete
LOGGERS = ("chi_llm", "uvicorn", "uvicorn.error")


@dataclass(slots=True)
class AccessRecord:
    """What one request did, filled in as it runs and logged when its response is finished."""

    request_id: str
    method: str
    path: str
    client: str | None
    started: float = field(default_factory=time.perf_counter)
    status: int = 0
    model: str | None = None
    provider: str | None = None
    fallback: str | None = None  # the profiles that failed before `provider` answered
    stream: bool = False
    usage: Usage | None = None
    outcome: str = "ok"  # ok, error, client_gone

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "latency_ms": round((time.perf_counter() - self.started) * 1000, 1),
            "client": self.client,
        }
        if self.model is not None:
            out.update(model=self.model, provider=self.provider, stream=self.stream)
            if self.fallback:
                out["fallback"] = self.fallback
        if self.usage is not None:
            out.update(prompt_tokens=self.usage.prompt_tokens, completion_tokens=self.usage.completion_tokens)
        if self.outcome != "ok":
            out["outcome"] = self.outcome
        return out

    def left(self) -> None:
        """The client went away before the answer was complete (whole or streamed): 499."""
        self.status, self.outcome = CLIENT_CLOSED, "client_gone"

    def log(self) -> None:
        access_log.info("access", extra={"access": self.fields()})


PLAIN = re.compile(r"[\w.:/@+%,\[\]-]+", re.ASCII)


def logfmt(value: Any) -> str:
    """A value as it appears in a text log line: as is when plain, else quoted with every
    control character, quote and non-ASCII character escaped, so a value chosen by a client
    (a model name, a path) can never end the line or pose as another field."""
    text = str(value)
    return text if PLAIN.fullmatch(text) else json.dumps(text)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        access = getattr(record, "access", None)
        stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
        if access is not None:
            pairs = " ".join(f"{k}={logfmt(v)}" for k, v in access.items() if v is not None)
            return f"{stamp} access {pairs}"
        return f"{stamp} {record.levelname.lower()} {record.name}: {record.getMessage()}" + (
            "\n" + self.formatException(record.exc_info) if record.exc_info else ""
        )


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        access = getattr(record, "access", None)
        if access is not None:
            entry.update(event="access", **access)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(*, json_logs: bool, level: int = logging.INFO) -> None:
    """Send chi_llm's and uvicorn's logs to stderr in one format (uvicorn's own access log is off:
    ours has the request id, model and tokens)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_logs else TextFormatter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True
