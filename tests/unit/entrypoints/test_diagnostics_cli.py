"""`chi-llm diagnostics`: text and JSON renderings of the report, its documented shape, exit status."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import chi_llm
from tests.support.cli import closed_port, run

SCHEMA = json.loads(resources.files("chi_llm").joinpath("schemas/diagnostics-1.json").read_text())


def test_json_output_follows_the_documented_shape_and_exit_0_when_nothing_failed() -> None:
    result = run("diagnostics", "--json")
    shown = json.loads(result.stdout)
    jsonschema.validate(shown, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert result.exit_code == 0 and shown["ok"] is True and shown["format"] == "chi_llm.diagnostics/1"
    assert shown["counts"]["fail"] == 0 and sum(shown["counts"].values()) == len(shown["checks"])


def test_a_failed_check_shows_its_fix_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    providers = [{"id": "home", "type": "ollama", "settings": {"base_url": url}}]
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps({"providers": providers}))
    result = run("diagnostics")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    failed = next(i for i, line in enumerate(lines) if "[FAIL] Provider home (ollama)" in line)
    assert lines[failed + 1].strip().startswith("->") and url in lines[failed + 1]
    shown = json.loads(run("diagnostics", "--json").stdout)
    jsonschema.validate(shown, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert shown["ok"] is False and shown["counts"]["fail"] >= 1


def test_the_schema_rejects_a_problem_without_a_fix() -> None:
    shown = json.loads(run("diagnostics", "--json").stdout)
    warned = next(c for c in shown["checks"] if c["status"] != "ok")
    warned["fix"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(shown, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_a_broken_config_file_is_diagnosed_not_a_crash(isolated: Path) -> None:
    (isolated / ".chi_llm.yaml").write_text("context: [unclosed\n")
    result = run("diagnostics")
    assert result.exit_code == 1 and "[FAIL] Configuration" in result.stdout and ".chi_llm.yaml" in result.stdout


def test_the_library_function_returns_the_same_report() -> None:
    report = chi_llm.diagnose()
    assert report.find("system.chi_llm").value == {"version": chi_llm.__version__}
    jsonschema.validate(report.to_json(), SCHEMA, cls=jsonschema.Draft202012Validator)


def test_the_cpu_load_line_says_how_busy_other_processes_keep_it() -> None:
    from chi_llm.domain.diagnostics import Check
    from chi_llm.entrypoints.cli.diagnostics import summary

    value = {"cores": 2, "other_processes_cores": 1.04, "runnable": 3, "load_1m": 1.9, "sample_s": 0.5}
    check = Check(id="system.cpu_load", area="system", title="CPU load", status="warn", value=value, fix="x")
    assert summary(check) == "other processes use 1.0 of 2 cores, 3 tasks runnable"
    shown = json.loads(run("diagnostics", "--json").stdout)
    load = next(c for c in shown["checks"] if c["id"] == "system.cpu_load")
    assert load["status"] in ("ok", "warn") and load["value"]["cores"] >= 1


def test_the_current_model_line_says_how_many_requests_decode_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHI_LLM_PARALLEL", "3")
    line = next(line for line in run("diagnostics").stdout.splitlines() if "Current model" in line)
    assert "3 requests at once" in line
