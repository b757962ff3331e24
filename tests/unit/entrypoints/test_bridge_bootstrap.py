"""The wizard's bridge methods: `bootstrap/write` carries out the plan `bootstrap/preview` showed
(its `digest` sent back as `expect`), or refuses: never a different write."""

from __future__ import annotations
