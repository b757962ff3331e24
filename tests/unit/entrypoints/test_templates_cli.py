"""Prompt templates (data files, built-in and the user's folder) and the task commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chi_llm import PromptTemplates
from chi_llm.adapters.template_files import YamlTemplates
from chi_llm.domain.errors import ConfigError, InvalidRequest
from chi_llm.entrypoints.templates import TemplateLibrary
from tests.support.cli import run

UPSTREAM = (
    "code_review",
    "explain_code",
    "fix_error",
    "write_tests",
    "optimize_code",
    "document_code",
    "sql_from_description",
    "regex_from_description",
    "json_from_text",
    "email_draft",
    "meeting_notes",
    "pros_cons",
    "explain_concept",
    "creative_ideas",
    "refactor_code",
    "api_from_description",
    "user_story",
    "commit_message",
    "cli_command",
)


def test_the_nineteen_templates_keep_their_names() -> None:
    assert len(PromptTemplates.names()) == 19
    for name in UPSTREAM:
        assert PromptTemplates.get(name).name  # every chi_llm 2.x name still resolves


def test_rendering_fills_defaults_and_positional_values() -> None:
    prompt = PromptTemplates.write_tests("def f(): pass")
    assert "pytest tests" in prompt and "def f(): pass" in prompt
    assert "unittest" in PromptTemplates.write_tests("x", framework="unittest")
    assert "Error:\nboom" in PromptTemplates.fix_error("code", "boom")


def test_missing_and_unknown_variables_are_named() -> None:
    with pytest.raises(InvalidRequest, match="needs error; it takes code, error"):
        PromptTemplates.fix_error("code")
    with pytest.raises(InvalidRequest, match="has no variable colour"):
        PromptTemplates.commit_message("x", colour="red")
    with pytest.raises(InvalidRequest, match="no template 'nope'"):
        PromptTemplates.render("nope")


def test_a_users_folder_adds_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "haiku.yaml").write_text(
        "name: haiku\ndescription: a haiku\ninput: topic\nvariables: {topic: {required: true}}\n"
        "prompt: 'Write a haiku about {topic}. Braces stay: {{x}}'\n"
    )
    (tmp_path / "commit.yaml").write_text("name: commit\nprompt: 'Mine: {changes}'\nvariables: {changes: {}}\n")
    library = TemplateLibrary(YamlTemplates(tmp_path))
    assert library.haiku("the sea") == "Write a haiku about the sea. Braces stay: {x}\n"
    assert library.render("commit", changes="y") == "Mine: y\n"
    (tmp_path / "broken.yaml").write_text("name: [unclosed")
    with pytest.raises(ConfigError, match=r"broken\.yaml"):
        library.names()


def test_the_template_command(isolated: Path) -> None:
    shown = run("template", "commit", "changes=fixed a typo", "--show")
    assert shown.exit_code == 0 and "fixed a typo" in shown.stdout
    listed = run("template", "--list")
    assert "code-review" in listed.stdout and "takes: code, language=''" in listed.stdout
    (isolated / ".chi_llm.json").write_text(json.dumps({"provider": {"type": "fake", "replies": ["feat: x"]}}))
    done = run("template", "commit", "changes=x", "--no-stream")
    assert done.exit_code == 0 and done.stdout.strip() == "feat: x"
    bad = run("template", "commit", "oops")
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.stderr


def test_the_task_commands_on_the_fake(isolated: Path) -> None:
    def reply(text: str) -> None:  # each command is a fresh process' worth of state
        (isolated / ".chi_llm.json").write_text(json.dumps({"provider": {"type": "fake", "replies": [text]}}))

    reply("Short.")
    assert run("summarize", "A long story.", "--style", "bullets").stdout.strip() == "Short."
    reply("Kurz.")
    assert run("translate", "Short.", "--to", "German").stdout.strip() == "Kurz."
    reply("It adds one.")
    analyzed = run("analyze", "def f(x): return x + 1", "-q", "What does it do?", "--json")
    assert json.loads(analyzed.stdout) == {"text": "It adds one."}
    assert run("translate", "x").exit_code == 2  # --to is required


def test_an_unknown_template_is_reported_before_the_model(isolated: Path) -> None:
    """The template is looked up (and its input read) before the model is checked, as before the
    command resolved its configuration once: a bad name is exit 2 whatever else is wrong."""
    result = run("template", "no_such_template", "--model", "no-such-model")
    assert result.exit_code == 2 and "no_such_template" in result.stderr
    (isolated / ".chi_llm.yaml").write_text("model: no-such-model\n")
    assert run("template", "no_such_template").exit_code == 2
    assert run("template", "pros_cons", "x").exit_code != 0  # the model's own error still comes
