"""What a caller hands the scheduler (a Request), what it gets back at the end (an Outcome), and
what the scheduler keeps of a request while it decodes (an Active)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from chi_llm.adapters.llama_cpp.engine.lookup import Drafts
from chi_llm.adapters.llama_cpp.engine.sampling import Sampler, SamplingPlan
from chi_llm.adapters.llama_cpp.engine.slots import Slot
from chi_llm.domain.generation import ThreadUse

log = logging.getLogger("chi_llm")
Ending = Literal["stop", "length", "cancelled", "error"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a request ended: why, how many tokens it produced, how many prompt tokens were reused
    from cached cells, its time to first token (from submission), and the threads used."""

    ending: Ending
    produced: int
    cached: int
    first: float | None
    total: float
    threads: ThreadUse | None = None
    error: BaseException | None = None


@dataclass(eq=False, slots=True)
class Request:
    """One generation. `on_token` runs on the scheduler's thread with each sampled token that is not
    an end-of-generation token, and returns False to end the answer there (a stop sequence).
    `on_done` runs there once, last. `limit`: the most tokens to produce. `lookup`: the answer is
    grounded in its prompt (extraction, summary, edit, RAG), so prompt-lookup drafts are tried."""

    prompt: list[int]
    plan: SamplingPlan
    limit: int
    on_token: Callable[[int], bool]
    on_done: Callable[[Outcome], None]
    session: str | None = None
    lookup: bool = False
    cancelled: threading.Event = field(default_factory=threading.Event)
    submitted: float = field(default_factory=time.perf_counter)  # timings count the wait for a slot


@dataclass(eq=False, slots=True)
class Active:
    """A request decoding in a slot."""

    request: Request
    slot: Slot
    sampler: Sampler
    pending: list[int]  # prompt tokens still to evaluate
    cached: int
    started: float  # when the request was submitted
    changes: int  # the thread controller's change count when it started
    last: int | None = None  # the sampled token, evaluated at the next step
    produced: int = 0
    first: float | None = None
    drafts: Drafts | None = None
    draft: list[int] = field(default_factory=list)  # tokens guessed after `last` this step
    error: BaseException | None = None  # what its consumer's callback raised (it ends with "error")


def deliver(request: Request, outcome: Outcome) -> None:
    """Hand a request its outcome: a consumer's callback that raises must not take the decode
    thread down, nor fail the other requests."""
    try:
        request.on_done(outcome)
    except Exception:
        log.exception("a request's completion callback failed")
