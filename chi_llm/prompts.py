"""chi_llm 2.x's `chi_llm.prompts`: PromptTemplates, code_prompt, data_prompt."""

from chi_llm.entrypoints.legacy_api import code_prompt, data_prompt
from chi_llm.entrypoints.templates import PromptTemplates

__all__ = ["PromptTemplates", "code_prompt", "data_prompt"]
