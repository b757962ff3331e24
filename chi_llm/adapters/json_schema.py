"""SchemaValidator over `jsonschema` (Draft 2020-12): every error, with where it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chi_llm.domain.structured import MAX_SCHEMA_DEPTH, SchemaValidator, nesting


def _where(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class JsonSchemaValidator(SchemaValidator):
    def errors(self, instance: Any, schema: Mapping[str, Any]) -> list[str]:
        from jsonschema import Draft202012Validator

        try:
            found = sorted(Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
        except RecursionError:  # an answer nested deeper than the validator can follow
            return ["$: nested too deeply to validate"]
        return [f"{_where(e.absolute_path)}: {e.message}" for e in found]

    def check_schema(self, schema: Mapping[str, Any]) -> list[str]:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        if nesting(schema) > MAX_SCHEMA_DEPTH:
            return [f"$: nested more than {MAX_SCHEMA_DEPTH} levels deep"]
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            return [f"{_where(exc.absolute_path)}: {exc.message}"]
        except RecursionError:
            return ["$: nested too deeply to check"]
        return []
