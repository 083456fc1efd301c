"""Plain ASGI middlewares in front of the sources: error faults on every JSON source (help desk,
schedule JSON, 1C), so that pages that are not faulted pass through untouched; and the request
counter (GET /_sim/requests)."""

from __future__ import annotations

import asyncio
import email.utils
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .context import SimContext, request_key
from .errors import error_for_path, json_response
from .faults import FaultConfig, unit

JSON_PREFIXES = ("/helpdesk/", "/schedule/api/v1/shifts", "/onec/")


class FaultMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(JSON_PREFIXES):
            await self.app(scope, receive, send)
            return
        c: SimContext = scope["app"].state.sim
        if not c.faults.config.modes:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key = request_key(request)
        mode = c.faults.error_fault(key)
        cfg = c.faults.config
        path = scope["path"]
        if mode in ("rate_limit", "server_error"):
            if mode == "rate_limit":
                exc = error_for_path(path, 429, "too many requests, retry later", "rate_limited",
                                     {"Retry-After": retry_after_value(cfg)})
            else:
                status = (500, 502, 503)[int(unit(cfg.seed, "status", key) * 3)]
                exc = error_for_path(path, status, "internal error (simulated)", "server_error")
            await json_response(exc.body(), exc.status, exc.headers)(scope, receive, send)
            return
        if mode == "slow":
            await asyncio.sleep(cfg.slow_seconds)
        if mode != "garbled":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        if start.get("status") == 200:
            body = body[: max(1, len(body) // 2)]  # cut mid-record: not parseable JSON
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start.get("status", 500), "headers": headers})
        await send({"type": "http.response.body", "body": body})


class RequestCountMiddleware:
    """Counts every source request (faulted ones too) under its route's path template; a
    catch-all route (``{rest:path}``) counts the path itself, so a call of a method the
    source does not have is visible by name."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_sim/"):
            c: SimContext = scope["app"].state.sim
            c.requests.add(f"{scope['method']} {_template(scope)}")
        await self.app(scope, receive, send)


def _template(scope: Scope) -> str:
    for route in scope["app"].state.source_routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            path = getattr(route, "path", scope["path"])
            return scope["path"] if ":path}" in path else path
    return scope["path"]


def retry_after_value(cfg: FaultConfig) -> str:
    """Retry-After in seconds, or as the HTTP date that many seconds from now (both RFC 9110)."""
    if cfg.retry_after_date:
        when = datetime.now(UTC) + timedelta(seconds=cfg.retry_after)
        return email.utils.format_datetime(when, usegmt=True)
    return str(cfg.retry_after)
