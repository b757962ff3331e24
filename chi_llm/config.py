"""chi_llm 2.x's configuration SDK (`chi_llm.config`): load_config, resolve_model,
get_provider_settings, list_provider_models — also importable from `chi_llm`."""

from chi_llm.entrypoints.legacy_api import get_provider_settings, list_provider_models, load_config, resolve_model

__all__ = ["get_provider_settings", "list_provider_models", "load_config", "resolve_model"]
