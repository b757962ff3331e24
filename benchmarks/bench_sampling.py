"""Do zero-config answers end? The default model on open prompts, with llama-cpp-python's default
sampling against the catalog's recommended sampling (what MicroLLM uses when a call and the
configuration leave it unset). Prints, per setting, how many answers ran to max_tokens and the
median answer length. Usage:

    .venv/bin/python benchmarks/bench_sampling.py [--seeds 4] [--max-tokens 512]
"""

from __future__ import annotations

import argparse
import platform
import statistics
from dataclasses import asdict

from chi_llm.adapters.models.catalog import YamlModelCatalog
from chi_llm.domain.models.spec import Sampling

PROMPTS = ("Write a haiku", "Write a haiku about the sea", "Tell me about cats", "Explain what a compiler does")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=512)
    args = parser.parse_args()

    from llama_cpp import Llama

    from chi_llm import ModelManager

    catalog = YamlModelCatalog()
    spec = catalog.get(catalog.default_id)
    path = ModelManager().download(spec.id)
    llm = Llama(model_path=str(path), n_ctx=2048, verbose=False)
    settings = {"llama-cpp-python defaults": Sampling(), "catalog recommended": spec.sampling or Sampling()}
    print(
        f"{spec.id} on {platform.machine()} ({platform.processor() or platform.platform()}), "
        f"{len(PROMPTS)} prompts x {args.seeds} seeds, max_tokens {args.max_tokens}"
    )
    for name, sampling in settings.items():
        values = asdict(sampling)
        lengths = []
        for prompt in PROMPTS:
            for seed in range(args.seeds):
                out = llm.create_chat_completion(
                    [{"role": "user", "content": prompt}],
                    max_tokens=args.max_tokens,
                    seed=seed,
                    **values,
                )
                lengths.append(out["usage"]["completion_tokens"])
        hit = sum(n >= args.max_tokens for n in lengths)
        print(
            f"{name:28} {values}\n{'':28} ran to max_tokens {hit}/{len(lengths)}, "
            f"median {statistics.median(lengths):.0f} tokens"
        )


if __name__ == "__main__":
    main()
