"""What a model id may be."""

from __future__ import annotations

MAX_MODEL_ID = 128


def model_id_problem(model_id: object) -> str | None:
    """What is wrong with `model_id` as a model id, or None. An id names a folder of partial
    downloads and is printed in listings and logs: 1 to 128 printable characters (no control
    characters, no undecodable bytes), no path separator, not `.` or `..`, no surrounding spaces.
    The catalog's own ids (`qwen2.5-coder-7b`) are far inside these bounds."""
    if not isinstance(model_id, str) or not model_id:
        return "a model id must be non-empty text"
    if len(model_id) > MAX_MODEL_ID:
        return f"a model id has at most {MAX_MODEL_ID} characters, this one {len(model_id)}"
    if not model_id.isprintable():
        return f"a model id must be printable (no control characters or undecodable bytes): {model_id!r}"
    if "/" in model_id or "\\" in model_id or model_id in (".", ".."):
        return f"a model id is a name, not a path: {model_id!r}"
    if model_id != model_id.strip():
        return f"a model id cannot start or end with a space: {model_id!r}"
    return None
