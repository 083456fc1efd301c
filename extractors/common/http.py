"""HTTP with retries: exponential backoff with jitter on 429/5xx/timeouts, honouring Retry-After.

`SourceHttp.get_json` is the one way the extractors talk HTTP. When retries run out it raises
`SourceError` naming the source, the URL with its secrets stripped, and the last status.

The client is httpx (its API, redirects, auth, proxies from the environment, and the transports
tests inject); the wire under it is aiohttp (`httpx_aiohttp`): its C parser and connection pool
cost about half of httpx's own h11/httpcore stack per request, which is most of the client's
CPU on the hot path (docs/extractors.md "HTTP client" has the figures). `EXTRACT_HTTP_CLIENT=httpx`
puts httpx's own transport back.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp
import httpx
import orjson
import stamina
from aiolimiter import AsyncLimiter
from httpx_aiohttp import AiohttpTransport

from extractors.common.settings import RetrySettings

# Idle keep-alive connections are dropped before the server drops them: uvicorn closes them
# after 5 s, and a request sent on a connection the server is closing fails (then is retried
# with a backoff wait). aiohttp's own default is 15 s.
KEEPALIVE_S = 4.0


class _Aiohttp(AiohttpTransport):
    """httpx_aiohttp's transport, with the aiohttp errors it leaves unmapped (a malformed status
    line or header: `ClientResponseError`) raised as httpx's `RemoteProtocolError`, so that
    `SourceHttp` retries them like every other transport failure; a connection the server
    dropped unanswered is a protocol error too (httpx_aiohttp calls it `ConnectTimeout`, which
    would send whoever reads the give-up error looking at the network)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.ConnectTimeout as exc:
            if isinstance(exc.__cause__, aiohttp.ServerDisconnectedError):
                raise httpx.RemoteProtocolError(f"ServerDisconnectedError: {exc}", request=request) from exc
            raise
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc


def make_transport(retry: RetrySettings) -> httpx.AsyncBaseTransport:
    """The pool under a source's client: `concurrency` connections, all kept alive while busy
    (a source's requests go to one host), dropped after `KEEPALIVE_S` idle; HTTP/1.1."""
    limits = httpx.Limits(max_connections=retry.concurrency, max_keepalive_connections=retry.concurrency,
                          keepalive_expiry=KEEPALIVE_S)
    if retry.http_client == "httpx":
        return httpx.AsyncHTTPTransport(limits=limits)
    return _Aiohttp(limits=limits)


SECRET_PARAMS = {"api_token", "token", "password", "access_token", "apikey", "api_key"}


class SourceError(RuntimeError):
    """A source could not be read (after retries, or with a non-retryable answer)."""

    def __init__(self, source: str, url: str, message: str, status: int | None = None):
        self.source = source
        self.url = redact(url)
        self.status = status
        where = f"{source}: GET {self.url}"
        super().__init__(f"{where}: {message}" + (f" (HTTP {status})" if status else ""))


class RetryableStatus(Exception):
    def __init__(self, status: int, retry_after: float | None, body: str):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after
        self.body = body


class BadBody(Exception):
    """A 2xx answer whose body is not the JSON it should be (truncated, garbage)."""


def redact(url: str | httpx.URL) -> str:
    """The URL without credentials: user:password and token-like query parameters removed."""
    parts = urlsplit(str(url))
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    query = urlencode(
        [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


class SourceHttp:
    """An async httpx client for one source with bounded concurrency, rate limit and retries.
    `transport` replaces the wire (tests: `httpx.MockTransport`, fault injection)."""

    def __init__(
        self,
        source: str,
        base_url: str,
        retry: RetrySettings | None = None,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.source = source
        self.retry = retry or RetrySettings()
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            params=dict(params or {}),
            headers=dict(headers or {}),
            auth=auth,
            timeout=httpx.Timeout(self.retry.http_timeout_s),
            transport=transport or make_transport(self.retry),
            follow_redirects=True,
        )
        self.limiter = AsyncLimiter(self.retry.max_rps, 1) if self.retry.max_rps > 0 else None
        self.requests = 0
        self.retries = 0

    async def __aenter__(self) -> SourceHttp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    def _backoff(self, exc: Exception) -> bool | float:
        if isinstance(exc, RetryableStatus):
            if exc.retry_after is not None:
                return min(exc.retry_after, self.retry.max_retry_after_s)
            return True
        return isinstance(exc, httpx.TimeoutException | httpx.TransportError | BadBody)

    async def get_bytes(self, path: str, params: Mapping[str, Any] | None = None) -> bytes:
        return await self._get(path, params, parse=False)

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self._get(path, params, parse=True)

    def _url(self, path: str, params: Mapping[str, Any] | None) -> str:
        return str(self.client.build_request("GET", path, params=params).url)

    async def _get(self, path: str, params: Mapping[str, Any] | None, *, parse: bool) -> Any:
        attempt_no = 0
        started = time.monotonic()
        try:
            async for attempt in stamina.retry_context(
                on=self._backoff,
                attempts=self.retry.attempts,
                timeout=self.retry.total_timeout_s,
                wait_initial=self.retry.wait_initial_s,
                wait_max=self.retry.wait_max_s,
                wait_jitter=self.retry.wait_jitter_s,
            ):
                with attempt:
                    attempt_no += 1
                    if attempt_no > 1:
                        self.retries += 1
                    return await self._once(path, params, parse=parse)
        except RetryableStatus as exc:
            raise SourceError(
                self.source, self._url(path, params),
                f"gave up after {attempt_no} attempts in {time.monotonic() - started:.1f}s: {_short(exc.body)}",
                exc.status,
            ) from exc
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise SourceError(
                self.source, self._url(path, params),
                f"gave up after {attempt_no} attempts: {type(exc).__name__}: {exc}",
            ) from exc
        except BadBody as exc:
            raise SourceError(self.source, self._url(path, params), f"gave up after {attempt_no} attempts: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def fetch(self, path: str, params: Mapping[str, Any] | None = None,
                    headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One GET, its body read up to EXTRACT_MAX_RESPONSE_MB (decompressed bytes count, so a
        small gzip body that inflates without end stops too); 429/5xx raise RetryableStatus."""
        limit = int(self.retry.max_response_mb * 1024 * 1024)
        async with self.client.stream("GET", path, params=params, headers=dict(headers or {})) as resp:
            declared = resp.headers.get("content-length", "")
            if limit and declared.isdigit() and int(declared) > limit:
                self._too_large(resp, f"{int(declared) / 1024 / 1024:.0f} MB announced")
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if limit and size > limit:
                    self._too_large(resp, "more read")
                chunks.append(chunk)
        body = b"".join(chunks)
        kept = [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in ("content-encoding", "content-length")]
        resp = httpx.Response(resp.status_code, headers=kept, content=body, request=resp.request)
        if resp.status_code == 429 or resp.status_code >= 500:
            raise RetryableStatus(resp.status_code, parse_retry_after(resp.headers.get("retry-after")), resp.text)
        return resp

    def _too_large(self, resp: httpx.Response, seen: str) -> None:
        raise SourceError(
            self.source, redact(resp.request.url),
            f"the answer is larger than EXTRACT_MAX_RESPONSE_MB={self.retry.max_response_mb:g} MB ({seen}):"
            " not read; raise the setting if the source really sends that much", resp.status_code)

    async def _once(self, path: str, params: Mapping[str, Any] | None, *, parse: bool) -> Any:
        if self.limiter is not None:
            await self.limiter.acquire()
        self.requests += 1
        resp = await self.fetch(path, params)
        if resp.status_code >= 400:
            raise SourceError(self.source, str(resp.request.url), f"refused: {_short(resp.text)}", resp.status_code)
        if not parse:
            return resp.content
        try:
            return orjson.loads(resp.content)
        except orjson.JSONDecodeError as exc:
            raise BadBody(f"the answer is not JSON ({exc}): {_short(resp.text, 120)}") from exc
