"""`chi-llm serve` lets a local model run as many requests at once as it decodes together (its
`parallel`), a remote provider's model `--parallel`; the queue beyond them stays."""

from __future__ import annotations

import json
from pathlib import Path

from chi_llm.domain.generation import DEFAULT_PARALLEL
from chi_llm.entrypoints.server.backends import Backends, Limits, Route
from chi_llm.entrypoints.wiring import wire

PROFILES = {
    "providers": [
        {"id": "local", "type": "local"},
        {"id": "wide", "type": "local", "parallel": 3, "model": "gemma-3-270m"},
        {"id": "fake", "type": "fake"},
    ]
}


def concurrency(backends: Backends, provider: str) -> int:
    return backends.get(Route(provider=provider)).gate.concurrency


def test_a_local_gate_admits_the_models_parallel(isolated: Path) -> None:
    (isolated / ".chi_llm.json").write_text(json.dumps(PROFILES))
    backends = Backends(wire(), Limits(parallel=7, queue=5))
    assert concurrency(backends, "local") == DEFAULT_PARALLEL  # auto: the default
    assert concurrency(backends, "wide") == 3  # the profile's own
    assert concurrency(backends, "fake") == 7  # a remote provider's model: --parallel
    assert backends.get(Route(provider="local")).gate.queue == 5
    (isolated / ".chi_llm.json").write_text(json.dumps({**PROFILES, "parallel": 2}))
    assert concurrency(Backends(wire(), Limits(parallel=7)), "local") == 2  # the setting
