"""YAML read safely and boundedly: the safe loader (libyaml when present), with limits on
aliases and nesting so a hostile file cannot hang or crash a command."""

from __future__ import annotations

from typing import Any

MAX_ALIASES = 64  # real configuration files use a handful; "billion laughs" uses thousands
MAX_DEPTH_HINT = "nested too deeply"


def load_yaml(text: str) -> Any:
    """Parse YAML. Raises ValueError (with line and column where known) for invalid YAML, too
    many aliases or too deep nesting."""
    import yaml

    class Bounded(yaml.SafeLoader):
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise ValueError(f"more than {MAX_ALIASES} aliases; refusing to expand them")
            return super().compose_node(parent, index)

    try:
        return yaml.load(text, Loader=Bounded)  # noqa: S506 (a SafeLoader subclass)
    except RecursionError:
        raise ValueError(MAX_DEPTH_HINT) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
