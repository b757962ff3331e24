"""Pooled httpx clients with timeouts, bounded retries (backoff, jitter, Retry-After) and error mapping."""

from __future__ import annotations

import asyncio
import random
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from chi_llm.adapters.providers.http.errors import map_status
from chi_llm.domain.errors import BackendUnavailable, RateLimited, redact

RETRY_STATUSES = (429, 500, 502, 503, 504, 529)
RETRY_AFTER_LIMIT = 60.0  # a server asking for a longer wait gets a clear error instead of a hang
MAX_BODY_BYTES = 32 * 1024 * 1024  # a whole (non-streamed) answer larger than this is refused


def backoff_seconds(attempt: int, retry_after: str | None, *, base: float = 0.5, cap: float = 20.0) -> float:
    """Retry-After when the server gives one (seconds), else exponential backoff with full jitter."""
    if retry_after:
        try:
            return max(float(retry_after), 0.0)
        except ValueError:
            pass
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 (jitter, not a secret)


class HttpTransport:
    """One per provider profile. Clients are created lazily and reused (connection pooling)."""

    def __init__(
        self,
        *,
        backend: str,
        base_url: str,
        headers: dict[str, str] | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        max_retries: int = 3,
        context: int | None = None,
        secrets: tuple[str, ...] = (),
        total_timeout: float = 600.0,
    ) -> None:
        """`secrets`: values (API keys) that must never appear in an error, even when a server
        quotes them back."""
        self.secrets = secrets
        self.total_timeout = total_timeout
        self.backend = backend
        self.base_url = base_url.rstrip("/")
        self.headers = headers or {}
        self.max_retries = max_retries
        self.context = context
        self._timeout_args = (connect_timeout, read_timeout)
        self._client: Any = None
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()

    def _timeout(self) -> Any:
        import httpx

        connect, read = self._timeout_args
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    @property
    def client(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.Client(base_url=self.base_url, headers=self.headers, timeout=self._timeout())
        return self._client

    def async_client(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            import httpx

            client = httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=self._timeout())
            self._async_clients[loop] = client
        return client

    def close(self) -> None:
        """Close the pooled sync client (async clients close with `aclose`)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        """Close the async client of the running event loop, and the sync one."""
        client = self._async_clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
        self.close()

    def _unreachable(self, exc: Exception) -> BackendUnavailable:
        import httpx

        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "is not reachable"
        return BackendUnavailable(
            f"{self.backend} at {self.base_url} {what} ({type(exc).__name__}); "
            "is the server running and the URL right?",
            backend=self.backend,
        )

    def _error(self, response: Any, body_text: str) -> Exception:
        import json

        body_text = redact(body_text, self.secrets)
        try:
            body: Any = json.loads(body_text)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser reads
            body = body_text
        location = redact(response.headers.get("location", ""), self.secrets) or None
        return map_status(
            response.status_code,
            body,
            backend=self.backend,
            url=self.base_url,
            context=self.context,
            location=location,
        )

    def _retry_delay(self, attempt: int, response: Any) -> float | None:
        """The one retry policy: 429 and 5xx answers are retried, up to `max_retries` times, after
        Retry-After or an exponential backoff with jitter. None: do not retry."""
        if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
            return None
        delay = backoff_seconds(attempt, response.headers.get("retry-after"))
        if delay > RETRY_AFTER_LIMIT:
            kind = RateLimited if response.status_code == 429 else BackendUnavailable
            raise kind(
                f"{self.backend} at {self.base_url} asks to wait {delay:.0f} s before retrying (chi_llm waits at most "
                f"{RETRY_AFTER_LIMIT:.0f} s); try again later",
                backend=self.backend,
            )
        return delay

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[Any]:
        """An open, successful (2xx) response; retried on 429/5xx before any byte is consumed."""
        import httpx

        for attempt in range(self.max_retries + 1):
            try:
                with self.client.stream(method, path, **kwargs) as response:
                    if 200 <= response.status_code < 300:
                        yield response
                        return
                    text = response.read().decode("utf-8", errors="replace")
            except httpx.TransportError as exc:  # refused, timed out, or cut mid-stream
                raise self._unreachable(exc) from exc
            delay = self._retry_delay(attempt, response)
            if delay is None:
                raise self._error(response, text)
            time.sleep(delay)

    @asynccontextmanager
    async def astream(self, method: str, path: str, **kwargs: Any) -> AsyncIterator[Any]:
        """`stream` on the running event loop's client."""
        import httpx

        client = self.async_client()
        for attempt in range(self.max_retries + 1):
            try:
                async with client.stream(method, path, **kwargs) as response:
                    if 200 <= response.status_code < 300:
                        yield response
                        return
                    text = (await response.aread()).decode("utf-8", errors="replace")
            except httpx.TransportError as exc:
                raise self._unreachable(exc) from exc
            delay = self._retry_delay(attempt, response)
            if delay is None:
                raise self._error(response, text)
            await asyncio.sleep(delay)

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        with self.stream(method, path, **kwargs) as response:
            import json

            body = bytearray()
            for block in response.iter_bytes():
                body += block
                if len(body) > MAX_BODY_BYTES:
                    raise BackendUnavailable(
                        f"{self.backend} at {self.base_url}{path} sent more than {MAX_BODY_BYTES // 2**20} MiB; "
                        "that is no answer this client expects",
                        backend=self.backend,
                    )
            text = body.decode("utf-8", errors="replace")
            try:
                return json.loads(text)
            except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser reads
                shown = redact(text[:120], self.secrets)
                raise BackendUnavailable(
                    f"{self.backend} at {self.base_url}{path} did not answer JSON: {shown!r}", backend=self.backend
                ) from None
