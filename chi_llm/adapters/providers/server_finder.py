"""Finding local servers (LM Studio, Ollama) on the usual hosts and ports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from chi_llm.domain.errors import ConfigError
from chi_llm.domain.ports import ServerFinder
from chi_llm.domain.provider_views import UrlSearch

DEFAULT_PORTS = {"lmstudio": 1234, "ollama": 11434}
PROBE_PATHS = {"lmstudio": ("/v1/models", "data"), "ollama": ("/api/tags", "models")}


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
    tried: list[str] = []
    for url in urls:
        tried.append(url)
        try:
            body = probe(url, path, timeout)
        except Exception:  # noqa: S112 (any failure means "not here"; every URL tried is reported)
            continue
        if isinstance(body, dict) and key in body:
            return UrlSearch(
                provider=kind, ok=True, base_url=url, tried=tuple(tried), message=f"{kind} answered at {url}"
            )
    message = f"no {kind} server answered; tried {', '.join(tried)}"
    return UrlSearch(provider=kind, ok=False, base_url=None, tried=tuple(tried), message=message)


def http_probe(url: str, path: str, timeout: float) -> Any:
    import httpx

    response = httpx.get(url.rstrip("/") + path, timeout=timeout)
    response.raise_for_status()
    return response.json()


class LocalServerFinder(ServerFinder):
    """Finds LM Studio or Ollama over HTTP on localhost, Docker's host and the WSL host."""

    def __init__(self, env: Mapping[str, str], probe: Callable[[str, str, float], Any] = http_probe) -> None:
        self._env = env
        self._probe = probe

    def find(
        self,
        kind: str,
        *,
        host: str | None = None,
        port: int | None = None,
        hosts: Sequence[str] | None = None,
        timeout: float = 1.5,
    ) -> UrlSearch:
        if kind not in PROBE_PATHS:
            raise ConfigError(f"find-url knows {', '.join(PROBE_PATHS)}", key="type")
        urls = candidate_urls(kind, host=host, port=port, env=self._env, hosts=hosts)
        return find_url(kind, urls, self._probe, timeout)
