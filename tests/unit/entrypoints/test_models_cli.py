"""`chi-llm models ...` and ModelManager on temp stores and tool trees, in-process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from chi_llm import MicroLLM
from chi_llm.entrypoints.cli import cli
from tests.support.cli import out, run
from tests.support.gguf_files import gguf_bytes, nested_arrays, string
from tests.support.wheels import WheelModel, tiny_catalog


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WheelModel:
    return tiny_catalog(tmp_path, monkeypatch)


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


def test_a_folder_in_the_place_of_a_lock_file_is_named(tiny: WheelModel, isolated: Path) -> None:
    models = Path(json.loads(out(run("models", "disk", "--json")))["models_dir"])
    (models.parent / "locks" / "model-tiny.gguf.lock").mkdir(parents=True)
    result = run("models", "download", "tiny")
    assert result.exit_code == 2 and "lock file" in result.stderr and "Traceback" not in result.stderr


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
