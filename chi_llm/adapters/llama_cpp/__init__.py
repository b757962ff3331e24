"""The local llama.cpp backend (llama-cpp-python), imported lazily."""

from chi_llm.adapters.llama_cpp.generator import LlamaCppGenerator

__all__ = ["LlamaCppGenerator"]
