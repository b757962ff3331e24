"""The local engine's job queue: arrival order, and a withdrawn job never runs (the engine under
real use is in tests/integration/adapters/test_local_engine.py)."""

from __future__ import annotations

import threading

from chi_llm.adapters.worker import END, Job, ModelWorker


def test_jobs_run_in_arrival_order_and_a_withdrawn_one_never_runs() -> None:
    worker = ModelWorker("test")
    gate, running, ran = threading.Event(), threading.Event(), []
    done: list[threading.Event] = []

    def job(name: str, wait: bool = False) -> Job:
        finished = threading.Event()
        done.append(finished)

        def work(_: Job) -> None:
            if wait:
                running.set()
                gate.wait(10)
            ran.append(name)

        return Job(work=work, emit=lambda item: finished.set() if item is END else None)

    first, second, third = job("first", wait=True), job("second"), job("third")
    for each in (first, second, third):
        worker.submit(each)
    assert running.wait(10)
    worker.withdraw(second)  # cancelled while queued: removed at once
    assert worker.queued() == 1
    gate.set()
    assert done[2].wait(10)
    assert ran == ["first", "third"]
    worker.stop()
