"""Error faults applied in front of every JSON source (help desk, schedule JSON, 1C)."""

from __future__ import annotations

import asyncio

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from .context import SimContext, request_key
from .errors import error_for_path, json_response
from .faults import unit

JSON_PREFIXES = ("/helpdesk/", "/schedule/api/v1/shifts", "/onec/")


class FaultMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if not path.startswith(JSON_PREFIXES):
            return await call_next(request)
        c: SimContext = request.app.state.sim
        key = request_key(request)
        mode = c.faults.error_fault(key)
        cfg = c.faults.config
        if mode == "rate_limit":
            exc = error_for_path(path, 429, "too many requests, retry later", "rate_limited",
                                 {"Retry-After": str(cfg.retry_after)})
            return json_response(exc.body(), exc.status, exc.headers)
        if mode == "server_error":
            status = (500, 502, 503)[int(unit(cfg.seed, "status", key) * 3)]
            exc = error_for_path(path, status, "internal error (simulated)", "server_error")
            return json_response(exc.body(), exc.status, exc.headers)
        if mode == "slow":
            await asyncio.sleep(cfg.slow_seconds)
            return await call_next(request)
        response = await call_next(request)
        if mode == "garbled" and response.status_code == 200:
            body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
            cut = body[: max(1, len(body) // 2)]
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
            return Response(cut, status_code=200, headers=headers)
        return response
