"""Models named by a hub reference: what was downloaded, and which file of a repository to fetch
(the largest quantization that fits this machine's memory, and its CPU speed budget when it has
no GPU to offload to)."""

from __future__ import annotations

from dataclasses import dataclass

from chi_llm.domain.errors import ChiLlmError, InsufficientResources, ModelFetchFailed, ModelNotFound
from chi_llm.domain.generation import DEFAULT_CONTEXT
from chi_llm.domain.hardware import Hardware, amount, cpu_budget, memory_needed, usable_memory
from chi_llm.domain.models.hub_refs import (
    PREFIX,
    HubFile,
    HubReference,
    hub_spec,
    is_runnable,
    parse_reference,
    quantization,
)
from chi_llm.domain.models.spec import ModelSpec
from chi_llm.domain.ports import ModelFiles, ModelHub, SystemProbe

FULL_PRECISION = frozenset({"F32", "BF16", "F16"})  # chosen only when a repository has nothing quantized
KV_ALLOWANCE = 0.2  # the KV cache at the default context, before the file's header can tell (checked at load)


@dataclass(frozen=True, slots=True, kw_only=True)
class HubChoice:
    """The file a reference resolves to; `reason` says why it was chosen (None: it was named, or
    it is the one downloaded before)."""

    spec: ModelSpec
    reason: str | None = None


def _needed(file: HubFile) -> int:
    weights = file.size_bytes or 0
    return memory_needed(weights + int(weights * KV_ALLOWANCE), None, DEFAULT_CONTEXT) or 0


def choose(files: list[HubFile], hardware: Hardware, reference: str) -> tuple[HubFile, str]:
    """The file of a repository to fetch for this machine, and why (InsufficientResources when no
    quantization fits, ModelNotFound when the repository holds no single-file .gguf model)."""
    runnable = [f for f in files if is_runnable(f.path) and f.size_bytes]
    if not runnable:
        split = any(f.path.lower().endswith(".gguf") for f in files)
        why = "only split (multi-part) or projector .gguf files" if split else "no .gguf file"
        raise ModelNotFound(f"{reference} has {why}; name a file with hf:owner/repo/file.gguf", backend="huggingface")
    quantized = [f for f in runnable if quantization(f.path) not in FULL_PRECISION] or runnable
    usable = usable_memory(hardware)
    fitting = [f for f in quantized if _needed(f) <= usable]
    if not fitting:
        smallest = min(quantized, key=lambda f: f.size_bytes or 0)
        raise InsufficientResources(
            f"no quantization in {reference} fits this machine: the smallest, {smallest.path} "
            f"({amount(smallest.size_bytes or 0)}), needs about {amount(_needed(smallest))} and "
            f"{amount(usable)} is available; free memory or choose a smaller model",
            backend="memory",
        )
    budget = cpu_budget(hardware)
    quick = [f for f in fitting if budget is None or (f.size_bytes or 0) <= budget]
    chosen = max(quick or fitting, key=lambda f: f.size_bytes or 0)
    reason = (
        f"chose {chosen.path} ({quantization(chosen.path) or 'quantization not named'}, "
        f"{amount(chosen.size_bytes or 0)}) of {len(runnable)} .gguf files: the largest that fits "
        f"{amount(usable)} of available memory"
    )
    if budget is not None and quick:
        reason += f" and the CPU-only speed budget of about {amount(budget)}"
    elif budget is not None:
        reason += f"; all of them are above the CPU-only speed budget of about {amount(budget)}: expect slow decoding"
    return chosen, reason


class HubModels:
    """Hub references: the files downloaded under them (from the store's records) and the file a
    repository reference resolves to."""

    def __init__(self, files: ModelFiles, hub: ModelHub | None = None, probe: SystemProbe | None = None) -> None:
        self._files = files
        self._hub = hub
        self._probe = probe

    def recorded(self) -> list[ModelSpec]:
        """Every hub file the store holds a record of (its file may since have been deleted)."""
        specs = []
        for record in self._files.records():
            try:
                spec = hub_spec(parse_reference(record.id).source(), size_bytes=record.size_bytes, sha256=record.sha256)
            except ChiLlmError:
                continue  # a catalog model's record, or one this version cannot read
            if spec.filename == record.filename:
                specs.append(spec)
        return specs

    def downloaded(self) -> list[ModelSpec]:
        return [s for s in self.recorded() if self._files.size_of(self._files.path_for(s)) is not None]

    def find(self, reference: str) -> ModelSpec | None:
        """The recorded file a reference names: the file itself, or for a repository the largest
        file downloaded from it at that revision."""
        ref = parse_reference(reference)
        if ref.path is not None:
            wanted = str(ref)
            return next((s for s in self.recorded() if s.id == wanted), None)
        mine = [s for s in self.downloaded() if _repository(s) == (ref.repo, ref.revision)]
        return max(mine, key=lambda s: s.size_bytes or 0) if mine else None

    def resolve(self, reference: str, *, choose_file: bool = True) -> HubChoice:
        """The spec a reference resolves to. A repository reference with nothing downloaded from it
        lists the repository on the hub and chooses (ModelNotFound instead when `choose_file` is
        False)."""
        ref = parse_reference(reference)
        found = self.find(reference)
        if found is not None:
            return HubChoice(spec=found)
        if ref.path is not None:
            return HubChoice(spec=hub_spec(ref.source()))
        if not choose_file:
            raise ModelNotFound(
                f"nothing is downloaded from {ref}; `chi-llm models download {ref}` chooses a file and fetches it",
                backend="huggingface",
            )
        return self._choose(ref)

    def _choose(self, ref: HubReference) -> HubChoice:
        if self._hub is None or self._probe is None:
            raise ModelFetchFailed(f"cannot list {ref}: no hub is configured", backend="huggingface")
        files = [f for f in self._hub.files(ref.repo, ref.revision) if _plausible(ref, f)]
        chosen, reason = choose(files, self._probe.hardware(), str(ref))
        spec = hub_spec(ref.source(chosen.path), size_bytes=chosen.size_bytes, sha256=chosen.sha256)
        return HubChoice(spec=spec, reason=reason)


def _plausible(ref: HubReference, file: HubFile) -> bool:
    """A listed file a reference could name (a path inside the repository) with a size a file can
    have: what a broken or hostile hub lists otherwise is passed over."""
    size = file.size_bytes
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or not 0 < size < 2**62):
        return False
    try:
        parse_reference(f"{PREFIX}{ref.repo}/{file.path}")
    except ChiLlmError:
        return False
    return True


def _repository(spec: ModelSpec) -> tuple[str, str]:
    source = parse_reference(spec.id)
    return source.repo, source.revision
