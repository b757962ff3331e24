"""How busy other processes keep the CPU: what slows local decoding down on a shared machine."""

from __future__ import annotations

from dataclasses import dataclass

# Other processes using half a core or more: llama.cpp's threads meet at a barrier hundreds of
# times per token, so one core taken away stalls all of them (issue 23: 2 threads on 2 cores fell
# from 120.7 to 31.2 tok/s beside one CPU-bound process).
CONTENDED_CORES = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class CpuLoad:
    """A short sample of the CPU. `others`: cores' worth of CPU time that other processes used
    during it; `runnable`: tasks runnable at its end (this one included), where the system says."""

    cores: int
    others: float
    sample_s: float
    runnable: int | None = None
    load_1m: float | None = None

    @property
    def contended(self) -> bool:
        return self.others >= CONTENDED_CORES
