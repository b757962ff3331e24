"""`chi-llm serve`: the OpenAI-compatible HTTP server (the `serve` extra: starlette, uvicorn)."""

from __future__ import annotations

import click

from chi_llm.entrypoints.cli.output import guarded


@click.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (beyond loopback needs a key)."
)
@click.option("--port", default=8642, show_default=True, type=click.IntRange(0, 65535), help="Port (0: a free one).")
@click.option("--api-key-file", type=click.Path(dir_okay=False), help="File of accepted API keys, one per line.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="An extra configuration file.")
@click.option(
    "--max-body",
    default=8 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest request body, bytes.",
)
@click.option(
    "--max-tokens", default=4096, show_default=True, type=click.IntRange(1), help="Cap on any request's max_tokens."
)
@click.option(
    "--parallel",
    default=4,
    show_default=True,
    type=click.IntRange(1),
    help="Concurrent requests per remote model (a local model: its `parallel` setting, default 4).",
)
@click.option(
    "--queue", default=16, show_default=True, type=click.IntRange(0), help="Requests waiting per model before 429."
)
@click.option(
    "--queue-timeout",
    default=120.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a request may wait in the queue before 503.",
)
@click.option(
    "--grace",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds streams in flight get to finish on SIGTERM.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1),
    help="Open connections at most (default: half the descriptor limit, at most 1024); "
    "the longest-idle one is closed to make room.",
)
@click.option(
    "--head-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a request's line and headers have to arrive in.",
)
@click.option(
    "--body-timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a request's body has to arrive in, after its headers.",
)
@click.option(
    "--keep-alive",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds an idle connection stays open after an answer.",
)
@click.option(
    "--allow-origin",
    "allow_origins",
    multiple=True,
    help="A browser origin allowed to call the API (CORS), e.g. http://localhost:3000; repeatable; * for any.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    help="A Host name a loopback server answers besides localhost and loopback addresses; repeatable.",
)
@click.option("--json-logs", is_flag=True, help="Logs as one JSON object per line.")
@click.option("--no-preload", is_flag=True, help="Load the default local model on the first request, not at start.")
@guarded(lambda kw: False)
def serve(
    host: str,
    port: int,
    api_key_file: str | None,
    config_path: str | None,
    max_body: int,
    max_tokens: int,
    parallel: int,
    queue: int,
    queue_timeout: float,
    grace: float,
    max_connections: int | None,
    head_timeout: float,
    body_timeout: float,
    keep_alive: float,
    allow_origins: tuple[str, ...],
    allow_hosts: tuple[str, ...],
    json_logs: bool,
    no_preload: bool,
) -> None:
    """Serve every configured provider behind one OpenAI-compatible endpoint (/v1/chat/completions,
    /v1/completions, /v1/embeddings, /v1/models, /health).

    A request's `model` picks a catalog or installed model (served locally), a provider profile
    (`profile-id` or `profile-id/model`), or the configured order with fallback (`default`).
    The API key comes from --api-key-file or CHI_LLM_SERVE_API_KEY; clients send it as
    `Authorization: Bearer KEY`."""
    import os

    from chi_llm.domain.errors import BackendUnavailable
    from chi_llm.entrypoints.cli.output import line

    try:
        from chi_llm.entrypoints.server.backends import Limits
        from chi_llm.entrypoints.server.connections import ConnectionLimits
        from chi_llm.entrypoints.server.runner import read_api_keys
        from chi_llm.entrypoints.server.runner import serve as run
        from chi_llm.entrypoints.server.state import ServeOptions
    except ImportError as exc:
        raise BackendUnavailable(
            f"chi-llm serve needs the serve extra ({exc.name} is missing): pip install 'chi-llm[serve]'",
            backend="serve",
        ) from None
    options = ServeOptions(
        host=host,
        port=port,
        api_keys=read_api_keys(api_key_file, os.environ),
        max_body_bytes=max_body,
        max_tokens=max_tokens,
        limits=Limits(parallel=parallel, queue=queue, queue_timeout=queue_timeout),
        grace=grace,
        connections=ConnectionLimits(
            head_timeout=head_timeout, body_timeout=body_timeout, keep_alive=keep_alive, max_connections=max_connections
        ),
        json_logs=json_logs,
        config_path=config_path,
        preload=not no_preload,
        allow_origins=allow_origins,
        allow_hosts=tuple(h.lower() for h in allow_hosts),
    )
    run(options, announce=line)
