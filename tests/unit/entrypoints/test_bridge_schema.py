"""Every method the bridge offers is in tui/protocol/bridge.schema.json (the golden conversations
are replayed against the real bridge in tests/integration/entrypoints/test_bridge_fixtures.py)."""

from __future__ import annotations

from tests.support.bridge_replay import (
    ROOT,
)


def test_every_method_the_bridge_offers_is_in_the_schema() -> None:
    from chi_llm.entrypoints.bridge.methods import INLINE, METHODS, TOOL_NOTIFICATIONS

    assert set(METHODS) | set(INLINE) == set(ROOT["x-methods"])
    assert set(TOOL_NOTIFICATIONS) <= set(ROOT["x-notifications"])
