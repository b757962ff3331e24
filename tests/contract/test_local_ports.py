"""Contracts of the local ports — ModelFiles, ModelInventory, ModelInspector, ConfigStore,
SystemProbe — run against every adapter of each (the shipped fakes included)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from chi_llm.adapters.config_files import FileConfigStore
from chi_llm.adapters.fake import FixedSystemProbe
from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.adapters.models.gguf import GgufInspector
from chi_llm.adapters.models.inventory import ToolInventory
from chi_llm.adapters.system_probe import LocalSystemProbe
from chi_llm.application.models.store import is_inventory_id
from chi_llm.domain.errors import ConfigError, ModelCorrupt
from chi_llm.domain.hardware import GIB, Gpu, Hardware
from chi_llm.domain.models.spec import HfSource, ModelSpec
from chi_llm.domain.ports import ConfigStore, ModelFiles, ModelInspector, ModelInventory, SystemProbe

DATA = b"GGUF" + bytes(range(256)) * 8
SPEC = ModelSpec(
    id="tiny",
    name="Tiny",
    source=HfSource(repo="o/r", filename="tiny.gguf"),
    filename="tiny.gguf",
    size_bytes=len(DATA),
    sha256=hashlib.sha256(DATA).hexdigest(),
)

# -- ModelFiles ---------------------------------------------------------------------------------

FILES: dict[str, Callable[[Path], ModelFiles]] = {"local": lambda tmp: LocalModelFiles(tmp / "models")}


@pytest.fixture(params=list(FILES), ids=list(FILES))
def files(request: pytest.FixtureRequest, tmp_path: Path) -> ModelFiles:
    return FILES[request.param](tmp_path)


def place(files: ModelFiles, data: bytes = DATA) -> Path:
    partial = files.partial_path(SPEC)
    partial.write_bytes(data)
    return files.place(SPEC, partial)


def test_files_place_verifies_and_keeps_the_file_in_the_store(files: ModelFiles) -> None:
    assert not files.is_ready(SPEC)
    placed = place(files)
    assert placed == files.path_for(SPEC) and placed.parent == files.models_dir
    assert files.is_ready(SPEC) and files.size_of(placed) == len(DATA)
    assert [m.size_bytes for m in files.owned_files()] == [len(DATA)]


def test_files_refuse_a_mismatch_and_install_nothing(files: ModelFiles) -> None:
    partial = files.partial_path(SPEC)
    partial.write_bytes(DATA[:-1] + b"x")
    with pytest.raises(ModelCorrupt, match="sha256"):
        files.place(SPEC, partial)
    assert not partial.exists() and not files.is_ready(SPEC) and files.owned_files() == []


def test_files_notice_an_edited_file(files: ModelFiles) -> None:
    placed = place(files)
    placed.write_bytes(DATA[:-1] + b"y")
    assert not files.is_ready(SPEC)


def test_files_verify_hashes_everything(files: ModelFiles) -> None:
    assert files.verify(SPEC) == "not downloaded"
    placed = place(files)
    assert files.verify(SPEC) is None
    placed.write_bytes(DATA[:100] + b"Z" + DATA[101:])
    problem = files.verify(SPEC)
    assert problem is not None and "sha256" in problem and not files.is_ready(SPEC)


def test_files_quick_check_reads_the_stamp_and_samples_never_the_whole_file(files: ModelFiles) -> None:
    import os

    assert files.quick_check(SPEC) == "missing"
    placed = place(files)
    assert files.quick_check(SPEC) is None
    before = os.stat(placed)
    placed.write_bytes(DATA[:7] + b"!" + DATA[8:])  # edited, size and mtime put back
    os.utime(placed, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert files.quick_check(SPEC) == "its content changed since it was verified"
    placed.write_bytes(DATA[:-1])
    assert "expected" in (files.quick_check(SPEC) or "")
    placed.write_bytes(DATA[:100] + b"Z" + DATA[101:])  # same size, touched
    assert files.quick_check(SPEC) == "not verified since it last changed"
    stamped = os.stat(placed)
    files.verify(SPEC)  # the full hash names the mismatch; the stamp is gone
    os.utime(placed, ns=(stamped.st_atime_ns, stamped.st_mtime_ns))
    assert files.quick_check(SPEC) is not None


def test_files_check_writable_says_why_not_and_leaves_nothing(files: ModelFiles) -> None:
    from tests.support.fs import read_only

    assert files.check_writable() is None and list(files.models_dir.iterdir()) == []
    with read_only(files.models_dir):
        problem = files.check_writable()
    assert problem is not None and str(files.models_dir) in problem


def dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


def test_files_sweep_what_killed_fetches_left(files: ModelFiles) -> None:
    import os

    files.models_dir.mkdir(parents=True, exist_ok=True)
    gone, alive = dead_pid(), os.getpid()
    stale_file = files.models_dir / f".tiny.gguf.partial-{gone}"
    stale_wheel = files.models_dir / f"chi_llm-wheel-{gone}-abc" / "dest"
    live_file = files.models_dir / f".tiny.gguf.partial-{alive}"
    stale_wheel.mkdir(parents=True)
    (stale_wheel / "x.whl").write_bytes(b"w" * 1000)
    stale_file.write_bytes(b"p" * 500)
    live_file.write_bytes(b"l" * 10)
    assert files.partial_bytes() == 1510  # counted by `models disk`
    assert files.sweep() == 1500
    assert not stale_file.exists() and not stale_wheel.parent.exists() and live_file.exists()


def test_files_sweep_lock_files_of_the_old_layout(files: ModelFiles) -> None:
    files.models_dir.mkdir(parents=True, exist_ok=True)
    old = files.models_dir / ".tiny.gguf.lock"
    old.touch()
    files.sweep()
    assert not old.exists()


def test_files_remove_frees_what_they_held(files: ModelFiles) -> None:
    place(files)
    assert files.remove(SPEC) >= len(DATA)
    assert not files.is_ready(SPEC) and files.owned_files() == [] and files.remove(SPEC) == 0


def test_files_discard_size_free_and_lock(files: ModelFiles, tmp_path: Path) -> None:
    partial = files.partial_path(SPEC)
    partial.write_bytes(b"half")
    files.discard(partial)
    files.discard(partial)  # idempotent
    assert not partial.exists() and files.size_of(partial) is None
    assert files.free_bytes() > 0 and files.partial_bytes() == 0
    with files.lock(SPEC):
        assert files.size_of(tmp_path / "missing.gguf") is None


# -- ModelInventory -----------------------------------------------------------------------------


def _tool_inventory(tmp: Path) -> ModelInventory:
    own = tmp / "mine" / "own.gguf"
    own.parent.mkdir(parents=True)
    own.write_bytes(DATA)
    return ToolInventory({}, [str(tmp / "mine"), str(tmp / "no-such-folder")], home=tmp / "empty-home")


INVENTORIES: dict[str, Callable[[Path], ModelInventory]] = {"tools": _tool_inventory}


@pytest.fixture(params=list(INVENTORIES), ids=list(INVENTORIES))
def inventory(request: pytest.FixtureRequest, tmp_path: Path) -> ModelInventory:
    return INVENTORIES[request.param](tmp_path)


def test_inventory_lists_existing_files_with_loadable_ids(inventory: ModelInventory) -> None:
    found = inventory.scan()  # a missing folder is skipped, never fatal
    assert found, "the inventory found nothing"
    for model in found:
        assert is_inventory_id(model.id)  # what MicroLLM(model=...) accepts and locate() finds
        assert Path(model.path).is_file() and model.size_bytes == Path(model.path).stat().st_size
        assert not model.owned  # other tools' files are never chi_llm's to delete


# -- ModelInspector -----------------------------------------------------------------------------

INSPECTORS: dict[str, Callable[[], ModelInspector]] = {"gguf": GgufInspector}


@pytest.fixture(params=list(INSPECTORS), ids=list(INSPECTORS))
def inspector(request: pytest.FixtureRequest) -> ModelInspector:
    return INSPECTORS[request.param]()


def test_inspector_reads_a_real_model(inspector: ModelInspector, default_model_path: Path) -> None:
    facts = inspector.inspect(default_model_path)
    assert facts.architecture == "llama" and facts.has_chat_template
    assert facts.context_length == 8192 and facts.kv_bytes_per_token and facts.kv_bytes_per_token > 0


@pytest.mark.parametrize("content", [b"not a model at all", b"GGUF\x03\x00\x00\x00\xff"])
def test_inspector_refuses_what_is_not_a_readable_gguf(
    inspector: ModelInspector, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelCorrupt):
        inspector.inspect(path)


# -- ConfigStore --------------------------------------------------------------------------------

STORES: dict[str, Callable[[Path], ConfigStore]] = {
    "files": lambda tmp: FileConfigStore(tmp / "project" / "sub", {"XDG_CONFIG_HOME": str(tmp / "xdg")})
}


@pytest.fixture(params=list(STORES), ids=list(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ConfigStore:
    (tmp_path / "project" / "sub").mkdir(parents=True)
    return STORES[request.param](tmp_path)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_store_round_trips_atomically(store: ConfigStore, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"config{suffix}"
    assert not store.exists(path)
    values = {"model": "m", "providers": [{"id": "a", "type": "fake", "settings": {"replies": ["x"]}}]}
    store.write(path, values)
    assert store.exists(path) and dict(store.read(path)) == values
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_store_finds_the_nearest_project_file_upwards(store: ConfigStore, tmp_path: Path) -> None:
    assert store.project_file() is None
    assert store.project_target().name == ".chi_llm.json"
    found = tmp_path / "project" / ".chi_llm.yaml"
    found.write_text("model: m\n")
    assert store.project_file() == found and store.project_target() == found
    assert store.global_file().is_relative_to(tmp_path / "xdg")


def test_store_names_the_file_of_a_malformed_config(store: ConfigStore, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{oops")
    with pytest.raises(ConfigError, match=str(path)):
        store.read(path)


# -- SystemProbe --------------------------------------------------------------------------------

PROBES: dict[str, Callable[[], SystemProbe]] = {
    "local": LocalSystemProbe,
    "local_without_tools": lambda: LocalSystemProbe(run=lambda _: None),
    "fixed": lambda: FixedSystemProbe(
        Hardware(
            total_ram=16 * GIB,
            available_ram=9 * GIB,
            physical_cores=4,
            logical_cores=8,
            gpus=(Gpu(kind="nvidia", name="RTX", vram_total=8 * GIB, vram_free=7 * GIB),),
            gpu_offload=True,
        )
    ),
}


@pytest.fixture(params=list(PROBES), ids=list(PROBES))
def probe(request: pytest.FixtureRequest) -> SystemProbe:
    return PROBES[request.param]()


def test_probe_reports_a_plausible_machine(probe: SystemProbe) -> None:
    hardware = probe.hardware()
    assert 0 < hardware.available_ram <= hardware.total_ram
    assert 1 <= hardware.physical_cores <= hardware.logical_cores
    for gpu in hardware.gpus:
        assert gpu.kind in ("nvidia", "rocm", "metal") and gpu.name
        assert gpu.vram_free is None or gpu.vram_total is None or gpu.vram_free <= gpu.vram_total


def test_probe_samples_a_plausible_cpu_load(probe: SystemProbe) -> None:
    load = probe.cpu_load(0.05)
    assert load is not None  # every probe here runs on Linux or is fixed
    assert load.cores >= 1 and 0.0 <= load.others <= load.cores and load.sample_s >= 0.0
    assert load.runnable is None or load.runnable >= 0


def test_store_keeps_permissions_and_makes_secret_files_private(store: ConfigStore, tmp_path: Path) -> None:
    path = tmp_path / "shared.json"
    store.write(path, {"model": "m"})
    path.chmod(0o644)
    store.write(path, {"model": "n"})
    assert path.stat().st_mode & 0o777 == 0o644
    store.write(path, {"model": "n", "provider": {"type": "openai", "api_key": "sk-x"}}, private=True)
    assert path.stat().st_mode & 0o777 == 0o600


def test_store_lock_excludes_another_process(store: ConfigStore, tmp_path: Path) -> None:
    import multiprocessing
    import time

    path, stamp = tmp_path / "locked.json", tmp_path / "child-got-it"
    with store.lock(path):
        child = multiprocessing.get_context("spawn").Process(target=_take_lock, args=(store, path, stamp))
        child.start()
        time.sleep(1.0)
        released = time.time()
    child.join(timeout=60)
    assert child.exitcode == 0 and float(stamp.read_text()) >= released  # it waited for us
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".lock")] == []  # nothing beside the file


def _take_lock(store: ConfigStore, path: Path, stamp: Path) -> None:
    import time

    with store.lock(path):
        stamp.write_text(repr(time.time()))


def test_files_keep_the_record_of_a_placed_file_until_it_is_removed(files: ModelFiles) -> None:
    assert files.recorded(SPEC) is None and files.records() == []
    placed = place(files)
    recorded = files.recorded(SPEC)
    assert recorded is not None
    assert (recorded.id, recorded.sha256, recorded.size_bytes) == ("tiny", SPEC.sha256, len(DATA))
    assert recorded.source == str(SPEC.source) and files.records() == [recorded]
    placed.unlink()  # the file alone goes: the record stays, so a new download is compared with it
    assert files.recorded(SPEC) == recorded
    files.remove(SPEC)
    assert files.recorded(SPEC) is None and files.records() == []
