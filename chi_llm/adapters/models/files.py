"""The model store on disk: `<cache_dir>/models/<file>.gguf`, verified once and stamped."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from chi_llm.adapters.disk import bytes_under
from chi_llm.adapters.file_lock import exclusive_lock
from chi_llm.adapters.models import records as model_records
from chi_llm.domain.errors import ConfigError, ModelCorrupt, ModelFetchFailed
from chi_llm.domain.models.spec import InstalledModel, ModelSpec, RecordedFile
from chi_llm.domain.ports import ModelFiles

_CHUNK = 1 << 20
log = logging.getLogger("chi_llm")
_WRITABLE_ADVICE = (
    "the file or its folder is read-only or not yours: fix the permissions (an immutable file: "
    "chattr -i), or set CHI_LLM_HOME to a folder you can write"
)


@contextlib.contextmanager
def _readable(path: Path) -> Iterator[None]:
    """A model file this user cannot read is named, with what to do."""
    try:
        yield
    except PermissionError as exc:
        raise ConfigError(
            f"cannot read the model file ({exc.strerror}); fix its permissions (chmod u+r) or use another copy",
            source=str(path),
        ) from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


SAMPLE_EDGE = 1 << 20  # bytes hashed at each end
SAMPLE_BLOCKS, SAMPLE_BLOCK = 16, 64 * 1024


def sample_digest(path: Path, size: int) -> str:
    """sha256 over the first and last MiB and 16 blocks of 64 KiB spread over the file."""
    digest = hashlib.sha256()
    offsets = [0, max(size - SAMPLE_EDGE, 0)] + [(i + 1) * size // (SAMPLE_BLOCKS + 1) for i in range(SAMPLE_BLOCKS)]
    lengths = [SAMPLE_EDGE, SAMPLE_EDGE] + [SAMPLE_BLOCK] * SAMPLE_BLOCKS
    with path.open("rb") as handle:
        for offset, length in zip(offsets, lengths, strict=True):
            handle.seek(offset)
            digest.update(handle.read(length))
    return digest.hexdigest()


def _unchanged(stamp: dict[str, Any], stat: os.stat_result) -> bool:
    return stamp.get("size") == stat.st_size and stamp.get("mtime_ns") == stat.st_mtime_ns


_PARTIAL = re.compile(r"^\..+\.partial-(\d+)$")
_WHEEL_WORK = re.compile(r"^chi_llm-wheel-(\d+)-")


def _owner_pid(name: str) -> int | None:
    match = _PARTIAL.match(name) or _WHEEL_WORK.match(name)
    return int(match.group(1)) if match else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalModelFiles(ModelFiles):
    """Stores model files flat in one folder.

    A verified file gets a stamp (`.<file>.verified`) recording its size, mtime, ctime and sha256,
    so later loads check integrity cheaply (a sample); a file whose size, mtime or ctime changed is
    hashed again in full. Any write moves the ctime, which nobody can set back, so a file edited in
    place with its mtime restored is hashed in full; a copied or moved store pays one full hash.
    """

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir
        # Files found intact by this instance, by inode, size, mtime and ctime: a later call skips
        # the sampled hash (every generation locates its model). Any write changes the ctime,
        # which nobody can set back, so a file changed since is checked again.
        self._intact: dict[Path, tuple[int, int, int, int]] = {}

    def path_for(self, spec: ModelSpec) -> Path:
        return self.models_dir / spec.filename

    def _stamp_path(self, spec: ModelSpec) -> Path:
        return self.models_dir / f".{spec.filename}.verified"

    def partial_path(self, spec: ModelSpec) -> Path:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        return self.models_dir / f".{spec.filename}.partial-{os.getpid()}"

    def lock(self, spec: ModelSpec) -> AbstractContextManager[None]:
        """A lock per file, kept beside the models folder (in `<cache_dir>/locks`, with the
        configuration locks) so the models folder holds only models. Lock files stay: removing
        one while another process waits on it would let two processes fetch at once."""
        return exclusive_lock(self.models_dir.parent / "locks" / f"model-{spec.filename}.lock")

    def is_ready(self, spec: ModelSpec) -> bool:
        path = self.path_for(spec)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        if not path.is_file():  # a folder in its place is not a model (place() explains)
            return False
        if spec.size_bytes is not None and stat.st_size != spec.size_bytes:
            return False
        if self._intact.get(path) == (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns):
            return True
        if self._checked(spec, path, stat):
            self._remember(path)
            return True
        return False

    def _read_stamp(self, spec: ModelSpec) -> dict[str, Any]:
        try:
            stamp = json.loads(self._stamp_path(spec).read_text())
        except (OSError, ValueError):
            return {}
        return stamp if isinstance(stamp, dict) else {}

    def quick_check(self, spec: ModelSpec) -> str | None:
        path = self.path_for(spec)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return "missing"
        except OSError as exc:
            return f"cannot be read ({exc.strerror})"
        if not path.is_file():
            return "not a file"
        if spec.size_bytes is not None and stat.st_size != spec.size_bytes:
            return f"{stat.st_size:,} bytes, expected {spec.size_bytes:,}: damaged or incomplete"
        stamp = self._read_stamp(spec)
        if not _unchanged(stamp, stat) or not stamp.get("sample"):
            return "not verified since it last changed"
        if spec.sha256 is not None and stamp.get("sha256") != spec.sha256:
            return "verified against another sha256 than the catalog's"
        try:
            sample = sample_digest(path, stat.st_size)
        except OSError as exc:
            return f"cannot be read ({exc.strerror})"
        if sample != stamp["sample"]:
            return "its content changed since it was verified"
        if "ctime_ns" in stamp and stamp["ctime_ns"] != stat.st_ctime_ns:  # older stamps have none
            return "written, copied or moved since it was verified (its ctime changed); the next use hashes it in full"
        return None

    def _checked(self, spec: ModelSpec, path: Path, stat: os.stat_result) -> bool:
        stamp = self._read_stamp(spec)
        with _readable(path):
            if _unchanged(stamp, stat) and stamp.get("ctime_ns") == stat.st_ctime_ns and stamp.get("sample"):
                # Cheap on every load (~3 MB read): head, tail and 16 spread blocks of a file nothing
                # wrote since it was verified (its ctime is the recorded one).
                known = spec.sha256 is None or stamp.get("sha256") == spec.sha256
                return known and str(stamp["sample"]) == sample_digest(path, stat.st_size)
            # Never stamped, stamped by an older chi_llm (no ctime), written, copied or moved since.
            digest = sha256_of(path)
        expected = self._expected(spec, stamp)
        if expected is not None and digest != expected:
            return False
        self._stamp(spec, path, digest)
        return True

    def _stamp(self, spec: ModelSpec, path: Path, digest: str) -> None:
        """Record that the file was verified. Only a cache: a folder that cannot take it (read-only,
        immutable, full) costs a full check on the next use, never the use itself."""
        stat = path.stat()
        stamp = self._stamp_path(spec)
        temp = stamp.with_name(stamp.name + f".tmp-{os.getpid()}")
        sample = sample_digest(path, stat.st_size)
        try:
            temp.write_text(
                json.dumps(
                    {
                        "size": stat.st_size,
                        "mtime_ns": stat.st_mtime_ns,
                        "ctime_ns": stat.st_ctime_ns,
                        "sha256": digest,
                        "sample": sample,
                    }
                )
            )
            os.replace(temp, stamp)
        except OSError as exc:
            log.debug("cannot record the verification of %s: %s", path, exc)
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)

    def _expected(self, spec: ModelSpec, stamp: dict[str, Any]) -> str | None:
        """The sha256 the file must have: the catalog's, else the one recorded when it was fetched
        (the hub's), else the stamp's (files fetched before records existed)."""
        recorded = self.recorded(spec)
        stamped = stamp.get("sha256")
        return spec.sha256 or (recorded.sha256 if recorded else None) or (stamped if isinstance(stamped, str) else None)

    def recorded(self, spec: ModelSpec) -> RecordedFile | None:
        record = model_records.load(model_records.record_path(self.models_dir, spec.filename))
        return record if record is not None and record.filename == spec.filename else None

    def records(self) -> list[RecordedFile]:
        return model_records.every(self.models_dir)

    def _record(self, spec: ModelSpec, digest: str, size: int) -> None:
        """Kept until `remove`. Like the stamp, a folder that cannot take it never fails the fetch."""
        record = RecordedFile(
            id=spec.id, source=str(spec.source), filename=spec.filename, sha256=digest, size_bytes=size
        )
        try:
            model_records.save(model_records.record_path(self.models_dir, spec.filename), record)
        except OSError as exc:
            log.debug("cannot record the source of %s: %s", spec.filename, exc)

    def verify(self, spec: ModelSpec) -> str | None:
        """Hash the whole file now: None when it is intact (and re-stamp it), else what is wrong."""
        path = self.path_for(spec)
        if not path.is_file():
            return "not downloaded"
        size = path.stat().st_size
        if spec.size_bytes is not None and size != spec.size_bytes:
            return f"{size} bytes, expected {spec.size_bytes}"
        digest = sha256_of(path)
        expected = self._expected(spec, self._read_stamp(spec))
        if expected is not None and digest != expected:
            self._stamp_path(spec).unlink(missing_ok=True)  # the next use checks it in full and fetches it again
            return f"sha256 {digest[:12]}…, expected {expected[:12]}…"
        self._stamp(spec, path, digest)
        return None

    def place(self, spec: ModelSpec, partial: Path) -> Path:
        size = partial.stat().st_size
        if spec.size_bytes is not None and size != spec.size_bytes:
            partial.unlink(missing_ok=True)
            raise ModelCorrupt(
                f"{spec.id}: fetched file is {size} bytes, expected {spec.size_bytes}; the download was "
                "deleted and nothing was installed, try again",
                backend="verify",
            )
        digest = sha256_of(partial)
        if spec.sha256 is not None and digest != spec.sha256:
            partial.unlink(missing_ok=True)
            raise ModelCorrupt(
                f"{spec.id}: sha256 of the fetched file is {digest}, expected {spec.sha256}; the download "
                "was deleted and nothing was installed, try again (a persistent mismatch means the source "
                "changed)",
                backend="verify",
            )
        final = self.path_for(spec)
        for blocker in (final, self._stamp_path(spec)):
            if blocker.is_dir():
                partial.unlink(missing_ok=True)
                raise ModelFetchFailed(
                    f"{blocker} is a folder where chi_llm keeps a model file; move it away and fetch again",
                    backend="disk",
                )
        try:
            os.replace(partial, final)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ModelFetchFailed(
                f"cannot put the model in place at {final} ({exc.strerror}); {_WRITABLE_ADVICE}", backend="disk"
            ) from None
        self._record(spec, digest, size)
        self._stamp(spec, final, digest)
        self._remember(final)
        return final

    def _remember(self, path: Path) -> None:
        stat = path.stat()
        self._intact[path] = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)

    def discard(self, partial: Path) -> None:
        partial.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        folder = self.models_dir
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return shutil.disk_usage(folder).free

    def check_writable(self) -> str | None:
        try:
            self.models_dir.mkdir(parents=True, exist_ok=True)
            probe = self.models_dir / f".write-check-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            return f"cannot write in {self.models_dir} ({exc.strerror or exc})"
        return None

    def remove(self, spec: ModelSpec) -> int:
        freed = 0
        record = model_records.record_path(self.models_dir, spec.filename)
        for path in (self.path_for(spec), self._stamp_path(spec), record):
            try:
                size = path.stat().st_size
                path.unlink()
                freed += size
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise ConfigError(f"cannot delete it ({exc.strerror}); {_WRITABLE_ADVICE}", source=str(path)) from None
        partial = self.resume_dir(spec)
        if partial.exists():
            size = bytes_under(partial)
            try:
                shutil.rmtree(partial)
            except OSError as exc:
                raise ConfigError(
                    f"cannot delete it ({exc.strerror}); {_WRITABLE_ADVICE}", source=str(partial)
                ) from None
            freed += size
        return freed

    def resume_dir(self, spec: ModelSpec) -> Path:
        # A hub file's id is its reference (it holds slashes): its folder is named for the stored file.
        return self.models_dir / ".downloads" / (spec.filename if spec.id == str(spec.source) else spec.id)

    def partial_bytes(self) -> int:
        folders = [self.models_dir / ".downloads", *self._leftovers(only_stale=False)]
        return sum(bytes_under(f) if f.is_dir() else f.stat().st_size for f in folders if f.exists())

    def sweep(self) -> int:
        """Remove what killed fetches left (partial files, pip's wheel folders) whose process
        is gone; return the bytes freed. Live fetches of other processes are left alone."""
        freed = 0
        if self.models_dir.is_dir():  # lock files of earlier builds sat beside the models
            for old_lock in self.models_dir.glob(".*.gguf.lock"):
                with contextlib.suppress(OSError):
                    old_lock.unlink()
        for leftover in self._leftovers(only_stale=True):
            with contextlib.suppress(OSError):
                size = bytes_under(leftover) if leftover.is_dir() else leftover.stat().st_size
                if leftover.is_dir():
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()
                freed += size
        return freed

    def _leftovers(self, *, only_stale: bool) -> list[Path]:
        if not self.models_dir.is_dir():
            return []
        found = []
        for entry in self.models_dir.iterdir():
            pid = _owner_pid(entry.name)
            if pid is not None and not (only_stale and _alive(pid)):
                found.append(entry)
        return found

    def size_of(self, path: Path) -> int | None:
        try:
            return Path(os.path.expanduser(path)).stat().st_size if Path(os.path.expanduser(path)).is_file() else None
        except OSError:
            return None

    def owned_files(self) -> list[InstalledModel]:
        if not self.models_dir.is_dir():
            return []
        return [
            InstalledModel(id=path.name, path=str(path), size_bytes=path.stat().st_size, origin="chi_llm", owned=True)
            for path in sorted(self.models_dir.glob("*.gguf"))
        ]
