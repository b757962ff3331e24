"""Model specifications and where their files come from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chi_llm.domain.errors import ConfigError
from chi_llm.domain.models.ids import model_id_problem

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def is_sha256(text: object) -> bool:
    """64 lowercase hex digits: how chi_llm writes a sha256."""
    return isinstance(text, str) and _SHA256.match(text) is not None


_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class HfSource:
    """A file in a Hugging Face repository (`hf:REPO/FILE[@REVISION]`)."""

    repo: str
    filename: str
    revision: str = "main"

    @property
    def scheme(self) -> str:
        return "hf"

    def __str__(self) -> str:
        return hub_text(self.repo, self.filename, self.revision)


def hub_text(repo: str, path: str | None, revision: str) -> str:
    """`hf:owner/repo[/path][@revision]`, the revision left out when it is `main`."""
    suffix = "" if revision == "main" else f"@{revision}"
    return f"hf:{repo}{'/' + path if path else ''}{suffix}"


@dataclass(frozen=True, slots=True, kw_only=True)
class WheelSource:
    """A member of a wheel on the package index (`wheel:PKG==VER#path/in/wheel`)."""

    requirement: str
    member: str

    def __post_init__(self) -> None:
        if not _REQUIREMENT.match(self.requirement):
            raise ConfigError(f"wheel source needs an exact 'package==version', got {self.requirement!r}")
        if not self.member or self.member.startswith("/") or ".." in self.member.split("/"):
            raise ConfigError(f"wheel member must be a relative path inside the wheel, got {self.member!r}")

    @property
    def scheme(self) -> str:
        return "wheel"

    @property
    def package(self) -> str:
        return self.requirement.split("==", 1)[0]

    def __str__(self) -> str:
        return f"wheel:{self.requirement}#{self.member}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalSource:
    """A GGUF file already on this machine, used where it lies (never copied or deleted)."""

    path: str

    @property
    def scheme(self) -> str:
        return "local"

    def __str__(self) -> str:
        return f"local:{self.path}"


Source = HfSource | WheelSource | LocalSource


def parse_source(text: str) -> Source:
    """Parse `hf:owner/repo/file.gguf[@rev]` or `wheel:pkg==ver#member/path`."""
    scheme, _, rest = text.partition(":")
    if scheme == "hf":
        path, _, revision = rest.partition("@")
        parts = path.split("/")
        if len(parts) < 3 or not all(parts):
            raise ConfigError(f"hf source must look like hf:owner/repo/file.gguf, got {text!r}")
        if any(part in (".", "..") for part in parts) or "\\" in path:
            raise ConfigError(f"hf source must name a file inside its repository (no '.' or '..'), got {text!r}")
        return HfSource(repo="/".join(parts[:2]), filename="/".join(parts[2:]), revision=revision or "main")
    if scheme == "wheel":
        requirement, _, member = rest.partition("#")
        return WheelSource(requirement=requirement, member=member)
    raise ConfigError(f"model source must start with 'hf:' or 'wheel:', got {text!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Sampling:
    """A model's recommended sampling (its model card's), used when the caller and the
    configuration leave a value unset. The defaults are llama-cpp-python's."""

    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0

    def __post_init__(self) -> None:
        limits = {
            "temperature": (0.0, 2.0),
            "top_p": (0.0, 1.0),
            "top_k": (0, 1000),
            "min_p": (0.0, 1.0),
            "repeat_penalty": (0.5, 2.0),
        }
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ConfigError(f"sampling {name} must be a number in [{low}, {high}], got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSpec:
    """A model the catalog knows: identity, file, integrity and sizing facts."""

    id: str
    name: str
    source: Source
    filename: str
    size_bytes: int | None = None
    approx_size_bytes: int | None = None
    sha256: str | None = None
    context_length: int | None = None
    default_context: int | None = None
    kv_bytes_per_token: int | None = None
    family: str | None = None
    parameters: str | None = None
    quantization: str | None = None
    license: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    sampling: Sampling | None = None
    tools: bool | None = None  # the chat template renders tools (False: the generic format; None: unknown)

    @property
    def context_window(self) -> int | None:
        """The trained context (chi_llm 2.x's name for `context_length`)."""
        return self.context_length

    @property
    def planning_size(self) -> int | None:
        """The exact size when known, else the catalog's approximation (for disk/RAM planning)."""
        return self.size_bytes or self.approx_size_bytes

    @property
    def parameter_count(self) -> float:
        """Parameters as a number (\"1.5B\" -> 1.5e9); 0 when unknown."""
        text = (self.parameters or "").strip().upper()
        scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}.get(text[-1:], 0)
        try:
            return float(text[:-1]) * scale if scale else 0.0
        except ValueError:
            return 0.0

    def __post_init__(self) -> None:
        # A hub file's id is its reference (`hf:owner/repo/file.gguf`), which holds slashes.
        hub_id = isinstance(self.source, HfSource) and self.id == str(self.source)
        problem = None if hub_id else model_id_problem(self.id)
        if problem is not None:
            raise ConfigError(problem, key=self.id if isinstance(self.id, str) else None)
        if self.sha256 is not None and not (isinstance(self.sha256, str) and _SHA256.match(self.sha256)):
            raise ConfigError(f"sha256 must be 64 lowercase hex digits, got {self.sha256!r}", key=self.id)
        if "/" in self.filename or not self.filename.endswith(".gguf"):
            raise ConfigError(f"filename must be a bare .gguf name, got {self.filename!r}", key=self.id)
        for name in ("size_bytes", "context_length", "default_context", "kv_bytes_per_token", "approx_size_bytes"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**62):
                huge = isinstance(value, int) and value.bit_length() > 128  # repr() of some cannot even be made
                shown = "a number of more than 38 digits" if huge else repr(value)[:80]
                raise ConfigError(f"{name} must be a positive whole number below 2**62, got {shown}", key=self.id)
        if self.tools is not None and not isinstance(self.tools, bool):
            raise ConfigError(f"tools must be true or false, got {self.tools!r}"[:120], key=self.id)
        if self.default_context and self.context_length and self.default_context > self.context_length:
            raise ConfigError("default_context cannot exceed context_length", key=self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchProgress:
    """Progress of fetching a model: phase, bytes done and total when known."""

    model_id: str
    phase: str
    done: int
    total: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteFile:
    """What a source says about a file before downloading it (unknowns are None)."""

    size_bytes: int | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedFile:
    """What the store recorded when it placed a fetched file: the model id and source it was
    fetched as, and the sha256 it had (the hub's, checked then; every later check compares with it)."""

    id: str
    source: str
    filename: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledModel:
    """A GGUF file on this machine: in chi_llm's store, registered, or found in another tool.

    `id` is what MicroLLM(model=...) accepts: a catalog id for chi_llm's own files, else
    `<origin>:<name>` (e.g. `ollama:llama3.2:1b`). Only `owned` files may be removed by chi_llm.
    """

    id: str
    path: str
    size_bytes: int
    origin: str
    owned: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class GgufFacts:
    """Facts read from a GGUF header."""

    architecture: str | None
    name: str | None
    context_length: int | None
    kv_bytes_per_token: int | None
    has_chat_template: bool
