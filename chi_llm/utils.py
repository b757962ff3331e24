"""chi_llm 2.x's `chi_llm.utils`: its text helpers as they were, and its configuration helpers."""

from __future__ import annotations

from chi_llm.entrypoints.legacy_api import get_model_info, load_config
from chi_llm.entrypoints.legacy_text import (
    clean_response,
    count_tokens_approx,
    estimate_processing_time,
    format_chat_history,
    is_code,
    merge_responses,
    split_into_chunks,
    truncate_text,
    validate_response,
)

__all__ = [
    "clean_response",
    "count_tokens_approx",
    "estimate_processing_time",
    "format_chat_history",
    "get_model_info",
    "is_code",
    "load_config",
    "merge_responses",
    "split_into_chunks",
    "truncate_text",
    "validate_response",
]
