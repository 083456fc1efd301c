"""A steady request-rate limit on the help desk, as an Okdesk account has one: each client (its
``api_token``) may make ``SIM_HELPDESK_RATE_LIMIT`` requests a second, in bursts of at most one
second's worth (a token bucket); a request over it is answered 429 with ``Retry-After`` (whole
seconds until the next request would pass) and does not count against the budget. 0 = no limit
(the default: the demo and most tests are unthrottled).

Unlike the ``rate_limit`` fault (a share of requests refused at random), this one depends on
how fast a client asks, so it is what a client's own pacing (HELPDESK_MAX_RPS) is tested
against. ``GET /_sim/rate_limit`` shows the rate and the requests refused (per path template,
as the request counter keys them); ``POST /_sim/rate_limit {"rate": n}`` changes the rate."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import error_for_path, json_response
from .middleware import _template

PREFIX = "/helpdesk/"
router = APIRouter(prefix="/_sim")


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    rate: float = 0.0
    refused: Counter[str] = field(default_factory=Counter)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def capacity(self) -> float:
        return max(1.0, self.rate)

    def set_rate(self, rate: float) -> None:
        with self._lock:
            self.rate = rate
            self._buckets.clear()
            self.refused.clear()

    def take(self, client: str, key: str) -> float | None:
        """None if the client may make this request now, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            if self.rate <= 0:
                return None
            bucket = self._buckets.get(client)
            if bucket is None:
                bucket = self._buckets[client] = _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            self.refused[key] += 1
            return (1 - bucket.tokens) / self.rate


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimiter = scope["app"].state.rate_limiter
        if scope["type"] != "http" or limiter.rate <= 0 or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        client = Request(scope).query_params.get("api_token") or ""
        wait = limiter.take(client, f"{scope['method']} {_template(scope)}")
        if wait is None:
            await self.app(scope, receive, send)
            return
        exc = error_for_path(scope["path"], 429, f"too many requests: at most {limiter.rate:g} a second",
                             "rate_limited", {"Retry-After": str(max(1, math.ceil(wait)))})
        await json_response(exc.body(), exc.status, exc.headers)(scope, receive, send)


class RateChange(BaseModel):
    rate: float = Field(ge=0, description="requests per second per client; 0 = no limit")


def _state(limiter: RateLimiter) -> dict[str, object]:
    refused = dict(sorted(limiter.refused.items()))
    return {"rate": limiter.rate, "refused": refused, "refused_total": sum(refused.values())}


@router.get("/rate_limit")
def get_rate_limit(request: Request) -> Response:
    return json_response(_state(request.app.state.rate_limiter))


@router.post("/rate_limit")
async def set_rate_limit(request: Request) -> Response:
    """A new rate (and the refusal counts reset)."""
    try:
        change = RateChange.model_validate_json(await request.body())
    except ValidationError as exc:
        return json_response({"error": exc.errors(include_url=False, include_context=False)}, 422)
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.set_rate(change.rate)
    return json_response(_state(limiter))
