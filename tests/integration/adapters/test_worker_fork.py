"""An event-loop handoff in a forked child: a lock a thread of the parent held at the fork
(which that thread never gives back in the child) does not hang the child's streams."""

from __future__ import annotations

import subprocess
import sys

FORKED = """
import asyncio, os, signal, sys, threading, time
from chi_llm.adapters import worker
loop = asyncio.new_event_loop()
held = worker.handoff(loop)
taken = threading.Event()
def hold():
    with worker._handoffs_lock, held._lock:
        taken.set()
        time.sleep(3)
threading.Thread(target=hold, daemon=True).start()
taken.wait()
child = os.fork()
if child == 0:
    signal.alarm(2)  # a lock the parent's thread held at the fork would hang the child: killed
    worker.handoff(asyncio.new_event_loop()).put(asyncio.Queue(), 1)
    worker.handoff(loop).put(asyncio.Queue(), 2)
    os._exit(0)
_, status = os.waitpid(child, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_forked_child_hands_items_over_whatever_locks_the_parents_threads_held() -> None:
    done = subprocess.run([sys.executable, "-c", FORKED], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
