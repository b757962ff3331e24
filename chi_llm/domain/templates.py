"""Prompt templates: named prompts with declared variables, kept as data (YAML files), rendered
with `{variable}` placeholders (`{{` and `}}` for literal braces)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from chi_llm.domain.errors import InvalidRequest

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateVariable:
    name: str
    required: bool = False
    default: str = ""
    help: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptTemplate:
    name: str
    description: str
    prompt: str
    variables: tuple[TemplateVariable, ...] = ()
    input: str | None = None  # the variable the main text (argument, file or stdin) fills
    aliases: tuple[str, ...] = ()
    source: str = "built-in"

    def render(self, values: Mapping[str, object]) -> str:
        """The prompt with every variable filled; a missing required one or an unknown one is an
        InvalidRequest naming it and the variables this template takes."""
        known = {v.name: v for v in self.variables}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise InvalidRequest(
                f"template {self.name} has no variable {', '.join(unknown)}; it takes {self.signature()}"
            )
        missing = [v.name for v in self.variables if v.required and not str(values.get(v.name) or "").strip()]
        if missing:
            raise InvalidRequest(f"template {self.name} needs {', '.join(missing)}; it takes {self.signature()}")

        def fill(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in ("{{", "}}"):
                return token[0]
            name = match.group(1)
            if name not in known:
                return token  # not a declared variable: left as written
            value = values.get(name)
            return str(value) if value is not None else known[name].default

        return PLACEHOLDER.sub(fill, self.prompt).strip() + "\n"

    def signature(self) -> str:
        return ", ".join(v.name if v.required else f"{v.name}={v.default!r}" for v in self.variables) or "nothing"


class TemplateStore(ABC):
    """Where templates come from: the built-in ones, then the user's folder (which may override)."""

    @abstractmethod
    def all(self) -> list[PromptTemplate]: ...

    def get(self, name: str) -> PromptTemplate:
        wanted = name.strip().lower().replace("_", "-")
        for template in self.all():
            if wanted == template.name or name in template.aliases:
                return template
        names = ", ".join(t.name for t in self.all())
        raise InvalidRequest(f"no template {name!r}; the templates are: {names} (chi-llm template --list)")
