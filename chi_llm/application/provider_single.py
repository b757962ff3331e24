"""A file's one-provider `provider:` key, read as a profile of the `providers:` list.

A file that holds both reads only the list, so adding the first profile beside a `provider:` key
would take away the provider that had been answering. `providers add` carries it into the list
instead (chi_llm.application.provider_service)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chi_llm.domain.legacy import migrate_provider
from chi_llm.domain.providers import LOCAL_ID, ProviderProfile, Schemas, check_profile


def carried_single(values: Mapping[str, Any], schemas: Schemas, *, taken: str) -> ProviderProfile | None:
    """The file's `provider:` as a profile when the list would override it: a remote type and no
    list yet (a local one stays: it is the embedded fallback's own settings). Its id is its type,
    or `TYPE-previous` where the new profile takes that name."""
    single = values.get("provider")
    if not isinstance(single, Mapping) or values.get("providers"):
        return None
    raw, _, _ = migrate_provider(single, "the file", final=True)
    kind = raw.get("type")
    if not isinstance(kind, str) or kind == LOCAL_ID:
        return None
    name = kind if kind != taken else f"{kind}-previous"
    return check_profile({**raw, "id": name}, schemas, source="the file", key="provider")
