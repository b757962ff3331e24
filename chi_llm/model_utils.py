"""chi_llm 2.x's `chi_llm.model_utils`: format_model_info, get_model_by_size."""

from chi_llm.entrypoints.legacy_api import format_model_info, get_model_by_size

__all__ = ["format_model_info", "get_model_by_size"]
