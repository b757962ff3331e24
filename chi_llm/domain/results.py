"""The one JSON convention for typed results, shared by the CLI's `--json`, the bridge and the server."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from pathlib import PurePath
from typing import Any


def to_json(value: Any) -> Any:
    """Plain JSON data for a result: dataclasses become objects (fields in declaration order, a
    class may rename or hide fields with `json_fields()`), tuples lists, paths text."""
    if isinstance(value, JsonResult):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


class JsonResult:
    """Mixin for frozen result dataclasses: `to_json()` gives their stable JSON shape."""

    __slots__ = ()

    def json_fields(self) -> Mapping[str, Any]:
        """The fields to serialise (override to add computed fields or hide internal ones)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        return {key: to_json(value) for key, value in self.json_fields().items()}
