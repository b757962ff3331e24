"""The batching benchmark's parts and options (benchmarks/bench_batching.py), without a model."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from benchmarks import bench_batching
from benchmarks.bench_batching import PARTS, against_llama_server, llama_server, parser, percentile, slots
from chi_llm import MicroLLM


def test_every_part_of_the_issue_is_registered_in_running_order() -> None:
    assert list(PARTS) == ["concurrent", "alone", "serve", "prefix", "conversations", "busy", "lookup", "slots"]
    assert all(callable(run) for run in PARTS.values())


def test_options_default_to_all_parts_and_the_issue_s_settings() -> None:
    args = parser().parse_args([])
    assert (args.part, args.rounds, args.tokens, args.clients, args.parallel) == (None, 3, 96, 4, 4)
    assert args.llama_server is None


def test_parts_are_chosen_by_name_and_repeatable() -> None:
    args = parser().parse_args(["--part", "serve", "--part", "prefix", "--rounds", "1", "--tokens", "16"])
    assert (args.part, args.rounds, args.tokens) == (["serve", "prefix"], 1, 16)


def test_an_unknown_part_is_refused_with_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["--part", "speed"])
    assert exited.value.code == 2
    assert "concurrent" in capsys.readouterr().err


def test_a_part_added_to_the_registry_becomes_a_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PARTS, "lookup", lambda args: None)
    assert parser().parse_args(["--part", "lookup"]).part == ["lookup"]


def test_parallel_is_passed_only_where_micro_llm_takes_it() -> None:
    asked = slots(3)
    assert asked == ({"parallel": 3} if "parallel" in inspect.signature(MicroLLM).parameters else {})
    MicroLLM(temperature=0.0, **asked)  # accepted as given (wiring only: no model is loaded)


def test_nearest_rank_percentiles() -> None:
    values = [0.4, 0.1, 0.3, 0.2]
    assert percentile(values, 0.5) == 0.2
    assert percentile(values, 0.95) == 0.4
    assert percentile([7.0], 0.95) == 7.0


def test_serve_part_skips_with_how_to_build_llama_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parser().parse_args(["--llama-server", str(tmp_path / "absent")])
    assert llama_server(args) is None
    against_llama_server(args)
    out = capsys.readouterr().out
    assert "skipped" in out and "scripts/llama_baselines.sh" in out


def test_a_named_llama_server_is_used(tmp_path: Path) -> None:
    binary = tmp_path / "llama-server"
    binary.write_text("#!/bin/sh\n", encoding="utf-8")
    assert llama_server(parser().parse_args(["--llama-server", str(binary)])) == binary


def test_the_module_documents_every_part() -> None:
    doc = bench_batching.__doc__ or ""
    assert all(f"\n{name} " in doc for name in PARTS)
