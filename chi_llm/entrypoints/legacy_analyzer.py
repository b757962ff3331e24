"""chi_llm 2.x's `chi_llm.analyzer` (itself kept from 1.x): CodeAnalyzer, load_model,
analyze_code, DEFAULT_QUESTION — over MicroLLM.analyze, which reads code of any length part by part."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

from chi_llm.entrypoints.legacy_api import old_spelling

DEFAULT_QUESTION = "Analyze this code and explain what it does"
MAX_FILE_BYTES = 100 * 1024  # as 2.x: a larger file is analyzed from its first 100 KB

log = logging.getLogger("chi_llm")


def _micro_llm(model_path: str | Path | None) -> Any:
    from chi_llm.entrypoints.facade import MicroLLM

    return MicroLLM(model=str(model_path) if model_path else None)


class CodeAnalyzer:
    """Questions about code. `use_gpu` is read from configuration today (`gpu_layers`)."""

    def __init__(self, model_path: str | Path | None = None, use_gpu: bool = True) -> None:
        old_spelling("CodeAnalyzer", "use MicroLLM().analyze(code, question)")
        self.use_gpu = use_gpu
        self.llm = _micro_llm(model_path)

    def analyze(self, code: str, question: str | None = None, filename: str | None = None) -> str:
        """The answer to `question` (default DEFAULT_QUESTION) about `code`; `filename` is not used."""
        answer: str = self.llm.analyze(code, question or DEFAULT_QUESTION)
        return answer

    def analyze_file(self, file_path: str | Path, question: str | None = None) -> str:
        """`analyze` on a file's text. FileNotFoundError when it is missing, ValueError when it is
        not a regular file or not UTF-8 text."""
        return self.analyze(read_source(Path(file_path)), question, filename=str(file_path))


def read_source(path: Path) -> str:
    """A regular file's first MAX_FILE_BYTES, decoded (checked before it is opened: no FIFO hangs)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}") from None
    if not stat.S_ISREG(mode):
        raise ValueError(f"not a regular file: {path}")
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        log.warning("%s is larger than 100 KB; its first 100 KB are analyzed", path)
        data = data[:MAX_FILE_BYTES]
    try:
        return data.decode("utf-8", errors="strict" if len(data) < MAX_FILE_BYTES else "ignore")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text (byte {exc.start})") from None


def load_model(model_path: str | Path | None = None) -> Any:
    """A MicroLLM on `model_path` (a .gguf file; None: the configured model), loaded on first use."""
    old_spelling("load_model()", "use MicroLLM(model=path)")
    return _micro_llm(model_path)


def analyze_code(llm: Any, code_content: str, filename: str | None = None, question: str | None = None) -> str:
    """`question` about `code_content`, answered by `llm` (a MicroLLM, as load_model returns)."""
    old_spelling("analyze_code()", "use MicroLLM().analyze(code, question)")
    answer: str = llm.analyze(code_content, question or DEFAULT_QUESTION)
    return answer
