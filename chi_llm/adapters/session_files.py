"""A saved conversation: a JSON file (history, system prompt, model) and, beside it, the
backend's state (`<file>.kv`, a KV cache) so a long conversation resumes without evaluating its
history again. Both are written through a temp file and a rename."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from chi_llm.adapters.bounded_read import read_bytes, read_text
from chi_llm.domain.config_limits import MAX_SESSION_BYTES, load_json
from chi_llm.domain.errors import ConfigError, InvalidRequest

FORMAT = "chi_llm-session"
VERSION = 1
MAX_STATE_BYTES = 1 << 40  # no real limit: only a regular file is read


def state_path(path: Path) -> Path:
    return path.with_name(path.name + ".kv")


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_session(path: Path, document: dict[str, Any], state: bytes | None) -> Path:
    """Write the conversation (and its state, or remove a stale one)."""
    body = json.dumps({"format": FORMAT, "version": VERSION, **document}, ensure_ascii=False, indent=1).encode()
    if len(body) > MAX_SESSION_BYTES:  # read_session would refuse it
        raise InvalidRequest(
            f"the conversation is {len(body) >> 20} MiB, more than the {MAX_SESSION_BYTES >> 20} MiB a saved one "
            "may hold; reset it or start a new one"
        )
    try:
        if state is None:
            state_path(path).unlink(missing_ok=True)
        else:
            _replace(state_path(path), state)
        _replace(path, body)
    except OSError as exc:
        raise InvalidRequest(f"cannot save the conversation to {path} ({exc.strerror or exc})") from None
    return path


def read_session(path: Path) -> tuple[dict[str, Any], bytes | None]:
    """The conversation saved at `path` and its state if one is beside it (else None)."""
    try:
        document = load_json(read_text(path, limit=MAX_SESSION_BYTES), source=str(path))
    except ConfigError as exc:
        raise InvalidRequest(f"cannot read a saved conversation from {path} ({exc.detail})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidRequest(f"{path} is not a conversation saved by chi_llm (Session.save)")
    if document.get("version") != VERSION:
        raise InvalidRequest(f"{path} was saved by another chi_llm version (format {document.get('version')!r})")
    history = document.get("history")
    if not isinstance(history, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in history
    ):
        raise InvalidRequest(f"{path}: 'history' must be a list of {{role, content}} messages")
    try:  # a KV cache is as large as the model's context needs: no size limit, a regular file only
        state: bytes | None = read_bytes(state_path(path), limit=MAX_STATE_BYTES)
    except ConfigError:  # none, or not one we can read: the history is evaluated again
        state = None
    return document, state
