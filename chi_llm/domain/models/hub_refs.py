"""Models named by a Hugging Face hub reference: `hf:owner/repo/file.gguf[@revision]` (one file)
or `hf:owner/repo[@revision]` (a repository: chi_llm chooses the quantization)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.models.spec import HfSource, ModelSpec, hub_text

PREFIX = "hf:"
# The hub's own rules (huggingface_hub.utils.validate_repo_id): letters, digits, `-`, `_`, `.`;
# no `--` or `..`; at most 96 characters a part.
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_QUANT = re.compile(r"(?:^|[-_.])((?:I?Q\d(?:_[A-Z0-9]+)*)|BF16|F16|F32)(?=[-_.])", re.IGNORECASE)
_SHARD = re.compile(r"-\d{5}-of-\d{5}\.gguf$")
_FORM = "hf:owner/repo/file.gguf[@revision] or hf:owner/repo[@revision]"
MAX_STORED_NAME = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class HubReference:
    """A parsed reference: a repository, and the file in it when one is named."""

    repo: str
    path: str | None
    revision: str = "main"

    def source(self, path: str | None = None) -> HfSource:
        chosen = path or self.path
        if chosen is None:
            raise InvalidRequest(f"{self} names a repository, not a file")
        return HfSource(repo=self.repo, filename=chosen, revision=self.revision)

    def __str__(self) -> str:
        return hub_text(self.repo, self.path, self.revision)


@dataclass(frozen=True, slots=True, kw_only=True)
class HubFile:
    """A file of a hub repository as its API lists it (sha256: the LFS one; None when not in LFS)."""

    path: str
    size_bytes: int | None
    sha256: str | None


def is_hub_reference(model: str) -> bool:
    return model.startswith(PREFIX)


def parse_reference(text: str) -> HubReference:
    """`text` as a hub reference; InvalidRequest saying what is wrong otherwise (a path that climbs
    out of the repository, a file that is not .gguf, names the hub does not allow)."""
    if not is_hub_reference(text):
        raise InvalidRequest(f"a hub reference looks like {_FORM}, got {text!r}")
    body, at, revision = text[len(PREFIX) :].partition("@")
    if at and (not _REVISION.match(revision) or ".." in revision.split("/")):
        raise InvalidRequest(f"{text!r}: the revision must be a branch, tag or commit name, got {revision!r}")
    parts = body.split("/")
    if len(parts) < 2 or not all(_NAME.match(p) and "--" not in p and ".." not in p for p in parts[:2]):
        raise InvalidRequest(
            f"{text!r} is not a hub reference: write {_FORM} (owner and repository are letters, digits, - _ .)"
        )
    path = "/".join(parts[2:]) or None
    if path is not None:
        if any(p in ("", ".", "..") for p in parts[2:]) or "\\" in path or not path.isprintable():
            raise InvalidRequest(f"{text!r}: the file must be a path inside the repository (no '.', '..' or '//')")
        if not path.endswith(".gguf"):
            raise InvalidRequest(f"{text!r}: chi_llm runs GGUF files; name a .gguf file in the repository")
    return HubReference(repo="/".join(parts[:2]), path=path, revision=revision or "main")


def stored_filename(source: HfSource) -> str:
    """The bare file name a hub file is kept under in the models folder: unique per repository,
    path and revision (two repositories often publish files of the same name)."""
    owner, repo = source.repo.split("/")
    base = PurePosixPath(source.filename).name
    plain = "/" not in source.filename and source.revision == "main"
    if plain and len(base) + len(owner) + len(repo) + 4 <= MAX_STORED_NAME:
        return f"{owner}--{repo}--{base}"
    digest = hashlib.sha256(f"{source.repo}/{source.filename}@{source.revision}".encode()).hexdigest()[:10]
    keep = max(MAX_STORED_NAME - len(owner) - len(repo) - len(digest) - 6, 12)
    return f"{owner}--{repo}--{digest}--{base[-keep:]}"


def quantization(path: str) -> str | None:
    """The quantization a GGUF file name states (`Q4_K_M`, `IQ4_XS`, `F16`), upper-cased."""
    found = _QUANT.findall(PurePosixPath(path).name)
    return found[-1].upper() if found else None


def is_runnable(path: str) -> bool:
    """A whole model file: .gguf, not one shard of a split model, not a vision projector."""
    name = PurePosixPath(path).name
    return name.endswith(".gguf") and not _SHARD.search(name) and "mmproj" not in name.lower()


def hub_spec(source: HfSource, *, size_bytes: int | None = None, sha256: str | None = None) -> ModelSpec:
    """The spec of a hub file: its id is its reference (what `models list` shows and every command takes)."""
    return ModelSpec(
        id=str(source),
        name=PurePosixPath(source.filename).stem,
        source=source,
        filename=stored_filename(source),
        size_bytes=size_bytes,
        sha256=sha256,
        quantization=quantization(source.filename),
        description=f"from the Hugging Face hub repository {source.repo}",
        tags=("hub",),
    )
