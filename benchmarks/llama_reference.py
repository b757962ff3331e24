"""llama.cpp's own batching on this machine, measured in the same run as chi_llm's: its
`llama-batched-bench` (built once by scripts/llama_baselines.sh) with the same prompt and answer
lengths, one sequence against N, each sequence in a KV stream of its own (`-no-kvu`, as chi_llm's
engine). What it gives the batching benchmark:

aggregate    answer tokens per second of N sequences over one: N * T(1) / T(N), prompt included
             (the measure of bench_batching's `concurrent` part).
decode       its S_TG(N) / S_TG(1): answer tokens only, once every prompt is read.
ttft_floor   N * S_PP(1) / S_PP(N): the last of N requests arriving together gets its first
             token only after all N prompts are read, by any scheduler, so its time to first token
             over a lone request's is at least this. On a CPU where prompts read no faster together
             than apart it is about N; with a GPU it is near 1.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Reference:
    sequences: int
    aggregate: float
    decode: float
    ttft_floor: float

    def line(self) -> str:
        return (
            f"llama.cpp's llama-batched-bench here, {self.sequences} sequences over 1: aggregate "
            f"{self.aggregate:.2f}x, decode {self.decode:.2f}x, last-TTFT floor {self.ttft_floor:.2f}x"
        )


def binaries() -> Path:
    """The folder scripts/llama_baselines.sh builds into (whether or not it has built yet)."""
    found = subprocess.run(
        ["bash", str(ROOT / "scripts" / "llama_baselines.sh"), "--dry-run"], capture_output=True, text=True, check=True
    )
    return Path(found.stdout.strip().splitlines()[-1])


def rows(output: str) -> dict[int, dict[str, float]]:
    """llama-batched-bench's table, by its B column: every column as a number."""
    table = [line.strip().strip("|").split("|") for line in output.splitlines() if line.startswith("|")]
    if not table:
        return {}
    names = [cell.strip() for cell in table[0]]
    found: dict[int, dict[str, float]] = {}
    for cells in table[1:]:
        try:
            values = dict(zip(names, (float(cell) for cell in cells), strict=True))
        except ValueError:  # the |---| rule under the header
            continue
        found[int(values["B"])] = values
    return found


def measure(model: Path, prompt: int, tokens: int, sequences: int, threads: int) -> Reference | None:
    """Run llama-batched-bench for 1 and `sequences` sequences; None when it is not built."""
    binary = binaries() / "llama-batched-bench"
    if not binary.is_file():
        return None
    command = [str(binary), "-m", str(model), "-c", str((prompt + tokens) * sequences + 256), "-b", "512"]
    command += ["-ub", "512", "-npp", str(prompt), "-ntg", str(tokens), "-npl", f"1,{sequences}"]
    command += ["-t", str(threads), "-tb", str(threads), "-no-kvu"]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
    table = rows(done.stdout + done.stderr)
    one, many = table[1], table[sequences]
    return Reference(
        sequences=sequences,
        aggregate=sequences * one["T s"] / many["T s"],
        decode=many["S_TG t/s"] / one["S_TG t/s"],
        ttft_floor=sequences * one["S_PP t/s"] / many["S_PP t/s"],
    )
