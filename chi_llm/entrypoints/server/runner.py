"""Running the server: checks before listening, the model loaded before the first request,
uvicorn on a socket we bind (port 0 picks a free port), and a graceful SIGTERM: new requests
get 503, streams in flight have `grace` seconds to finish, then end with an error event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import uvicorn

from chi_llm.domain.errors import ConfigError
from chi_llm.entrypoints.server import logs
from chi_llm.entrypoints.server.app import create_app
from chi_llm.entrypoints.server.backends import Route
from chi_llm.entrypoints.server.checks import is_loopback_name
from chi_llm.entrypoints.server.connections import accept_batch, connection_cap, guarded
from chi_llm.entrypoints.server.state import API_KEY_VARIABLE, ServeOptions, ServerState

log = logging.getLogger("chi_llm.serve")
BACKSTOP = 5.0  # seconds after the grace period before uvicorn cancels what is still running


def read_api_keys(path: str | Path | None, env: Mapping[str, str]) -> tuple[str, ...]:
    """Keys from `path` (one per line; blank lines and # comments skipped) and the environment."""
    keys: list[str] = []
    if path is not None:
        from chi_llm.adapters.bounded_read import read_text

        try:  # a regular file of at most 1 MiB: a FIFO or /dev/zero given by mistake is refused
            text = read_text(Path(os.path.expanduser(path)))
        except ConfigError as exc:
            raise ConfigError(f"cannot read the API key file {path}: {exc.detail}") from None
        keys += [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        if not keys:
            raise ConfigError(f"the API key file {path} holds no key (one key per line)")
    from_env = env.get(API_KEY_VARIABLE, "").strip()
    if from_env:
        keys.append(from_env)
    return tuple(keys)


def check_exposure(options: ServeOptions) -> None:
    """Anything beyond loopback must ask for a key."""
    if not is_loopback_name(options.host) and not options.api_keys:
        raise ConfigError(
            f"refusing to listen on {options.host} without an API key: anyone who can reach it could use "
            f"your models and providers; pass --api-key-file FILE or set {API_KEY_VARIABLE}"
        )


class ChiServer(uvicorn.Server):
    """uvicorn with chi_llm's shutdown: drain, give streams `grace` seconds, then stop them."""

    def __init__(self, config: uvicorn.Config, state: ServerState) -> None:
        super().__init__(config)
        self.chi = state

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """SIGTERM/SIGINT start the graceful shutdown; unlike uvicorn's own, the signal is not
        raised again afterwards, so a clean shutdown exits with status 0."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.chi.draining = True
        log.info("shutting down: streams in flight have %g s to finish", self.chi.options.grace)
        timer = asyncio.get_running_loop().call_later(self.chi.options.grace, self.chi.stopping.set)
        try:
            await super().shutdown(sockets)
        finally:
            timer.cancel()
            self.chi.stopping.set()
            await self.chi.backends.aclose()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket. Created with proto=IPPROTO_TCP (socket.create_server leaves it 0),
    which is what makes asyncio set TCP_NODELAY on accepted connections: without it a response
    written in two parts waits ~40 ms for a delayed ACK on every keep-alive request."""
    try:
        family, kind, proto, _, where = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(where)
            sock.listen(2048)
        except OSError:
            sock.close()
            raise
        return sock
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port") from None


def build(options: ServeOptions, env: Mapping[str, str]) -> tuple[ChiServer, socket.socket]:
    """The server and its listening socket (nothing is accepted until it runs)."""
    check_exposure(options)
    state = ServerState(options, env)
    if options.preload:
        backend = state.backends.get(Route())
        if backend.local:
            log.info("loading %s", backend.name)
            state.backends.load(backend)
    sock = bind(options.host, options.port)
    config = uvicorn.Config(
        create_app(state),
        log_config=None,
        access_log=False,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=int(options.grace + BACKSTOP),
        http=guarded(options.connections),
        backlog=accept_batch(connection_cap(options.connections)),
        timeout_keep_alive=options.connections.keep_alive,  # type: ignore[arg-type]  # a float works (call_later)
    )
    return ChiServer(config, state), sock


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(options: ServeOptions, env: Mapping[str, str] | None = None, announce: Any = print) -> None:
    """Run until SIGTERM/SIGINT (`chi-llm serve`)."""
    env = os.environ if env is None else env
    logs.configure(json_logs=options.json_logs)
    server, sock = build(options, env)
    announce(f"chi-llm serve: listening on {address(sock)}/v1 (OpenAI-compatible; Ctrl+C stops)")
    server.run(sockets=[sock])
