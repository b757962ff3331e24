"""Fetch a model file from a Hugging Face repository.

huggingface-hub resolves the file (URL, redirects, auth headers, size and sha256 from the hub's
LFS metadata) and maps the hub's errors. The body is streamed by httpx into
`<models>/.downloads/<id>/<file>.part`, which survives Ctrl-C and crashes: the next attempt
resumes it with a Range request. (huggingface-hub 2.x discards its partial files on interruption,
so it cannot give resumable downloads across runs.) `HF_TOKEN`, `HF_ENDPOINT` and proxy
variables are honoured.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from chi_llm.adapters.disk import disk_full
from chi_llm.domain.errors import ChiLlmError, MissingCredentials, ModelFetchFailed, ModelNotFound
from chi_llm.domain.model_spec import FetchProgress, HfSource, ModelSpec, RemoteFile
from chi_llm.domain.ports import ModelSource, ProgressCallback

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20
RETRIES = 5


def translate(exc: Exception, source: HfSource) -> ChiLlmError:
    """Map huggingface-hub's and httpx's exceptions to domain errors with a next step."""
    from huggingface_hub import errors

    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, errors.GatedRepoError) or status in (401, 403):
        return MissingCredentials(
            f"{source.repo} needs authorisation: accept its licence on the hub, then set HF_TOKEN "
            "(or run `hf auth login`)",
            backend="huggingface",
        )
    if isinstance(exc, errors.RepositoryNotFoundError):
        return ModelNotFound(
            f"repository {source.repo} was not found (a private repo needs HF_TOKEN)", backend="huggingface"
        )
    if isinstance(exc, errors.RevisionNotFoundError):
        return ModelNotFound(f"{source.repo} has no revision {source.revision!r}", backend="huggingface")
    if isinstance(exc, errors.EntryNotFoundError):
        return ModelNotFound(f"{source.repo} has no file {source.filename}", backend="huggingface")
    return ModelFetchFailed(
        f"could not download {source} ({type(exc).__name__}: {str(exc)[:200]}); check the network, "
        "HF_ENDPOINT and proxy settings, then run the same command again: it resumes where it stopped",
        backend="huggingface",
    )


def _endpoint() -> str | None:
    """HF_ENDPOINT as it is now (huggingface-hub itself reads it once, at import)."""
    return os.environ.get("HF_ENDPOINT") or None


def _token() -> str | None:
    return os.environ.get("HF_TOKEN") or None


class HfModelSource(ModelSource):
    """`hf:` sources: metadata through huggingface-hub, a resumable body download through httpx."""

    scheme = "hf"

    def _source(self, spec: ModelSpec) -> HfSource:
        if not isinstance(spec.source, HfSource):
            raise ModelFetchFailed(f"{spec.id} is not a Hugging Face source", backend="huggingface")
        return spec.source

    def _metadata(self, source: HfSource) -> Any:
        from huggingface_hub import get_hf_file_metadata, hf_hub_url

        try:
            url = hf_hub_url(source.repo, source.filename, revision=source.revision, endpoint=_endpoint())
            return get_hf_file_metadata(url, token=_token())
        except Exception as exc:  # every hub failure becomes a domain error
            raise translate(exc, source) from exc

    def disk_needed(self, spec: ModelSpec, size: int, resume_dir: Path) -> int:
        """What is left to download: a resumed `.part` already holds the start of the file."""
        part = resume_dir / f"{spec.filename}.part"
        return max(size - (part.stat().st_size if part.is_file() else 0), 0)

    def describe(self, spec: ModelSpec) -> RemoteFile:
        meta = self._metadata(self._source(spec))
        etag = (meta.etag or "").strip('"').lower()
        return RemoteFile(size_bytes=meta.size, sha256=etag if _SHA256.match(etag) else None)

    def fetch(self, spec: ModelSpec, destination: Path, progress: ProgressCallback, resume_dir: Path) -> None:
        source = self._source(spec)
        meta = self._metadata(source)
        work = resume_dir
        work.mkdir(parents=True, exist_ok=True)
        part = work / f"{spec.filename}.part"
        headers = self._headers(meta.location)
        for attempt in range(RETRIES + 1):
            try:
                self._stream(spec, meta.location, headers, part, meta.size, progress)
                break
            except ChiLlmError:
                raise
            except Exception as exc:  # network trouble: retry from where the part file ends
                full = disk_full(exc)
                if full is not None:  # retrying cannot help
                    raise full from exc
                if attempt == RETRIES or not _transient(exc):
                    raise translate(exc, source) from exc
                time.sleep(min(0.5 * 2**attempt, 8.0))
        os.replace(part, destination)
        with contextlib.suppress(OSError):  # tidy the now-empty resumable folder
            work.rmdir()

    def _headers(self, location: str) -> dict[str, str]:
        from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]  # lazily exported

        headers = dict(build_hf_headers(token=_token()))
        endpoint = urlparse(_endpoint() or "https://huggingface.co").netloc
        if urlparse(location).netloc != endpoint:  # a signed CDN URL: never send the token there
            headers.pop("authorization", None)
            headers.pop("Authorization", None)
        return headers

    def _stream(
        self,
        spec: ModelSpec,
        url: str,
        headers: dict[str, str],
        part: Path,
        size: int | None,
        progress: ProgressCallback,
    ) -> None:
        import httpx

        start = part.stat().st_size if part.exists() else 0
        if size is not None and start > size:
            part.unlink()
            start = 0
        if size is not None and start == size:
            return
        request_headers = {**headers, **({"Range": f"bytes={start}-"} if start else {})}
        timeout = httpx.Timeout(30.0, read=60.0)
        with httpx.stream("GET", url, headers=request_headers, follow_redirects=True, timeout=timeout) as response:
            if response.status_code == 416 and size is not None and start >= size:
                return
            response.raise_for_status()
            if start and response.status_code != 206:  # the server ignored the range: start over
                start = 0
            done = start
            with part.open("ab" if start else "wb") as out:
                for block in response.iter_bytes(CHUNK):
                    out.write(block)
                    done += len(block)
                    progress(FetchProgress(model_id=spec.id, phase="download", done=done, total=size))
                out.flush()
                os.fsync(out.fileno())


def _transient(exc: Exception) -> bool:
    import httpx

    return isinstance(exc, (httpx.TransportError, httpx.RemoteProtocolError)) or (
        isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in (429, 500, 502, 503, 504)
    )
