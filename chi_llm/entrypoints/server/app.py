"""The Starlette application: routes, and one ASGI middleware that gives each request an id,
applies the checks of `checks` (Host, Origin, API key, JSON body type), refuses new work while
shutting down, maps every error to its API's shape (OpenAI's; Anthropic's under /v1/messages;
never a stack trace) and writes the access log line."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chi_llm.domain.errors import ChiLlmError
from chi_llm.entrypoints.server import checks, handlers
from chi_llm.entrypoints.server.errors import SHUTTING_DOWN, HttpError, bad_request, from_error, internal
from chi_llm.entrypoints.server.logs import AccessRecord
from chi_llm.entrypoints.server.replies import Json
from chi_llm.entrypoints.server.state import ServerState
from chi_llm.entrypoints.server.streams import ClientGone

log = logging.getLogger("chi_llm.serve")


ANTHROPIC_PATHS = "/v1/messages"  # Anthropic's Messages API: its own error shape


def error_response(error: HttpError, path: str) -> Response:
    """The error in the shape of the API the path belongs to."""
    anthropic = path == ANTHROPIC_PATHS or path.startswith(ANTHROPIC_PATHS + "/")
    body = error.anthropic_body() if anthropic else error.body()
    return Json(body, status_code=error.status, headers=error.headers())


class ServerMiddleware:
    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state
        self.loopback = checks.is_loopback_name(state.options.host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = AccessRecord(
            request_id="req_" + secrets.token_hex(8),
            method=scope["method"],
            path=scope["path"],
            client=scope["client"][0] if scope.get("client") else None,
        )
        scope["chi_record"] = record
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                record.status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", record.request_id.encode())]
            await send(message)

        try:
            refused = self._refused(scope)
            if refused is not None:
                await error_response(refused, scope["path"])(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        except ClientGone:
            record.left()
        except Exception:
            record.outcome = "error"
            log.exception("request %s failed", record.request_id)
            if not started:
                await error_response(internal(record.request_id), scope["path"])(scope, receive, send_with_id)
        finally:
            record.log()

    def _refused(self, scope: Scope) -> HttpError | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if sum(1 for k, _ in scope["headers"] if k.lower() == b"host") > 1:
            return bad_request("a request carries one Host header", code="invalid_host")
        options = self.state.options
        host = headers.get("host")
        refused = checks.host_refused(host, loopback_bind=self.loopback, allowed=options.allow_hosts)
        refused = refused or checks.origin_refused(headers.get("origin"), host, options.allow_origins)
        if refused is not None or not scope["path"].startswith("/v1"):
            return refused
        refused = checks.key_refused(headers, options.api_keys) or checks.media_refused(scope["method"], headers)
        if refused is None and self.state.draining:
            return SHUTTING_DOWN
        return refused


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HttpError)  # noqa: S101 (registered for HttpError only)
    return error_response(error, request.url.path)


async def _chi_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ChiLlmError)  # noqa: S101
    return error_response(from_error(error), request.url.path)


async def _starlette_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)  # noqa: S101
    message = {404: f"no route {request.url.path}", 405: f"{request.method} is not allowed on {request.url.path}"}
    shown = HttpError(error.status_code, message.get(error.status_code, str(error.detail)))
    return error_response(shown, request.url.path)


def create_app(state: ServerState) -> Starlette:
    routes = [
        Route("/v1/chat/completions", handlers.chat_completions, methods=["POST"]),
        Route("/v1/completions", handlers.completions, methods=["POST"]),
        Route("/v1/responses", handlers.responses, methods=["POST"]),
        Route("/v1/messages", handlers.messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", handlers.count_tokens, methods=["POST"]),
        Route("/v1/embeddings", handlers.embeddings, methods=["POST"]),
        Route("/v1/models", handlers.list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", handlers.get_model, methods=["GET"]),
        Route("/health", handlers.health, methods=["GET"]),
    ]
    handlers_by_type: Mapping[Any, Any] = {
        HttpError: _http_error,
        ChiLlmError: _chi_error,
        HTTPException: _starlette_error,
    }
    app = Starlette(routes=routes, exception_handlers=dict(handlers_by_type))
    app.state.chi = state
    app.add_middleware(ServerMiddleware, state=state)
    if state.options.allow_origins:  # outermost: a browser's preflight carries no API key
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(state.options.allow_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=[
                *("Authorization", "Content-Type", "X-Api-Key", "X-Request-Id"),
                *("Anthropic-Version", "Anthropic-Beta", "Anthropic-Dangerous-Direct-Browser-Access"),
            ],
            expose_headers=[
                *("X-Request-Id", "X-Chi-Llm-Provider", "X-Chi-Llm-Fallback", "Retry-After"),
                "X-Chi-Llm-Token-Count",
            ],
        )
    return app
