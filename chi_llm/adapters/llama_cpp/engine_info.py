"""llama.cpp's own report of its build: version, GPU offload, compiled-in CPU features and backends."""

from __future__ import annotations

from chi_llm.domain.diagnostics import EngineReport
from chi_llm.domain.ports import EngineInfo


class LlamaCppEngineInfo(EngineInfo):
    """Imports llama-cpp-python (~0.2 s) to ask it; only diagnostics does."""

    def report(self) -> EngineReport:
        try:
            import llama_cpp
        except (ImportError, OSError) as exc:  # not installed, or its shared library will not load
            return EngineReport(installed=False, error=f"{type(exc).__name__}: {exc}")
        raw = llama_cpp.llama_print_system_info()
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return EngineReport(
            installed=True,
            version=str(getattr(llama_cpp, "__version__", "")) or None,
            gpu_offload=bool(llama_cpp.llama_supports_gpu_offload()),
            system_info=" ".join(text.split()).rstrip(" |"),
        )
