"""Fetch a model file from a Hugging Face repository through huggingface-hub.

`HF_TOKEN`, `HF_ENDPOINT` and proxy variables are honoured by huggingface-hub itself. Partial
downloads live in `<models>/.downloads/<id>/` so an interrupted download resumes next time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chi_llm.domain.errors import ChiLlmError, MissingCredentials, ModelFetchFailed, ModelNotFound
from chi_llm.domain.models import FetchProgress, HfSource, ModelSpec, RemoteFile
from chi_llm.domain.ports import ModelSource, ProgressCallback

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def translate(exc: Exception, source: HfSource) -> ChiLlmError:
    """Map huggingface-hub's exceptions to domain errors with a next step."""
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
        "HF_ENDPOINT and proxy settings, then run the same command again to resume",
        backend="huggingface",
    )


def _progress_class(report: Callable[[int, int | None], None]) -> type:
    from tqdm.auto import tqdm

    class Reporter(tqdm):  # type: ignore[misc]
        """tqdm that forwards byte counts to chi_llm's progress callback instead of drawing."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.done = int(kwargs.get("initial") or 0)
            self.expected = kwargs.get("total")

        def update(self, n: float | None = 1) -> bool | None:
            self.done += int(n or 0)
            report(self.done, self.expected)
            return None

    return Reporter


class HfModelSource(ModelSource):
    """`hf:` sources, downloaded with `hf_hub_download` into a resumable folder, then handed over."""

    scheme = "hf"

    def _source(self, spec: ModelSpec) -> HfSource:
        if not isinstance(spec.source, HfSource):
            raise ModelFetchFailed(f"{spec.id} is not a Hugging Face source", backend="huggingface")
        return spec.source

    def describe(self, spec: ModelSpec) -> RemoteFile:
        source = self._source(spec)
        from huggingface_hub import get_hf_file_metadata, hf_hub_url

        try:
            meta = get_hf_file_metadata(hf_hub_url(source.repo, source.filename, revision=source.revision))
        except Exception as exc:  # every hub failure is translated into a domain error
            raise translate(exc, source) from exc
        etag = (meta.etag or "").strip('"').lower()
        return RemoteFile(size_bytes=meta.size, sha256=etag if _SHA256.match(etag) else None)

    def fetch(self, spec: ModelSpec, destination: Path, progress: ProgressCallback) -> None:
        source = self._source(spec)
        from huggingface_hub import hf_hub_download

        work = destination.parent / ".downloads" / spec.id
        work.mkdir(parents=True, exist_ok=True)

        def report(done: int, total: int | None) -> None:
            progress(FetchProgress(model_id=spec.id, phase="download", done=done, total=total))

        try:
            fetched = hf_hub_download(
                repo_id=source.repo,
                filename=source.filename,
                revision=source.revision,
                local_dir=work,
                tqdm_class=_progress_class(report),
            )
        except Exception as exc:  # partial data stays in `work` for the next attempt
            raise translate(exc, source) from exc
        os.replace(fetched, destination)
