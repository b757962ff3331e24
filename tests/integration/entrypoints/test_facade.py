"""Importing chi_llm in a fresh interpreter is cheap."""

from __future__ import annotations


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = "import sys, chi_llm; print(sorted(m for m in ('llama_cpp','httpx','huggingface_hub','yaml','lancedb',"
    code += "'dependency_injector','rich') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    code = "import sys, chi_llm; chi_llm.MicroRAG; chi_llm.quick_rag; print(sorted(m for m in ('lancedb','fastembed',"
    code += "'pyarrow','onnxruntime','pypdf') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"  # the RAG libraries load when a knowledge base is used


def test_making_a_local_model_object_loads_no_numerics() -> None:
    import subprocess
    import sys

    code = "import sys; from chi_llm import MicroLLM; MicroLLM(); print('numpy' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "False"  # numpy comes with llama.cpp, at the first generation
