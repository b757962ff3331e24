"""The local engine under real use, on the embedded default model:

1. Conversations: time to first token per turn of one 8-turn conversation, against two 8-turn
   conversations interleaved on the same model (A1 B1 A2 B2 ...) with sessions, and without
   (history re-sent, one shared cache). Goal: interleaved sessions <= 1.2x a single conversation.
2. Concurrency: twelve generations run one after another, against the same twelve at once —
   ten `agenerate` on an event loop plus two threads calling `generate`. Goal: <= 1.05x, with
   the event loop never blocked more than a few ms (a 1 ms ticker measures its worst lag).

Usage: .venv/bin/python benchmarks/bench_engine.py [--rounds 3]  (each part runs twice as many
rounds, alternating which phase goes first)
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import threading
import time
from collections.abc import Callable, Iterator

from chi_llm import MicroLLM

TURNS = [
    "Hi! I am planning a small garden behind my house.",
    "Which vegetables grow well in partial shade?",
    "How often should I water lettuce?",
    "What about tomatoes, do they need full sun?",
    "Can I grow herbs on a windowsill instead?",
    "Which herbs are the easiest for a beginner?",
    "How do I keep slugs away without chemicals?",
    "Thanks! Can you sum up the plan in one sentence?",
]
MAX_TOKENS = 24
LAGS: list[float] = []


def first_token_seconds(stream: Callable[[], object]) -> float:
    started = time.perf_counter()
    pieces = iter(stream())  # type: ignore[call-overload]
    next(pieces)
    elapsed = time.perf_counter() - started
    for _ in pieces:
        pass
    return elapsed


def conversations(llm: MicroLLM, tag: str, single_first: bool) -> dict[str, float]:
    """Median time to first token per turn (turns 2..8: turn 1 has no history to keep). The one
    conversation and the interleaved pair run in the order given (alternated across rounds, so
    the machine's drift does not favour either)."""

    def alone() -> list[float]:
        single = llm.session(system=f"You are a helpful gardener ({tag} single).")
        times = [first_token_seconds(lambda t=t: single.stream(t, max_tokens=MAX_TOKENS)) for t in TURNS]
        single.close()
        return times

    def paired() -> list[float]:
        a = llm.session(system=f"You are a helpful gardener ({tag} a).")
        b = llm.session(system=f"You are a helpful gardener ({tag} b).")
        times: list[float] = []
        for text in TURNS:
            times.append(first_token_seconds(lambda s=a, t=text: s.stream(t, max_tokens=MAX_TOKENS)))
            times.append(first_token_seconds(lambda s=b, t=text: s.stream(t, max_tokens=MAX_TOKENS)))
        a.close()
        b.close()
        return times

    if single_first:
        one, interleaved = alone(), paired()
    else:
        interleaved = paired()
        one = alone()

    histories: list[list[dict[str, str]]] = [[], []]
    shared: list[float] = []
    for text in TURNS:
        for index, history in enumerate(histories):
            system = f"You are a helpful gardener ({tag} shared {index})."
            pieces: list[str] = []

            def run(
                h: list[dict[str, str]] = history, t: str = text, s: str = system, out: list[str] = pieces
            ) -> object:
                def texts() -> Iterator[str]:
                    for piece in llm.stream_chat(t, history=h, system=s, max_tokens=MAX_TOKENS):
                        out.append(piece)
                        yield piece

                return texts()

            shared.append(first_token_seconds(run))
            history += [{"role": "user", "content": text}, {"role": "assistant", "content": "".join(pieces)}]
    return {
        "single": statistics.median(one[1:]),
        "sessions": statistics.median(interleaved[2:]),
        "no sessions": statistics.median(shared[2:]),
    }


def concurrency(llm: MicroLLM, tag: str, concurrent_first: bool) -> tuple[float, float, float]:
    """(sequential s, concurrent s, worst event-loop lag s) for twelve 32-token generations; the
    two phases run in the order given (alternated across rounds), each with its own prompt heads."""

    def sequential() -> float:
        started = time.perf_counter()
        for i in range(12):
            llm.generate(f"[{tag} seq {i}] Write two sentences about the number {i}.", max_tokens=32, temperature=0.0)
        return time.perf_counter() - started

    async def together(ticking: bool) -> float:
        worst = 0.0
        done = not ticking

        async def ticker() -> None:
            nonlocal worst
            while not done:
                before = time.perf_counter()
                await asyncio.sleep(0.001)
                lag = time.perf_counter() - before - 0.001
                LAGS.append(lag)
                worst = max(worst, lag)

        phase = "tick" if ticking else "con"
        prompts = [f"[{tag} {phase} {i}] Write two sentences about the number {i}." for i in range(12)]
        tick = asyncio.create_task(ticker())
        threads = [
            threading.Thread(target=llm.generate, args=(p,), kwargs={"max_tokens": 32, "temperature": 0.0})
            for p in prompts[10:]
        ]
        for thread in threads:
            thread.start()
        await asyncio.gather(*(llm.agenerate(p, max_tokens=32, temperature=0.0) for p in prompts[:10]))
        await asyncio.to_thread(lambda: [t.join() for t in threads])
        done = True
        await tick
        return worst

    def concurrent() -> float:
        started = time.perf_counter()
        asyncio.run(together(ticking=False))  # the ticker itself takes turns at the GIL: not timed
        return time.perf_counter() - started

    if concurrent_first:
        both, one_by_one = concurrent(), sequential()
    else:
        one_by_one = sequential()
        both = concurrent()
    lag = asyncio.run(together(ticking=True))  # the same load again, now watching the event loop
    return one_by_one, both, lag


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    llm = MicroLLM(temperature=0.0).load()
    llm.generate("warm up", max_tokens=8)
    print(f"chi_llm engine benchmark — {time.strftime('%Y-%m-%d')}, {platform.machine()}, model {llm.model}")
    talks = [conversations(llm, f"r{r}", single_first=r % 2 == 0) for r in range(args.rounds * 2)]
    for name in ("single", "sessions", "no sessions"):
        values = [t[name] * 1000 for t in talks]
        print(
            f"TTFT per turn, {name:12}: median {statistics.median(values):6.1f} ms (rounds: "
            + ", ".join(f"{v:.1f}" for v in values)
            + ")"
        )
    ratios = [t["sessions"] / t["single"] for t in talks]
    print(
        f"two interleaved sessions / one conversation: median {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}); goal <= 1.2"
    )
    runs = [concurrency(llm, f"r{r}", concurrent_first=r % 2 == 1) for r in range(args.rounds * 2)]
    shares = [c / s for s, c, _ in runs]
    print(
        f"10 agenerate + 2 threads at once / one after another: median {statistics.median(shares):.3f} "
        f"(min {min(shares):.3f}, max {max(shares):.3f}); goal <= 1.05"
    )
    lags = sorted(LAGS)
    p99 = lags[int(len(lags) * 0.99)] * 1000
    print(
        f"event-loop lag meanwhile (1 ms ticker, {len(lags)} ticks): median {statistics.median(lags) * 1000:.2f} ms, "
        f"p99 {p99:.1f} ms, worst {lags[-1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
