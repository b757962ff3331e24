"""chi_llm 2.x's `chi_llm.analyzer`: CodeAnalyzer, load_model, analyze_code, DEFAULT_QUESTION."""

from chi_llm.entrypoints.legacy_analyzer import DEFAULT_QUESTION, CodeAnalyzer, analyze_code, load_model

__all__ = ["DEFAULT_QUESTION", "CodeAnalyzer", "analyze_code", "load_model"]
