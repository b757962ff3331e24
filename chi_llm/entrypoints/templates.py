"""`chi_llm.PromptTemplates`: the prompt templates by name, as chi_llm 2.x offered them
(`PromptTemplates.code_review(code, language="go")` returns the prompt text), kept as data files:
the built-in ones plus your `templates_dir`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.templates import PromptTemplate, TemplateStore


def default_store() -> TemplateStore:
    from chi_llm.entrypoints.wiring import wire

    return wire(check_model=False).templates()


def bind(template: PromptTemplate, args: tuple[Any, ...], values: dict[str, Any]) -> dict[str, Any]:
    """Positional arguments fill the input variable first, then the others in declared order."""
    order = [v.name for v in template.variables]
    if template.input in order:
        order.remove(template.input)
        order.insert(0, template.input)
    if len(args) > len(order):
        raise InvalidRequest(f"template {template.name} takes {template.signature()}; got {len(args)} values")
    for name, value in zip(order, args, strict=False):
        if name in values:
            raise InvalidRequest(f"template {template.name}: {name} given twice")
        values[name] = value
    return values


class TemplateLibrary:
    """Attribute access renders: `PromptTemplates.commit_message(diff)`; also `names()`, `get(name)`
    and `render(name, *args, **values)`."""

    def __init__(self, store: TemplateStore | None = None) -> None:
        self._given = store

    @property
    def store(self) -> TemplateStore:
        """The given store, else the configured one (configuration read once, on first use)."""
        if self._given is None:
            self._given = default_store()
        return self._given

    def names(self) -> list[str]:
        """The names of every template: the built-in ones and those of `templates_dir`."""
        return [t.name for t in self.store.all()]

    def get(self, name: str) -> PromptTemplate:
        """The template `name` (its variables, description and text); an unknown name is an error
        naming the known ones."""
        return self.store.get(name)

    def render(self, name: str, *args: Any, **values: Any) -> str:
        """The prompt text of template `name` with its variables filled: positional `args` in the
        template's order, then `values` by name; a missing or unknown variable is an error.

        ```python
        from chi_llm import PromptTemplates

        prompt = PromptTemplates.render("commit", changes="+ timeout = 30")
        assert "timeout = 30" in prompt
        ```
        """
        template = self.get(name)
        return template.render(bind(template, args, dict(values)))

    def __getattr__(self, name: str) -> Callable[..., str]:
        if name.startswith("_"):
            raise AttributeError(name)
        template = self.get(name)
        return lambda *args, **values: template.render(bind(template, args, dict(values)))


PromptTemplates = TemplateLibrary()
