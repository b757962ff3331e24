"""Options shared by the commands (defined once here), and building a MicroLLM from them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]


LLM_KEYS = ("model", "system", "temperature", "max_tokens", "seed", "provider", "tags")


def model_options(command: F) -> F:
    """Add the model options; the command receives them gathered as one `llm_options` dict (for build_llm)."""

    @functools.wraps(command)
    def gather(*args: Any, **kwargs: Any) -> Any:
        llm = {key: kwargs.pop(key) for key in LLM_KEYS if key in kwargs}
        return command(*args, llm_options=llm, **kwargs)

    func: F = gather
    for option in reversed(
        [
            click.option("--model", help="Catalog id or path to a .gguf file (default: configured model)."),
            click.option("-t", "--temperature", type=float, help="Sampling temperature, 0 to 2."),
            click.option("-m", "--max-tokens", type=int, help="Most tokens to generate."),
            click.option("--seed", type=int, help="Random seed for reproducible output."),
            click.option("--provider", help="Provider profile id or type (default: the configured order)."),
            click.option("--tags", help="Use providers having all these tags (comma-separated)."),
        ]
    ):
        func = option(func)
    return func


def json_option(func: F) -> F:
    """`--json`: print a JSON result (the command receives `as_json`)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def scope_options(func: F, *, default: str | None = "project") -> F:
    """`--project` / `--global`: which configuration file a change is written to (`scope`;
    None when `default` is None and neither was given)."""
    func = click.option(
        "--global", "scope", flag_value="global", default=default == "global", help="Write the global file."
    )(func)
    return click.option(
        "--project", "scope", flag_value="project", default=default == "project", help="Write the project file."
    )(func)


def global_scope_options(func: F) -> F:
    return scope_options(func, default="global")


def chosen_scope_options(func: F) -> F:
    """`--project` / `--global` where "neither" matters (`scope` is None then)."""
    return scope_options(func, default=None)


def parse_tags(text: str | None) -> list[str]:
    """Comma-separated tags, blanks dropped."""
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def system_option(func: F) -> F:
    return click.option("--system", help="System prompt.")(func)


def output_options(func: F) -> F:
    func = click.option("--json", "as_json", is_flag=True, help="Print a JSON result with usage and timings.")(func)
    return click.option("--no-stream", is_flag=True, help="Print the answer when it is complete.")(func)


def build_llm(
    model: str | None,
    system: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    seed: int | None = None,
    provider: str | None = None,
    tags: str | None = None,
) -> Any:
    from chi_llm.entrypoints.facade import MicroLLM

    wanted = parse_tags(tags)
    return MicroLLM(
        model=model,
        system=system,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        provider=provider,
        tags=wanted or None,
    )
