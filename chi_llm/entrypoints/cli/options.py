"""Options shared by the commands (defined once here), and building a MicroLLM from them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from chi_llm.domain.settings import Settings
    from chi_llm.entrypoints.container import Container

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
            click.option("--model", help="Catalog id, hf:owner/repo[/file.gguf] or .gguf path; default: configured."),
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

    # Only the default flag gets `default=True`: click turns `default=False` on a flag with a
    # string flag_value into the string "False" (which then won over the real default).
    def chosen(name: str) -> dict[str, Any]:
        return {"default": True} if default == name else {}

    func = click.option("--global", "scope", flag_value="global", help="Write the global file.", **chosen("global"))(
        func
    )
    return click.option(
        "--project", "scope", flag_value="project", help="Write the project file.", **chosen("project")
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


def wire_options(
    model: str | None = None,
    system: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    seed: int | None = None,
    provider: str | None = None,
    tags: str | None = None,
) -> Container:
    """The container for the command's model options: the command's one resolution of its
    configuration (as MicroLLM with these arguments would resolve it)."""
    from chi_llm.entrypoints.wiring import wire

    return wire(
        provider=provider,
        tags=parse_tags(tags) or None,
        model=model,
        system=system,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
    )


def build_llm(*, one_shot: str | None = None, wired: Container | None = None, **options: Any) -> Any:
    """A MicroLLM from the command's model options (as wire_options takes them). `one_shot`: the
    whole prompt of a one-shot command, for sizing the local context to it (see
    one_shot_context). `wired`: the command's container from wire_options, when the command
    needed its settings first."""
    from chi_llm.entrypoints.facade import MicroLLM
    from chi_llm.entrypoints.wiring import refine

    wanted = parse_tags(options.get("tags"))
    container = wired or wire_options(**options)
    if one_shot is not None and options.get("provider") is None and not wanted:
        settings = container.settings()
        context, parallel = one_shot_context(one_shot, settings), one_shot_parallel(settings)
        if context is not None or parallel is not None:
            refine(container, context=context, parallel=parallel)
    return MicroLLM._wired(container, tags=wanted or None)


TEMPLATE_ROOM = 160  # tokens a chat template adds around one turn (role markers, a default system prompt)
MIN_CONTEXT = 512


def one_shot_parallel(settings: Settings) -> int | None:
    """One sequence for a one-shot local generation, when nobody configured `parallel`: the
    KV cache is then one context, not DEFAULT_PARALLEL of them. None: keep the setting (it was
    set, or the first provider is not local)."""
    if settings.is_set("parallel") or settings.profiles()[0].type != "local":
        return None
    return 1


def one_shot_context(prompt: str, settings: Settings) -> int | None:
    """A context just big enough for one local generation, when nobody configured one: a 16-token
    answer to "hi" then allocates a 512-token KV cache, not 4096 (on the default model ~75 ms of
    load, ~30 ms of the first call and ~80 MiB less). A prompt has at most one token per UTF-8
    byte, plus the template's own. `settings`: the command's, with its `system` and `max_tokens`.
    None: keep the configured context (it was set, or the first provider is not local)."""
    if settings.is_set("context") or settings.profiles()[0].type != "local":
        return None
    system_text = settings["system"] or ""
    needed = len(prompt.encode("utf-8")) + len(system_text.encode("utf-8")) + TEMPLATE_ROOM + settings["max_tokens"]
    rounded = max(MIN_CONTEXT, -(-needed // 256) * 256)
    return min(int(settings["context"]), int(rounded))
