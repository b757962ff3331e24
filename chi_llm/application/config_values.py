"""Configuration values between a command line, a checked setting and a file."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from chi_llm.domain.errors import ConfigError
from chi_llm.domain.legacy import migrate_layer, migrate_provider
from chi_llm.domain.providers import ProviderProfile


def migrated(values: Mapping[str, Any], source: str) -> tuple[dict[str, Any], list[str]]:
    """A file's mapping in today's keys (chi_llm 2.x keys mapped), and the notices."""
    out, notices = migrate_layer(values, source)
    if isinstance(out.get("provider"), Mapping):
        out["provider"], more, _ = migrate_provider(out["provider"], source, final=True)
        notices.extend(more)
    return out, notices


def stored_form(value: Any) -> Any:
    """A checked value as a file stores it (profiles as plain mappings, settings normalised)."""
    if isinstance(value, ProviderProfile):
        return value.single()
    if isinstance(value, tuple) and all(isinstance(v, ProviderProfile) for v in value):
        return [v.entry() for v in value]
    return value


def parse_scalar(raw: str) -> Any:
    """Turn CLI text into the JSON value it spells (numbers, booleans, null, lists, objects),
    else keep the text."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON; or a number or nesting JSON cannot hold
        return raw
    return value if isinstance(value, (int, float, bool, dict, list)) or value is None else raw


def coerce(check: Callable[[Any], Any], raw: str) -> Any:
    """The value of command-line text `raw` for a key (`check` validates it): the text itself if
    the key accepts it, else its JSON value. When neither passes, the error is the text's (a
    number or a word is read as the text it is, as a file would), or for JSON lists and objects,
    what is wrong inside them."""
    try:
        return stored_form(check(raw))
    except ConfigError as as_text:
        value = parse_scalar(raw)
        if value == raw:
            raise
        try:
            return stored_form(check(value))
        except ConfigError:
            if isinstance(value, (dict, list)):
                raise
            raise as_text from None
