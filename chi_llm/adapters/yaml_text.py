"""YAML read safely and boundedly: the safe loader (libyaml when present), with limits on
aliases and nesting so a hostile file cannot hang or crash a command."""

from __future__ import annotations

import sys
from typing import Any

from chi_llm.domain.config_limits import too_many_digits

MAX_ALIASES = 64  # real configuration files use a handful; "billion laughs" uses thousands
MAX_DEPTH_HINT = "nested too deeply"


def load_yaml(text: str) -> Any:
    """Parse YAML. Raises ValueError (with line and column where known) for invalid YAML, too
    many aliases, too deep nesting or an integer too long for Python to read."""
    import yaml

    class Bounded(yaml.SafeLoader):
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise ValueError(f"more than {MAX_ALIASES} aliases; refusing to expand them")
            return super().compose_node(parent, index)

    def bounded_int(loader: Any, node: Any) -> Any:
        """An integer within Python's digit limit (the scalar's length checked first: a long
        base-60 `1:2:3...` would take minutes to compute)."""
        where = f"invalid YAML at line {node.start_mark.line + 1}"
        if len(str(node.value)) > sys.get_int_max_str_digits():
            raise ValueError(f"{where}: {too_many_digits()}")
        try:
            return yaml.SafeLoader.construct_yaml_int(loader, node)
        except ValueError:
            raise ValueError(f"{where}: {too_many_digits()}") from None

    Bounded.add_constructor("tag:yaml.org,2002:int", bounded_int)
    try:
        return yaml.load(text, Loader=Bounded)  # noqa: S506 (a SafeLoader subclass)
    except RecursionError:
        raise ValueError(MAX_DEPTH_HINT) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None


def dump_keeping_comments(old_text: str, values: dict[str, Any]) -> str:
    """YAML for `values` that keeps the comments and layout of `old_text` wherever the value
    under them is unchanged (ruamel.yaml's round trip): changed keys are replaced, removed
    keys dropped, new keys appended."""
    import io

    from ruamel.yaml import YAML

    round_trip = YAML()
    round_trip.preserve_quotes = True
    document = round_trip.load(old_text)
    if not isinstance(document, dict):  # only comments so far: keep them above the new keys
        document = None
    out = io.StringIO()
    if document is None:
        round_trip.dump(values, out)
        return old_text.rstrip("\n") + "\n" + out.getvalue()
    _merge(document, values)
    round_trip.dump(document, out)
    return out.getvalue()


def _merge(target: Any, values: dict[str, Any]) -> None:
    for key in [k for k in target if k not in values]:
        del target[key]
    for key, value in values.items():
        if key in target and isinstance(target[key], dict) and isinstance(value, dict):
            _merge(target[key], value)
        elif key not in target or target[key] != value:
            target[key] = value
