"""Fetch a model file from a Hugging Face repository through huggingface-hub.

`HF_TOKEN`, `HF_ENDPOINT` and proxy variables are honoured by huggingface-hub itself.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from chi_llm.adapters.disk import watch_growth
from chi_llm.domain.errors import MissingCredentials, ModelFetchFailed, ModelNotFound
from chi_llm.domain.models import FetchProgress, HfSource, ModelSpec
from chi_llm.domain.ports import ModelSource, ProgressCallback


class HfModelSource(ModelSource):
    """`hf:` sources, downloaded with `hf_hub_download` into a scratch folder, then handed over."""

    scheme = "hf"

    def fetch(self, spec: ModelSpec, destination: Path, progress: ProgressCallback) -> None:
        source = spec.source
        if not isinstance(source, HfSource):
            raise ModelFetchFailed(f"{spec.id} is not a Hugging Face source", backend="huggingface")
        from huggingface_hub import errors as hf_errors
        from huggingface_hub import hf_hub_download

        with tempfile.TemporaryDirectory(prefix="chi_llm-hf-", dir=destination.parent) as work:

            def report(done: int) -> None:
                progress(FetchProgress(model_id=spec.id, phase="download", done=done, total=spec.size_bytes))

            try:
                with watch_growth(Path(work), report):
                    fetched = hf_hub_download(
                        repo_id=source.repo, filename=source.filename, revision=source.revision, local_dir=work
                    )
            except hf_errors.GatedRepoError as exc:
                raise MissingCredentials(
                    f"{source.repo} is gated: accept its licence on the hub and set HF_TOKEN", backend="huggingface"
                ) from exc
            except hf_errors.RepositoryNotFoundError as exc:
                raise ModelNotFound(
                    f"repository {source.repo} was not found (or needs HF_TOKEN for a private repo)",
                    backend="huggingface",
                ) from exc
            except hf_errors.EntryNotFoundError as exc:
                raise ModelNotFound(f"{source.repo} has no file {source.filename}", backend="huggingface") from exc
            except (hf_errors.HfHubHTTPError, hf_errors.LocalEntryNotFoundError, OSError) as exc:
                raise ModelFetchFailed(
                    f"could not download {source} ({exc.__class__.__name__}: {str(exc)[:200]}); check the network, "
                    "HF_ENDPOINT and proxy settings, then try again",
                    backend="huggingface",
                ) from exc
            os.replace(fetched, destination)
