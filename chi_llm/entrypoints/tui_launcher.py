"""Finding (or building) the `chi-tui` program for `chi-llm ui`.

Order: CHI_TUI_BIN when set; the program installed in this environment (beside this
interpreter, then on PATH — the `chi-tui` wheel puts it there); else, in a chi-llm checkout, the
release build under tui/chi-tui/target/release, built with cargo when it is missing or older
than its sources. Otherwise a clear error with the install command."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from chi_llm.adapters.features import TUI_PROGRAM, program_path
from chi_llm.domain.errors import ChiLlmError

CRATE = Path(__file__).resolve().parents[2] / "tui" / "chi-tui"
INSTALL = (
    "install it from a chi-llm checkout with `pip install ./tui/chi-tui` (needs Rust's cargo), "
    "or run scripts/setup.sh there"
)


class TuiUnavailable(ChiLlmError):
    kind = "tui_unavailable"


def built_program(crate: Path = CRATE) -> Path:
    return crate / "target" / "release" / (TUI_PROGRAM + (".exe" if os.name == "nt" else ""))


def stale(crate: Path = CRATE) -> bool:
    """Whether the release build is missing or older than any source, manifest or lock file."""
    binary = built_program(crate)
    if not binary.is_file():
        return True
    built = binary.stat().st_mtime
    sources = [crate / "Cargo.toml", crate / "Cargo.lock", *(crate / "src").rglob("*.rs")]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


def build(crate: Path = CRATE) -> Path:
    cargo = shutil.which("cargo")
    if cargo is None:
        raise TuiUnavailable(f"chi-tui is not built and cargo is not installed; {INSTALL}", backend="tui")
    done = subprocess.run([cargo, "build", "--release", "--manifest-path", str(crate / "Cargo.toml")], check=False)
    if done.returncode != 0:
        raise TuiUnavailable(f"cargo could not build {crate} (exit {done.returncode}); see its output above")
    return built_program(crate)


def locate(*, rebuild: bool = False, env: Mapping[str, str] = os.environ, crate: Path = CRATE) -> Path:
    if env.get("CHI_TUI_BIN"):
        return Path(env["CHI_TUI_BIN"])
    if not rebuild:
        installed = program_path(TUI_PROGRAM)
        if installed:
            return Path(installed)
    if (crate / "Cargo.toml").is_file():
        if rebuild or stale(crate):
            if not rebuild and shutil.which("cargo") is None and built_program(crate).is_file():
                return built_program(crate)  # older than its sources, but the best there is
            return build(crate)
        return built_program(crate)
    raise TuiUnavailable(f"chi-tui is not installed; {INSTALL}", backend="tui")
