"""How each configuration value is checked: type, range and size (see config_limits). A check
returns the value it accepts, normalised, or raises ValueError (ConfigError for provider
profiles, which name their own keys); `settings.check_value` adds the source and key."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any

from chi_llm.domain.config_limits import MAX_ITEMS, MAX_TEXT
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.providers import LOCAL_ID, ProviderProfile, Schemas, check_profile


def whole_number(minimum: int, maximum: int = 2**31 - 1) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            text = value.strip() if isinstance(value, str) else ""
            if 0 < len(text) <= 40 and text.lstrip("-").isdigit():
                value = int(text)
            else:
                raise ValueError(f"must be a whole number, got {shown(value)}")
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {shown(value)}")
        if value > maximum:
            raise ValueError(f"must be at most {maximum}, got {shown(value)}")
        return int(value)

    return check


def shown(value: Any) -> str:
    """A value as an error quotes it: a long one cut short (a huge number is not even printed)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        return "a number of more than 40 digits"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


def number_in(low: float, high: float, *, open_low: bool = False) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"must be a number, got {shown(value)}")
        if isinstance(value, str) and len(value) > 40:
            raise ValueError(f"must be a number, got {shown(value)}")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"must be a number, got {shown(value)}") from None
        if not math.isfinite(number):
            raise ValueError(f"must be a finite number, got {shown(value)}")
        if number < low or number > high or (open_low and number == low):
            bracket = "(" if open_low else "["
            raise ValueError(f"must be in {bracket}{low}, {high}], got {number}")
        return number

    return check


def text_of(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"must be non-empty text, got {shown(value)}")
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters, got {len(value)}")
        return value

    return check


short_text = text_of(MAX_TEXT)


def folder(value: Any) -> str:
    """An absolute folder path (`~` allowed): a relative or garbled one would silently put
    models wherever the command happens to run."""
    text = short_text(value)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError(f"must be a folder path without control characters, got {shown(value)}")
    if not (text.startswith("/") or text.startswith("~") or (len(text) > 2 and text[1] == ":")):
        raise ValueError(f"must be an absolute folder path (or start with ~), got {shown(value)}")
    if text.startswith("~") and os.path.expanduser(text) == text:
        raise ValueError(f"names the home folder of a user this machine does not have, got {shown(value)}")
    return text


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return value.lower() in ("1", "true", "yes", "on")
    raise ValueError(f"must be true or false, got {shown(value)}")


def optional_whole_number(value: Any) -> int | None:
    return None if value is None else whole_number(0, 2**63 - 1)(value)


def model_entries(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(e, Mapping) and isinstance(e.get("id"), str) for e in value):
        raise ValueError("must be a list of model entries, each a mapping with an 'id'")
    at_most_items(value)
    return [dict(e) for e in value]


def folders(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise ValueError(f"must be a list of absolute folder paths, got {shown(value)}")
    at_most_items(value)
    return [folder(p) for p in value]


def at_most_items(value: list[Any]) -> None:
    if len(value) > MAX_ITEMS:
        raise ValueError(f"must hold at most {MAX_ITEMS} entries, got {len(value)}")


def provider(value: Any, schemas: Schemas, source: str) -> ProviderProfile:
    if isinstance(value, ProviderProfile):
        return value
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"must be a mapping such as {{type: local}}, got {shown(value)}", source=source, key="provider"
        )
    kind = value.get("type", "local")
    raw = {**value, "id": LOCAL_ID if kind == "local" else kind, "type": kind}
    return check_profile(raw, schemas, source=source, key="provider")


def profiles(value: Any, schemas: Schemas, source: str) -> tuple[ProviderProfile, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(
            "must be a list of provider profiles ({id, type, settings, tags, priority})", source=source, key="providers"
        )
    if len(value) > MAX_ITEMS:
        raise ConfigError(f"must hold at most {MAX_ITEMS} profiles, got {len(value)}", source=source, key="providers")
    seen: set[str] = set()
    out = []
    for raw in value:
        profile = raw if isinstance(raw, ProviderProfile) else check_profile(raw, schemas, source=source)
        if profile.id in seen:
            raise ConfigError(f"duplicate provider id {profile.id!r}", source=source, key="providers")
        seen.add(profile.id)
        out.append(profile)
    return tuple(out)


def rag(value: Any) -> Any:
    from chi_llm.domain.rag import check_rag  # RAG's own module: not loaded for a generation

    return check_rag(value)


def checked_elsewhere(value: Any) -> Any:  # provider keys: validated with the provider schemas
    return value
