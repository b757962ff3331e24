"""What a configuration file or value may hold, and JSON read within those bounds: a hostile or
mistaken file fails fast with a ConfigError naming it, instead of eating memory, time or the
stack."""

from __future__ import annotations

import json
import sys
from typing import Any

from chi_llm.domain.errors import ConfigError

MAX_FILE_BYTES = 1 << 20  # a configuration, catalog or template file (real ones are a few KiB)
MAX_SESSION_BYTES = 64 << 20  # a saved conversation (its history: several 16 MiB inputs at most)
MAX_DEPTH = 32  # lists and mappings inside one another (real files nest 5 deep)
MAX_VALUES = 100_000  # values in one file, an alias counted each time it is used
MAX_TEXT = 4096  # characters in a text value: an id, a model path, a folder
MAX_SYSTEM = 256 * 1024  # characters in `system` (about 64k tokens)
MAX_ITEMS = 1000  # entries in a list value (gguf_paths, providers, models)
MAX_PARALLEL = 256  # `parallel`: llama.cpp's LLAMA_MAX_SEQ, the most sequences one context holds


def too_many_digits() -> str:
    return f"a number has more than {sys.get_int_max_str_digits()} digits; shorten it (or write it as text)"


def load_json(text: str, *, source: str) -> Any:
    """Parse JSON text, raising ConfigError naming `source` for invalid JSON, numbers too long
    for Python to read, and nesting too deep for the parser."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", source=source) from None
    except RecursionError:
        raise ConfigError("invalid JSON: nested too deeply", source=source) from None
    except ValueError:  # Python's limit on the digits of an integer
        raise ConfigError(f"invalid JSON: {too_many_digits()}", source=source) from None


def check_structure(value: Any, *, source: str) -> None:
    """Refuse a parsed file nested deeper than MAX_DEPTH or holding more than MAX_VALUES values.

    Walked without recursion, counting a shared (YAML alias) value each time it is reached, so
    an alias bomb stops at MAX_VALUES steps instead of expanding."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while pending:
        item, depth = pending.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise ConfigError(
                f"holds more than {MAX_VALUES} values; a configuration file is far smaller", source=source
            )
        if isinstance(item, (dict, list, tuple)):
            if depth >= MAX_DEPTH:
                raise ConfigError(f"nested too deeply (at most {MAX_DEPTH} levels)", source=source)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
