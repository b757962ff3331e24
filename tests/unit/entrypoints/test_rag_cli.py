"""`chi-llm rag`: the commands on the fake embedder and provider, also on S3 (moto on loopback)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run
from tests.support.rag_docs import mixed_docs
from tests.support.s3 import S3


@pytest.fixture
def docs(isolated: Path) -> Path:
    return mixed_docs(isolated)


FAKE: dict[str, Any] = {
    "provider": {"type": "fake", "replies": ["Lettuce grows in shade [1]."]},
    "rag": {"embedding_model": "fake", "min_score": 0.1},
}


def test_the_rag_commands(monkeypatch: pytest.MonkeyPatch, docs: Path, isolated: Path) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(FAKE))
    added = run("rag", "add", str(docs), "--json")
    report = json.loads(added.stdout)
    assert added.exit_code == 0 and len(report["added"]) == 2 and report["skipped"][0]["reason"] == "binary"
    assert "2 unchanged" in run("rag", "add", str(docs)).stdout
    answer = run("rag", "query", "what grows in shade", "--sources")
    assert answer.exit_code == 0 and "Lettuce grows in shade [1]." in answer.stdout
    assert "Sources:" in answer.stdout and "garden.md — Garden" in answer.stdout
    assert "Lettuce and ferns grow in shade." in answer.stdout  # the snippet
    shown = json.loads(run("rag", "query", "lettuce shade", "--json").stdout)
    assert shown["found"] and shown["sources"][0]["source"].endswith("garden.md")
    hits = json.loads(run("rag", "search", "blue car brakes", "-k", "1", "--mode", "text", "--json").stdout)
    assert hits[0]["source"].endswith("cars.txt") and hits[0]["score"] > 0
    only = json.loads(run("rag", "search", "car shade", "--filter", f"source={docs / 'garden.md'}", "--json").stdout)
    assert {h["source"] for h in only} == {str(docs / "garden.md")}
    assert json.loads(run("rag", "search", "car", "--filter", "kind=pdf", "--json").stdout) == []
    assert run("rag", "search", "car", "--filter", "nonsense").exit_code == 2
    assert len(json.loads(run("rag", "list", "--json").stdout)) == 2
    info = json.loads(run("rag", "info", "--json").stdout)
    assert info["embedding_model"] == "fake-embedder" and info["documents"] == 2
    assert info["uri"] == str(Path(os.environ["CHI_LLM_HOME"]) / "rag")  # no project: under the cache folder
    assert run("rag", "remove", str(docs / "cars.txt")).exit_code == 0
    assert run("rag", "remove", "nothing-like-this").exit_code == 2
    assert run("rag", "clear").exit_code == 2
    assert json.loads(run("rag", "clear", "--yes", "--json").stdout)["removed"] == 1
    assert json.loads(run("rag", "info", "--json").stdout)["chunks"] == 0


def test_in_a_project_the_knowledge_base_lives_in_it(
    monkeypatch: pytest.MonkeyPatch, docs: Path, isolated: Path
) -> None:
    (isolated / ".chi_llm.json").write_text(json.dumps(FAKE))
    assert run("rag", "add", str(docs)).exit_code == 0
    assert (isolated / ".chi_llm" / "rag" / "default.lance").is_dir()


def test_a_knowledge_base_on_object_storage(monkeypatch: pytest.MonkeyPatch, docs: Path, s3_server: S3) -> None:
    bucket = s3_server.bucket()
    config = {**FAKE, "rag": {**FAKE["rag"], "db": f"s3://{bucket}/kb", "storage_options": s3_server.options()}}
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(config))
    assert run("rag", "add", str(docs)).exit_code == 0
    answer = json.loads(run("rag", "query", "lettuce in the shade", "--json").stdout)
    assert answer["found"] and answer["sources"][0]["source"].endswith("garden.md")
    shown = json.loads(run("config", "show", "--json").stdout)["rag"]["storage_options"]
    assert shown["aws_secret_access_key"] is True and shown["aws_region"] == "us-east-1"


def test_a_file_name_that_is_not_utf8_is_carried_and_shown_escaped(monkeypatch: pytest.MonkeyPatch, docs: Path) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(FAKE))
    odd = os.fsdecode(bytes(docs) + b"/caf\xe9.txt")  # as os.listdir gives it: a lone surrogate
    Path(odd).write_text("Espresso and croissants in the morning.\n")
    shown = str(docs) + "/caf\\xe9.txt"
    added = run("rag", "add", str(docs), "--json")
    assert added.exit_code == 0, added.output
    assert shown in json.loads(added.stdout)["added"]
    again = json.loads(run("rag", "add", str(docs), "--json").stdout)
    assert shown in again["unchanged"] and again["chunks"] == 0
    assert shown in run("rag", "list").stdout
    hits = json.loads(run("rag", "search", "espresso croissants", "-k", "1", "--json").stdout)
    assert hits[0]["source"] == shown
    only = json.loads(run("rag", "search", "espresso", "--filter", f"source={odd}", "--json").stdout)
    assert [h["source"] for h in only] == [shown]  # the name as the shell passes it finds it
    assert run("rag", "remove", odd).exit_code == 0
    assert shown not in run("rag", "list").stdout
    skipped = docs / "sub"
    skipped.mkdir()
    Path(os.fsdecode(bytes(skipped) + b"/bin\xff.txt")).write_bytes(b"\x00\x01")
    report = run("rag", "add", str(docs))
    assert report.exit_code == 0 and f"skipped {skipped}/bin\\xff.txt: binary" in report.stderr


@pytest.mark.parametrize(
    "value",
    ["NaN", "Infinity", "-Infinity", "1e999", "[1]", '{"a": 1}', "null", "\udcff", "[" * 100_000 + "]" * 100_000],
)
def test_a_filter_value_that_cannot_be_compared_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, docs: Path, value: str
) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(FAKE))
    assert run("rag", "add", str(docs)).exit_code == 0
    for command in (["search", "car"], ["query", "car"]):
        shown = run("rag", *command, "--filter", f"kind={value}", "--json")
        assert shown.exit_code == 2, shown.output
        error = json.loads(shown.stdout)["error"]
        assert error["kind"] == "invalid_request" and "filter" in error["message"]
        plain = run("rag", *command, "--filter", f"kind={value}")
        assert plain.exit_code == 2 and plain.stderr.startswith("chi-llm: error:") and "Traceback" not in plain.output


@pytest.mark.parametrize("value", ["true", "1.5", "5", '"text"', "text", "0"])
def test_a_filter_of_another_type_than_the_stored_values_finds_nothing(
    monkeypatch: pytest.MonkeyPatch, docs: Path, value: str
) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(FAKE))
    assert run("rag", "add", str(docs)).exit_code == 0
    found = run("rag", "search", "car", "--filter", f"kind={value}", "--json")
    assert found.exit_code == 0, found.output
    assert len(json.loads(found.stdout)) == (1 if value in ('"text"', "text") else 0)
    answer = run("rag", "query", "blue car brakes", "--filter", f"kind={value}", "--json")
    assert answer.exit_code == 0 and json.loads(answer.stdout)["found"] == (value in ('"text"', "text"))


def test_adding_a_subfolder_of_a_repository_leaves_out_what_git_ignores_and_counts_build_output(
    monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(FAKE))
    monkeypatch.setenv("HOME", str(isolated / "home"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (isolated / ".git" / "info").mkdir(parents=True)
    (isolated / ".git" / "info" / "exclude").write_text("drafts/\n")
    (isolated / ".gitignore").write_text("secret/\n*.log\n")
    for name in ("docs/a.md", "docs/secret/b.md", "docs/c.log", "docs/drafts/d.md"):
        (isolated / name).parent.mkdir(parents=True, exist_ok=True)
        (isolated / name).write_text("Lettuce grows in shade.\n")
    for number in range(30):
        (isolated / "docs" / "__pycache__").mkdir(exist_ok=True)
        (isolated / "docs" / "__pycache__" / f"m{number}.cpython-311.pyc").write_bytes(b"\x00\x01")
    report = json.loads(run("rag", "add", "docs/", "--json").stdout)
    assert [Path(p).name for p in report["added"]] == ["a.md"]
    assert report["skipped"] == [] and report["build_output"] == 1
    shown = run("rag", "add", "docs/", "--prune")
    assert "1 unchanged" in shown.stdout and "skipped" not in shown.stderr
    assert "1 build-output folder or file passed over" in shown.stdout


def test_a_citation_of_a_source_not_given_is_removed_and_reported(monkeypatch: pytest.MonkeyPatch, docs: Path) -> None:
    config = {**FAKE, "provider": {"type": "fake", "replies": ["Lettuce grows in shade [1][5]."] * 2}}
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(config))
    assert run("rag", "add", str(docs)).exit_code == 0
    shown = run("rag", "query", "what grows in shade")
    assert shown.exit_code == 0 and shown.stdout.strip() == "Lettuce grows in shade [1]."
    assert "removed 1 citation of sources that were not given ([5])" in shown.stderr
    assert "far better" not in shown.stderr  # the fake provider is no small embedded model
    answer = json.loads(run("rag", "query", "what grows in shade", "--json").stdout)
    assert answer["answer"] == "Lettuce grows in shade [1]." and answer["removed_citations"] == [5]


def test_shown_scores_say_what_they_are(monkeypatch: pytest.MonkeyPatch, docs: Path) -> None:
    monkeypatch.setenv("CHI_LLM_CONFIG", json.dumps(FAKE))
    assert run("rag", "add", str(docs)).exit_code == 0
    hybrid = run("rag", "search", "blue car brakes", "-k", "1").stdout
    assert "cars.txt (chars 0-31, similarity 0.707)" in hybrid  # cosine similarity, as in vector search
    assert "similarity 0.707" in run("rag", "search", "blue car brakes", "-k", "1", "--mode", "vector").stdout
    assert "BM25 " in run("rag", "search", "blue car brakes", "-k", "1", "--mode", "text").stdout
    answer = run("rag", "query", "what grows in shade", "--sources").stdout
    assert "garden.md — Garden (chars " in answer and ", similarity 0." in answer
