"""chi_llm 2.x's provider classes (`chi_llm.providers`): each is a MicroLLM on one provider
profile (the router: on several, with today's fallback), answering `generate`, `chat` and
`complete` as 2.x's did. Today's spelling is `MicroLLM(provider={...})` / `providers=[...]`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chi_llm.domain.errors import ConfigError
from chi_llm.domain.legacy import GONE_TYPES, migrate_layer, migrate_provider
from chi_llm.entrypoints.legacy_api import notice, old_spelling

DEFAULT_TIMEOUT = 30.0


class _Provider:
    """A 2.x provider object over a MicroLLM."""

    type = ""

    def __init__(self, **fields: Any) -> None:
        from chi_llm.entrypoints.facade import MicroLLM

        old_spelling(f"{type(self).__name__}(...)", f"use MicroLLM(provider={{'type': '{self.type}', ...}})")
        given = {k: v for k, v in fields.items() if v is not None}
        profile, _, _ = migrate_provider({"type": self.type, **given}, "argument", final=True)
        self.llm = MicroLLM(provider=profile)

    def generate(self, prompt: str, **kwargs: Any) -> str:
        answer: str = self.llm.generate(prompt, **kwargs)
        return answer

    def chat(self, message: str, history: Sequence[Mapping[str, str]] | None = None) -> str:
        answer: str = self.llm.chat(message, history)
        return answer

    def complete(self, text: str, **kwargs: Any) -> str:
        answer: str = self.llm.complete(text, **kwargs)
        return answer


def _required(kind: str, **values: Any) -> None:
    for name, value in values.items():
        if not value:
            raise ConfigError(f"the {kind} provider needs {name}", source="argument", key=name)


class LmStudioProvider(_Provider):
    type = "lmstudio"

    def __init__(
        self, host: str = "127.0.0.1", port: int = 1234, model: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        super().__init__(host=host, port=port, model=model, timeout=timeout)


class OllamaProvider(_Provider):
    type = "ollama"

    def __init__(
        self, host: str = "127.0.0.1", port: int = 11434, model: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        super().__init__(host=host, port=port, model=model, timeout=timeout)


class OpenAIProvider(_Provider):
    type = "openai"

    def __init__(
        self,
        api_key: str | None,
        model: str | None,
        base_url: str | None = None,
        host: str | None = None,
        port: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        _required("openai", api_key=api_key, model=model)
        super().__init__(api_key=api_key, model=model, base_url=base_url, host=host, port=port, timeout=timeout)


class AnthropicProvider(_Provider):
    type = "anthropic"

    def __init__(self, api_key: str | None, model: str | None, timeout: float = DEFAULT_TIMEOUT) -> None:
        _required("anthropic", api_key=api_key, model=model)
        super().__init__(api_key=api_key, model=model, timeout=timeout)


class _Gone:
    type = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        message = f"the {self.type} provider of chi_llm 2.x is gone; use {GONE_TYPES[self.type]}"
        raise ConfigError(message, source="argument", key="provider")


class ClaudeCLIProvider(_Gone):
    type = "claude-cli"


class OpenAICLIProvider(_Gone):
    type = "openai-cli"


class ProviderRouter(_Provider):
    """2.x's router over `profiles` ([{name, type, host, port, ..., tags, priority}]): the first
    that answers, by priority (today's router, with its fallback)."""

    def __init__(self, profiles: Sequence[Mapping[str, Any]], registry: Mapping[str, Any] | None = None) -> None:
        from chi_llm.entrypoints.facade import MicroLLM

        old_spelling("ProviderRouter(profiles)", "use MicroLLM(providers=[{id, type, settings, tags, priority}])")
        if registry is not None:
            raise ConfigError("a registry of provider factories is gone: provider types are built in", key="registry")
        migrated, notices = migrate_layer({"provider_profiles": list(profiles)}, "argument")
        for text in notices[1:]:  # the first says provider_profiles is read as providers: said above
            notice("ProviderRouter: " + text.removeprefix("argument: "))
        self.llm = MicroLLM(providers=migrated["providers"])
