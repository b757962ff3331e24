"""Which model a provider profile generates with under the resolved settings."""

from __future__ import annotations

from chi_llm.domain.providers import ProviderProfile, model_for
from chi_llm.domain.settings import Settings


def model_of(profile: ProviderProfile, settings: Settings, *, catalog_models: bool) -> str | None:
    """The model `profile` generates with (see `model_for`). `catalog_models`: its provider type
    runs the local catalog's models (the registry says which), so the configured `model` applies
    to it even when that is only the built-in default; a remote server does not know those ids."""
    argument = str(settings["model"]) if settings.source("model") == "argument" else None
    configured = str(settings["model"]) if catalog_models or settings.is_set("model") else None
    return model_for(profile, argument=argument, configured=configured)
