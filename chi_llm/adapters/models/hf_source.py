"""Fetch a model file from a Hugging Face repository.

huggingface-hub resolves the file (URL, redirects, auth headers, size and sha256 from the hub's
LFS metadata) and maps the hub's errors. The body is streamed by httpx into
`<models>/.downloads/<id>/<file>.part`, which survives Ctrl-C and crashes: the next attempt
resumes it with a Range request conditional on the version it was started against (If-Range on
the ETag recorded beside it, see resume_record), so a file changed upstream is fetched whole, never
spliced. (huggingface-hub 2.x discards its partial files on interruption, so it cannot give
resumable downloads across runs.) `HF_TOKEN`, `HF_ENDPOINT` and proxy variables are honoured.
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
from chi_llm.adapters.models import resume_record
from chi_llm.adapters.models.resume_record import Validator
from chi_llm.domain.errors import ChiLlmError, MissingCredentials, ModelFetchFailed, ModelNotFound
from chi_llm.domain.models.spec import FetchProgress, HfSource, ModelSpec, RemoteFile
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
        resumable = part.is_file() and resume_record.load(part) is not None  # else it starts over
        return max(size - (part.stat().st_size if resumable else 0), 0)

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
                self._stream(spec, meta, headers, part, progress)
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
        resume_record.discard(part)
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
        self, spec: ModelSpec, meta: Any, headers: dict[str, str], part: Path, progress: ProgressCallback
    ) -> None:
        """Download into `part`, resuming what an earlier attempt left when the server confirms it
        is the same version; otherwise from byte 0."""
        start = _resumable(part, meta)
        if meta.size is not None and start == meta.size:
            return
        if not self._get(spec, meta, headers, part, start, progress):  # a server that ignored If-Range
            resume_record.discard(part)
            self._get(spec, meta, headers, part, 0, progress)

    def _get(
        self, spec: ModelSpec, meta: Any, headers: dict[str, str], part: Path, start: int, progress: ProgressCallback
    ) -> bool:
        """One GET from `start` (with If-Range on the recorded validator); False, with nothing
        written, when a range came back that is not the recorded version's."""
        import httpx

        record = resume_record.load(part) if start else None
        condition = record.if_range() if record else None
        ranged = {"Range": f"bytes={start}-", "If-Range": condition} if start and condition else {}
        timeout = httpx.Timeout(30.0, read=60.0)
        with httpx.stream(
            "GET", meta.location, headers={**headers, **ranged}, follow_redirects=True, timeout=timeout
        ) as response:
            if response.status_code == 416 and meta.size is not None and start >= meta.size:
                return True
            response.raise_for_status()
            if ranged and response.status_code == 206 and not _same_version(response, start, record):
                return False
            if response.status_code != 206:  # no range asked, or the file changed: from byte 0
                start = 0
            self._write(spec, response, part, start, meta, progress)
            return True

    @staticmethod
    def _write(spec: ModelSpec, response: Any, part: Path, start: int, meta: Any, progress: ProgressCallback) -> None:
        size: int | None = meta.size
        done = start
        with part.open("ab" if start else "wb") as out:
            if not start:  # truncated first, then recorded: a crash between leaves nothing to splice
                resume_record.save(part, Validator(etag=response.headers.get("etag"), identity=meta.etag, size=size))
            for block in response.iter_bytes(CHUNK):
                out.write(block)
                done += len(block)
                progress(FetchProgress(model_id=spec.id, phase="download", done=done, total=size))
            out.flush()
            os.fsync(out.fileno())


def _resumable(part: Path, meta: Any) -> int:
    """How many bytes of `part` a resume may keep: none without a recorded validator, when the hub
    now names another version, or when the recorded one cannot be sent as If-Range."""
    start = part.stat().st_size if part.is_file() else 0
    if not start:
        return 0
    record = resume_record.load(part)
    if (
        record is None
        or record.identity != meta.etag
        or record.size != meta.size
        or record.if_range() is None
        or (meta.size is not None and start > meta.size)
    ):
        resume_record.discard(part)
        return 0
    return start


def _same_version(response: Any, start: int, record: Validator | None) -> bool:
    """A 206 continues the recorded download only if it starts where the part file ends and, when
    both sides have one, carries the recorded ETag (an old server may ignore If-Range)."""
    content_range = response.headers.get("content-range", "")
    if not content_range.startswith(f"bytes {start}-"):
        return False
    etag = response.headers.get("etag")
    return record is None or record.etag is None or etag is None or etag == record.etag


def _transient(exc: Exception) -> bool:
    import httpx

    return isinstance(exc, (httpx.TransportError, httpx.RemoteProtocolError)) or (
        isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in (429, 500, 502, 503, 504)
    )
