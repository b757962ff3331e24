"""Run check jobs concurrently, each within its own time limit; a job that overruns or breaks
becomes a check that says so, never a stalled or missing report."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from chi_llm.domain.diagnostics import Check, Status


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """Work that produces checks. `id`, `area` and `title` name the check reported in its place
    when it overruns (`late` status) or raises."""

    id: str
    area: str
    title: str
    run: Callable[[], list[Check]]
    timeout: float = 2.5
    late: Status = "warn"
    late_fix: str = "it did not finish in time; run the check again, or look at the component it checks"


def run_jobs(jobs: Sequence[Job]) -> list[Check]:
    """All jobs at once on daemon threads (a stalled one never holds the process), results in the
    order of `jobs`."""
    results: list[list[Check] | None] = [None] * len(jobs)
    elapsed: list[float] = [0.0] * len(jobs)

    def work(index: int, job: Job) -> None:
        started = time.perf_counter()
        try:
            checks = job.run()
        except Exception as exc:
            checks = [_broken(job, exc)]
        elapsed[index] = round((time.perf_counter() - started) * 1000, 1)
        results[index] = [c if c.elapsed_ms else replace(c, elapsed_ms=elapsed[index]) for c in checks]

    started = time.monotonic()
    threads = []
    for index, job in enumerate(jobs):
        thread = threading.Thread(target=work, args=(index, job), name=f"chi-llm-check-{job.id}", daemon=True)
        thread.start()
        threads.append(thread)
    checks: list[Check] = []
    for index, (job, thread) in enumerate(zip(jobs, threads, strict=True)):
        thread.join(max(0.0, started + job.timeout - time.monotonic()))
        done = results[index]
        checks.extend(done if done is not None and not thread.is_alive() else [_late(job)])
    return checks


def _late(job: Job) -> Check:
    return Check(
        id=job.id,
        area=job.area,
        title=job.title,
        status=job.late,
        value={"timed_out_after_s": job.timeout},
        fix=job.late_fix,
        elapsed_ms=job.timeout * 1000,
    )


def _broken(job: Job, exc: Exception) -> Check:
    return Check(
        id=job.id,
        area=job.area,
        title=job.title,
        status="fail",
        value={"error": f"{type(exc).__name__}: {exc}"},
        fix="this check itself failed; please report it with the error shown",
    )
