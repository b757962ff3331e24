"""`chi-llm providers ...` and provider routing through MicroLLM and the CLI, on loopback servers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from click.testing import CliRunner

from chi_llm import MicroLLM
from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.application.provider_service import ProviderService
from chi_llm.entrypoints.cli import cli
from chi_llm.entrypoints.wiring import wire
from tests.support.cli import closed_port, out, run
from tests.support.servers.base import Server, serve
from tests.support.servers.ollama import hello_ollama
from tests.support.servers.openai import OpenAIHandler


@pytest.fixture
def ollama() -> Iterator[Server]:
    with hello_ollama() as server:
        yield server


@pytest.fixture
def openai() -> Iterator[Server]:
    engine = FakeTextGenerator(["hello from openai"] * 20, models=("gpt-test",))
    with serve(OpenAIHandler, Server(engine=engine, api_key="sk-live-42")) as server:
        yield server


def test_add_list_set_remove_cycle(isolated: Path, ollama: Server) -> None:
    assert (
        run(
            "providers",
            "add",
            "home",
            "--type",
            "ollama",
            "--set",
            f"base_url={ollama.url}",
            "--set",
            "model=llama3.2",
            "--tags",
            "local,fast",
            "--priority",
            "5",
        ).exit_code
        == 0
    )
    saved = json.loads((isolated / ".chi_llm.json").read_text())
    assert saved["providers"] == [
        {
            "id": "home",
            "type": "ollama",
            "tags": ["local", "fast"],
            "priority": 5,
            "settings": {"base_url": ollama.url, "model": "llama3.2"},
        }
    ]
    rows = json.loads(out(run("providers", "list", "--json")))
    assert [r["id"] for r in rows] == ["home", "local"] and rows[0]["settings"]["model"] == "llama3.2"
    run("providers", "set", "home", "--set", "context=8192", "--default")
    saved = json.loads((isolated / ".chi_llm.json").read_text())
    assert saved["default_provider"] == "home" and saved["providers"][0]["settings"]["context"] == 8192
    assert json.loads(out(run("providers", "current", "--json")))[0]["id"] == "home"
    assert run("providers", "remove", "home").exit_code == 0
    assert json.loads((isolated / ".chi_llm.json").read_text()) == {"providers": []}


def test_generation_runs_on_a_configured_provider(isolated: Path, ollama: Server) -> None:
    run("providers", "add", "home", "--type", "ollama", "--set", f"base_url={ollama.url}", "--set", "model=llama3.2")
    assert out(run("generate", "--provider", "home", "hi")).strip() == "hello from ollama"
    llm = MicroLLM(provider="home")
    assert llm.generate("hi") == "hello from ollama"
    assert "".join(llm.stream("hi")) == "hello from ollama"
    assert llm.last_usage.completion_tokens == 3


async def test_async_on_a_configured_provider(isolated: Path, ollama: Server) -> None:
    llm = MicroLLM(provider={"type": "ollama", "base_url": ollama.url, "model": "llama3.2"})
    assert await llm.agenerate("hi") == "hello from ollama"
    assert [p async for p in llm.astream("hi")] == ["hello", " from", " ollama"]


def test_dead_provider_falls_back_to_the_next(isolated: Path, ollama: Server, caplog: pytest.LogCaptureFixture) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    (isolated / ".chi_llm.yaml").write_text(
        yaml.safe_dump(
            {
                "providers": [
                    {
                        "id": "dead",
                        "type": "openai",
                        "priority": 1,
                        "settings": {"base_url": dead + "/v1", "model": "x"},
                    },
                    {
                        "id": "home",
                        "type": "ollama",
                        "priority": 2,
                        "settings": {"base_url": ollama.url, "model": "llama3.2"},
                    },
                ]
            }
        )
    )
    with caplog.at_level(logging.WARNING, logger="chi_llm"):
        assert MicroLLM().generate("hi") == "hello from ollama"
    assert "provider dead failed (backend_unavailable" in caplog.text and "falling back to home" in caplog.text
    result = CliRunner().invoke(cli, ["generate", "hi"])
    assert result.exit_code == 0 and result.stdout.strip() == "hello from ollama"


def test_secrets_stay_out_of_output_and_argv(isolated: Path, openai: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = run("providers", "add", "o", "--type", "openai", "--set", "api_key=sk-live-42")
    assert refused.exit_code == 2 and "never put an API key" in refused.stderr
    added = run(
        "providers",
        "add",
        "o",
        "--type",
        "openai",
        "--set",
        f"base_url={openai.url}/v1",
        "--set",
        "model=gpt-test",
        "--api-key-stdin",
        stdin="sk-live-42\n",
    )
    assert added.exit_code == 0
    listed = out(run("providers", "list", "--json"))
    assert "sk-live-42" not in listed and json.loads(listed)[0]["settings"]["api_key"] is True
    assert "sk-live-42" not in out(run("providers", "current"))
    assert out(run("generate", "--provider", "o", "hi")).strip() == "hello from openai"
    run("providers", "set", "o", "--api-key-stdin", stdin="sk-wrong\n")
    failed = CliRunner().invoke(cli, ["generate", "--provider", "o", "hi"])
    assert failed.exit_code == 5 and "sk-wrong" not in failed.output and "sk-live-42" not in failed.output
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-42")
    tools = provider_service()
    assert tools.view(tools.profile({"type": "openai", "id": "env"})).to_json()["settings"]["api_key"] is True


def provider_service() -> ProviderService:
    return wire(check_model=False).provider_service()


def test_connection_tests_and_discovery(ollama: Server, openai: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = provider_service()
    report = tools.test_connection({"type": "ollama", "base_url": ollama.url})
    assert report.ok and report.status == "ok" and report.latency_ms is not None
    e2e = tools.test_connection({"type": "ollama", "base_url": ollama.url, "model": "llama3.2"}, e2e=True)
    assert e2e.ok and "generated" in e2e.message
    dead = tools.test_connection({"type": "ollama", "base_url": f"http://127.0.0.1:{closed_port()}"})
    assert not dead.ok and dead.status == "unreachable"
    models = tools.served_models({"type": "ollama", "base_url": ollama.url})
    assert [m.id for m in models] == ["llama3.2"] and models[0].details["quantization_level"] == "Q4_K_M"
    assert models[0].details["context_length"] == 4096  # from /api/show
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-42")
    assert [m.id for m in tools.served_models({"type": "openai", "base_url": openai.url + "/v1"})] == ["gpt-test"]
    bad_key = tools.test_connection({"type": "openai", "base_url": openai.url + "/v1", "api_key": "nope"})
    assert not bad_key.ok and bad_key.status == "unauthorized"
    result = run("providers", "test", "ollama", "--json")  # the default Ollama URL is not running here
    assert result.exit_code == 1 and json.loads(out(result))["ok"] is False
    assert any(m.id == "smollm2-135m" for m in tools.served_models("local"))


def test_find_url_tries_candidates_and_reports_them(ollama: Server) -> None:
    port = int(ollama.url.rsplit(":", 1)[1])
    found = run("providers", "find-url", "--type", "ollama", "--host", "127.0.0.1", "--port", str(port), "--json")
    data = json.loads(out(found))
    assert data["ok"] and data["base_url"] == ollama.url and data["tried"] == [ollama.url]
    missing = provider_service().find_url("lmstudio", hosts=["127.0.0.1", "localhost"], port=closed_port(), timeout=0.5)
    assert not missing.ok and len(missing.tried) == 4 and "tried" in missing.message


def test_schema_lists_every_type_with_field_details() -> None:
    data = json.loads(out(run("providers", "schema", "--json")))
    types = {p["type"]: p["fields"] for p in data["providers"]}
    assert set(types) == {"local", "fake", "openai", "lmstudio", "ollama", "anthropic", "gemini"}
    api_key = next(f for f in types["anthropic"] if f["name"] == "api_key")
    assert api_key["type"] == "secret"
    assert set(api_key) == {"name", "type", "required", "default", "help", "options", "minimum", "maximum"}
    assert next(f for f in types["anthropic"] if f["name"] == "model")["required"] is True


def test_tags_select_providers(isolated: Path, ollama: Server) -> None:
    (isolated / ".chi_llm.yaml").write_text(
        yaml.safe_dump(
            {
                "providers": [
                    {"id": "quick", "type": "fake", "tags": ["fast"], "settings": {"replies": ["from quick"]}},
                    {
                        "id": "home",
                        "type": "ollama",
                        "tags": ["fast", "local"],
                        "settings": {"base_url": ollama.url, "model": "llama3.2"},
                    },
                ]
            }
        )
    )
    assert MicroLLM(tags=["local"]).generate("hi") == "hello from ollama"
    assert out(run("generate", "--tags", "fast", "hi")).strip() == "from quick"
    bad = CliRunner().invoke(cli, ["generate", "--tags", "gpu", "hi"])
    assert bad.exit_code == 2 and "no provider has all of the tags gpu" in bad.stderr


async def test_clients_are_closed(ollama: Server) -> None:
    llm = MicroLLM(provider={"type": "ollama", "base_url": ollama.url, "model": "llama3.2"})
    assert llm.generate("hi") and await llm.agenerate("hi")
    transport = cast(Any, llm.backend).transport
    assert transport._client is not None and len(transport._async_clients) == 1
    await llm.aclose()
    assert transport._client is None and len(transport._async_clients) == 0
    with MicroLLM(provider={"type": "ollama", "base_url": ollama.url, "model": "llama3.2"}) as scoped:
        scoped.generate("hi")
    assert cast(Any, scoped.backend).transport._client is None


@pytest.mark.parametrize(
    "command", [["providers", "add", "p", "--type", "ollama"], ["setup", "--yes", "--provider", "ollama"]]
)
def test_a_setting_nested_deeper_than_json_reads_is_a_clear_error(command: list[str]) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    report = run(*command, "--set", f"model={deep}")
    assert report.exit_code == 2 and report.stderr.startswith("chi-llm: error:") and "model" in report.stderr
    assert "Traceback" not in report.output


def test_removing_local_turns_the_fallback_off_and_says_so(isolated: Path) -> None:
    rows = json.loads(out(run("providers", "list", "--json")))  # nothing configured: the embedded model
    assert [(r["id"], r["type"], r["fallback"]) for r in rows] == [("local", "local", True)]
    only = run("providers", "remove", "local")
    assert only.exit_code == 2 and "the only provider" in only.stderr and not (isolated / ".chi_llm.json").exists()
    run("providers", "add", "home", "--type", "ollama", "--set", "base_url=http://127.0.0.1:9")
    removed = run("providers", "remove", "local")
    assert removed.exit_code == 0 and "fallback_to_local: false" in removed.stderr
    saved = json.loads((isolated / ".chi_llm.json").read_text())
    assert saved["fallback_to_local"] is False and [p["id"] for p in saved["providers"]] == ["home"]
    assert [r["id"] for r in json.loads(out(run("providers", "list", "--json")))] == ["home"]
    again = run("providers", "remove", "local")
    assert again.exit_code == 2 and "no provider profile 'local'" in again.stderr
