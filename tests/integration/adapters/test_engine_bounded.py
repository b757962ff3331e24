"""The batching engine in a bounded child process (tests/support/bounded.py): unloading a model
while it decodes, and a flood of waiting requests, which must cost memory in proportion to what
they hold (their tokens and a thread), none of it kept once they end."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.bounded import run_python_bounded

UNLOAD = """
import json, sys, threading, time
from pathlib import Path
from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.adapters.llama_cpp.loader import unload_all
from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message

model = LlamaCppGenerator(locate=Path, default_model=sys.argv[1], context=512, parallel=2)
options = GenerationOptions(temperature=0.0, max_tokens=200, seed=1)
results = []

def run(i):
    request = GenerationRequest(messages=(Message(role="user", content=f"Tell me a long story, number {i}."),),
                                options=options)
    try:
        answer = model.generate(request)
        results.append(["done", answer.finish_reason, answer.usage.completion_tokens])
    except ChiLlmError as exc:
        results.append(["error", type(exc).__name__, str(exc)])

threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
for thread in threads:
    thread.start()
while model.tokens_decoded < 6:
    time.sleep(0.005)
unload_all()
for thread in threads:
    thread.join(30)
after = model.generate(GenerationRequest(messages=(Message(role="user", content="Say hi"),),
                                         options=GenerationOptions(temperature=0.0, max_tokens=3)))
print(json.dumps({"alive": sum(t.is_alive() for t in threads), "results": results, "after": after.text}))
"""


def test_unloading_while_requests_decode_ends_them_with_an_error(default_model_path: Path) -> None:
    done = run_python_bounded(UNLOAD, str(default_model_path), timeout=120, memory=4 << 30)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["alive"] == 0 and len(report["results"]) == 4 and report["after"]
    for kind, what, detail in report["results"]:
        if kind == "done":  # it ended on its own before the unload, or was cut: then it says so
            assert what == "stop" or detail == 200
        else:
            assert what == "GenerationFailed" and "unloaded" in detail
    assert any(kind == "error" for kind, _, _ in report["results"])


FLOOD = """
import asyncio, gc, json, sys, threading, time, tracemalloc
from pathlib import Path
from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message

def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS"))

COUNT = int(sys.argv[2])
model = LlamaCppGenerator(locate=Path, default_model=sys.argv[1], context=512, parallel=1)
scheduler = model.load().scheduler

def ask(text, tokens):
    options = GenerationOptions(temperature=0.0, max_tokens=tokens)
    return GenerationRequest(messages=(Message(role="user", content=text),), options=options)

async def settle(count):
    while scheduler.busy() != count:
        await asyncio.sleep(0.01)

async def flood():
    hold = asyncio.create_task(model.agenerate(ask("Tell me a long story about a dragon.", 400)))
    await settle(1)
    before = rss()
    tasks = [asyncio.create_task(model.agenerate(ask(f"Question {i}: " + "word " * 200, 4))) for i in range(COUNT)]
    await settle(COUNT + 1)  # every one waits for the one slot
    waiting = rss() - before
    for task in [*tasks, hold]:
        task.cancel()
    await asyncio.gather(*tasks, hold, return_exceptions=True)
    await settle(0)
    return waiting

def quiet(threads, seconds=60):
    # Each request's thread ends just after its answer does: until they all have, their frames
    # still hold the requests (on a loaded machine that read as ~500 KiB kept).
    deadline = time.monotonic() + seconds
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.01)

model.generate(ask("warm up", 2))
threads = threading.active_count()
rounds = [asyncio.run(flood()) for _ in range(2)]
quiet(threads)
tracemalloc.start()
gc.collect()
start = tracemalloc.get_traced_memory()[0]
rounds += [asyncio.run(flood()) for _ in range(3)]
quiet(threads)
gc.collect()
print(json.dumps({"waiting": rounds, "kept": tracemalloc.get_traced_memory()[0] - start}))
"""


def test_a_flood_of_waiting_requests_costs_memory_in_proportion_and_gives_it_back(default_model_path: Path) -> None:
    count = 150
    done = run_python_bounded(FLOOD, str(default_model_path), str(count), timeout=180, memory=6 << 30)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert max(report["waiting"]) < count * (256 << 10)  # a thread and ~220 tokens each: ~60 KiB measured
    assert report["kept"] < 256 << 10  # three more floods leave no Python objects behind (~30 KiB measured)


SLOW_STEP = """
import json, sys, threading, time
from pathlib import Path
from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.adapters.llama_cpp.engine.native import NativeContext
from chi_llm.adapters.llama_cpp.loader import unload_all
from chi_llm.domain.errors import ChiLlmError
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message

model = LlamaCppGenerator(locate=Path, default_model=sys.argv[1], context=512, parallel=1)
model.load()
real = NativeContext.decode
inside = threading.Event()

def slow(self, entries):  # a step as long as a big model's on a slow CPU
    inside.set()
    time.sleep(float(sys.argv[2]))
    real(self, entries)

NativeContext.decode = slow
ended = []

def run():
    request = GenerationRequest(messages=(Message(role="user", content="Say hi"),),
                                options=GenerationOptions(temperature=0.0, max_tokens=3))
    try:
        ended.append(model.generate(request).finish_reason)
    except ChiLlmError as exc:
        ended.append(type(exc).__name__)

thread = threading.Thread(target=run)
thread.start()
inside.wait(30)
unload_all()  # the step outlasts the wait for the decode thread: its context must not be freed under it
thread.join(60)
print(json.dumps({"ended": ended}))
"""


def test_unloading_during_a_step_longer_than_the_wait_does_not_free_the_context_under_it(
    default_model_path: Path,
) -> None:
    done = run_python_bounded(SLOW_STEP, str(default_model_path), "7", timeout=120, memory=4 << 30)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert json.loads(done.stdout.splitlines()[-1]) == {"ended": ["GenerationFailed"]}


LONG_LABEL = """
import json, sys
from pathlib import Path
from chi_llm.adapters.llama_cpp import LlamaCppGenerator
from chi_llm.adapters.llama_cpp.engine.native import Entry
from chi_llm.domain.errors import GenerationFailed
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message

model = LlamaCppGenerator(locate=Path, default_model=sys.argv[1], context=1024, parallel=2)
request = GenerationRequest(messages=(Message(role="user", content="Pick one"),),
                            options=GenerationOptions(temperature=0.0, max_tokens=4))
scores = model.label_probabilities(request, "Answer: ", ["short", "word " * 300], "")
native = model.load().scheduler.native
try:
    model.load().scheduler.call(lambda: native.decode([Entry(0, 1, i, False) for i in range(native.capacity + 1)]))
    refused = False
except GenerationFailed:
    refused = True
print(json.dumps({"total": sum(scores.values()), "refused": refused, "after": model.generate(request).text}))
"""


def test_a_label_longer_than_a_batch_is_scored_and_no_batch_is_overfilled(default_model_path: Path) -> None:
    done = run_python_bounded(LONG_LABEL, str(default_model_path), timeout=120, memory=4 << 30)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    report = json.loads(done.stdout.splitlines()[-1])
    assert abs(report["total"] - 1) < 1e-9 and report["refused"] and report["after"]
