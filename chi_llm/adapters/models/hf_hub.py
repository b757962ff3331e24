"""The Hugging Face hub's listing of a repository's files, with their LFS sha256 and sizes
(`HfApi.model_info(files_metadata=True)`: `GET /api/models/{repo}/revision/{rev}?blobs=true`)."""

from __future__ import annotations

from chi_llm.adapters.models.hf_source import _endpoint, _token, translate
from chi_llm.domain.models.hub_refs import HubFile
from chi_llm.domain.models.spec import HfSource, is_sha256
from chi_llm.domain.ports import ModelHub


class HfHub(ModelHub):
    """Lists a repository through huggingface-hub (HF_ENDPOINT and HF_TOKEN honoured)."""

    def files(self, repo: str, revision: str) -> list[HubFile]:
        from huggingface_hub import HfApi

        try:
            info = HfApi(endpoint=_endpoint(), token=_token()).model_info(
                repo, revision=revision, files_metadata=True, timeout=30
            )
        except Exception as exc:  # every hub failure becomes a domain error
            raise translate(exc, HfSource(repo=repo, filename="(its file list)", revision=revision)) from exc
        found = []
        for sibling in info.siblings or []:
            lfs = sibling.lfs
            digest = str(lfs.sha256).lower() if lfs is not None else None
            sha256 = digest if is_sha256(digest) else None
            size = lfs.size if lfs is not None else sibling.size
            found.append(HubFile(path=sibling.rfilename, size_bytes=size, sha256=sha256))
        return found
