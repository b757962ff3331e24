"""Diagnostics: what the machine, the llama.cpp build, the model store, the configuration and the
providers look like, each check with a measured value and, when not ok, what to do."""

from chi_llm.application.diagnostics.service import DiagnosticsService

__all__ = ["DiagnosticsService"]
