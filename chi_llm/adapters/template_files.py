"""TemplateStore over YAML files: the built-in templates shipped in the package, then the user's
`templates_dir` (a file there with a built-in's name replaces it)."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

from chi_llm.adapters.bounded_read import read_text
from chi_llm.adapters.yaml_text import load_yaml
from chi_llm.domain.config_limits import check_structure
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.settings import check_on_disk
from chi_llm.domain.templates import PromptTemplate, TemplateStore, TemplateVariable

BUILT_IN = "prompt_templates"


def parse(data: Any, source: str) -> PromptTemplate:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(data.get("prompt"), str):
        raise ConfigError("a template needs at least `name` and `prompt` (text)", source=source)
    raw_vars = data.get("variables") or {}
    if not isinstance(raw_vars, dict) or not all(spec is None or isinstance(spec, dict) for spec in raw_vars.values()):
        raise ConfigError("`variables` must map each name to {required, default, help}", source=source)
    aliases = data.get("aliases") or ()
    if not isinstance(aliases, (list, tuple)):
        raise ConfigError("`aliases` must be a list of names", source=source)
    variables = tuple(
        TemplateVariable(
            name=str(name),
            required=bool((spec or {}).get("required", False)),
            default=str((spec or {}).get("default", "")),
            help=str((spec or {}).get("help", "")),
        )
        for name, spec in raw_vars.items()
    )
    return PromptTemplate(
        name=data["name"].strip().lower(),
        description=str(data.get("description", "")),
        prompt=data["prompt"],
        variables=variables,
        input=data.get("input"),
        aliases=tuple(str(a) for a in aliases),
        source=source,
    )


def _load(text: str, source: str) -> PromptTemplate:
    try:
        data = load_yaml(text)
    except ValueError as exc:
        raise ConfigError(f"not valid YAML: {exc}", source=source) from None
    check_structure(data, source=source)
    return parse(data, source)


@functools.cache
def built_in() -> tuple[PromptTemplate, ...]:
    """The templates shipped in the package (read once: package data does not change)."""
    found = []
    for entry in sorted(resources.files("chi_llm.adapters").joinpath(BUILT_IN).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            found.append(_load(entry.read_text(encoding="utf-8"), "built-in"))
    return tuple(found)


class YamlTemplates(TemplateStore):
    def __init__(self, user_dir: str | Path | None = None) -> None:
        self.user_dir = Path(user_dir).expanduser() if user_dir else None

    def all(self) -> list[PromptTemplate]:
        found = {template.name: template for template in built_in()}
        if self.user_dir is not None:
            check_on_disk("templates_dir", str(self.user_dir))
            for path in sorted(self.user_dir.glob("*.y*ml")):
                template = _load(read_text(path), str(path))
                found[template.name] = template
        return sorted(found.values(), key=lambda t: t.name)
