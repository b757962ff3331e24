"""Connection tests, model discovery and URL finding for HTTP providers (LM Studio, Ollama, ...)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chi_llm.domain.errors import (
    BackendUnavailable,
    ChiLlmError,
    MissingCredentials,
    ModelNotFound,
)
from chi_llm.domain.generation import GenerationOptions, GenerationRequest
from chi_llm.domain.messages import Message
from chi_llm.domain.providers import ConnectionReport

DEFAULT_PORTS = {"lmstudio": 1234, "ollama": 11434}
PROBE_PATHS = {"lmstudio": ("/v1/models", "data"), "ollama": ("/api/tags", "models")}


def check_connection(adapter: Any, *, e2e: bool = False, prompt: str = "Say hi.") -> ConnectionReport:
    """List the server's models (and optionally generate a few tokens). Unreachable is never ok."""
    started = time.perf_counter()
    try:
        models = adapter.list_models() if hasattr(adapter, "list_models") else []
        message = f"reachable; {len(models)} model(s) listed"
        if e2e:
            request = GenerationRequest(
                messages=(Message(role="user", content=prompt),), options=GenerationOptions(max_tokens=8)
            )
            completion = adapter.generate(request)
            message += f"; generated {completion.usage.completion_tokens} token(s): {completion.text.strip()[:60]!r}"
    except BackendUnavailable as error:
        return _report(False, "unreachable", started, error.message)
    except MissingCredentials as error:
        return _report(False, "unauthorized", started, error.message)
    except ModelNotFound as error:
        return _report(False, "not_found", started, error.message)
    except ChiLlmError as error:
        return _report(False, "error", started, error.message)
    return _report(True, "ok", started, message)


def _report(ok: bool, status: str, started: float, message: str) -> ConnectionReport:
    return ConnectionReport(
        ok=ok, status=status, latency_ms=round((time.perf_counter() - started) * 1000, 1), message=message
    )


def wsl_host(resolv_conf: Path = Path("/etc/resolv.conf"), env: Mapping[str, str] | None = None) -> str | None:
    """The Windows host as WSL2 sees it: the nameserver in /etc/resolv.conf (only under WSL)."""
    env = env or {}
    try:
        release = Path("/proc/sys/kernel/osrelease").read_text().lower()
    except OSError:
        release = ""
    if "WSL_DISTRO_NAME" not in env and "microsoft" not in release:
        return None
    try:
        for line in resolv_conf.read_text().splitlines():
            if line.startswith("nameserver"):
                return line.split()[1]
    except (OSError, IndexError):
        return None
    return None


@dataclass
class UrlSearch:
    provider: str
    ok: bool = False
    base_url: str | None = None
    tried: list[str] = field(default_factory=list)
    message: str = ""


def candidate_urls(
    kind: str,
    *,
    host: str | None = None,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    hosts: Sequence[str] | None = None,
) -> list[str]:
    """Hint first, then localhost, 127.0.0.1, host.docker.internal and the WSL host."""
    env = env or {}
    prefix = kind.upper()
    ports = [p for p in (port, env.get(f"{prefix}_PORT"), DEFAULT_PORTS[kind]) if p]
    names = (
        list(hosts)
        if hosts is not None
        else [
            h
            for h in (
                host,
                env.get(f"{prefix}_HOST"),
                "localhost",
                "127.0.0.1",
                "host.docker.internal",
                wsl_host(env=env),
            )
            if h
        ]
    )
    urls: list[str] = []
    for name in names:
        for p in ports:
            url = name if str(name).startswith("http") else f"http://{name}:{p}"
            if url not in urls:
                urls.append(url)
    return urls


def find_url(
    kind: str, urls: Sequence[str], probe: Callable[[str, str, float], Any], timeout: float = 1.5
) -> UrlSearch:
    """Try each URL; the first that answers the provider's listing with the expected JSON wins."""
    path, key = PROBE_PATHS[kind]
    search = UrlSearch(provider=kind)
    for url in urls:
        search.tried.append(url)
        try:
            body = probe(url, path, timeout)
        except Exception:  # any failure just means "not here"; every URL tried is reported
            continue
        if isinstance(body, dict) and key in body:
            search.ok, search.base_url = True, url
            search.message = f"{kind} answered at {url}"
            return search
    search.message = f"no {kind} server answered; tried {', '.join(search.tried)}"
    return search


def http_probe(url: str, path: str, timeout: float) -> Any:
    import httpx

    response = httpx.get(url.rstrip("/") + path, timeout=timeout)
    response.raise_for_status()
    return response.json()
