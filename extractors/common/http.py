"""HTTP with retries: exponential backoff with jitter on 429/5xx/timeouts, honouring Retry-After.

`SourceHttp.get_json` is the one way the extractors talk HTTP. When retries run out it raises
`SourceError` naming the source, the URL with its secrets stripped, and the last status.
"""

from __future__ import annotations

import contextlib
import email.utils
import importlib.util
import os
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import orjson
import stamina
from aiolimiter import AsyncLimiter

from extractors.common.fasthttp import FastHttpClient, FastResponse
from extractors.common.settings import RetrySettings

# httpcore asks `import sniffio` on every request to tell asyncio from trio; without sniffio
# installed each failed import searches sys.path (~0.3 ms of CPU per request, a tenth of the
# extractor's time on the large world). Marking it absent makes the failure immediate; httpcore
# then assumes asyncio, which is what the extractors run on.
if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

REDIRECTS = (301, 302, 303, 307, 308)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def _proxy_configured() -> bool:
    return any(os.environ.get(v) for v in PROXY_VARIABLES)


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
    """An async httpx client for one source with bounded concurrency, rate limit and retries."""

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
            limits=httpx.Limits(max_connections=self.retry.concurrency, max_keepalive_connections=self.retry.concurrency),
            transport=transport,
            follow_redirects=True,
        )
        # the hot path: a lean client for plain setups, httpx for everything else (see fasthttp.py)
        self.fast: FastHttpClient | None = None
        if (transport is None and not isinstance(auth, httpx.Auth) and self.retry.http_client == "fast"
                and not _proxy_configured() and base_url.startswith(("http://", "https://"))):
            self.fast = FastHttpClient(
                base_url, params=params, headers=headers, auth=auth,  # type: ignore[arg-type]
                timeout_s=self.retry.http_timeout_s, max_connections=self.retry.concurrency,
            )
        self.limiter = AsyncLimiter(self.retry.max_rps, 1) if self.retry.max_rps > 0 else None
        self.requests = 0
        self.retries = 0

    async def __aenter__(self) -> SourceHttp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.fast is not None:
            await self.fast.aclose()
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
        if self.fast is not None:
            return self.fast.url(path, params)
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

    async def _once(self, path: str, params: Mapping[str, Any] | None, *, parse: bool) -> Any:
        if self.limiter is not None:
            await self.limiter.acquire()
        self.requests += 1
        resp: httpx.Response | FastResponse
        if self.fast is not None:
            resp = await self.fast.get(path, params)
            if resp.status_code in REDIRECTS:  # rare: let httpx follow it
                resp = await self.client.get(path, params=params)
        else:
            resp = await self.client.get(path, params=params)
        if resp.status_code == 429 or resp.status_code >= 500:
            raise RetryableStatus(resp.status_code, parse_retry_after(resp.headers.get("retry-after")), resp.text)
        if resp.status_code >= 400:
            url = resp.url if isinstance(resp, FastResponse) else str(resp.request.url)
            raise SourceError(self.source, url, f"refused: {_short(resp.text)}", resp.status_code)
        if not parse:
            return resp.content
        try:
            return orjson.loads(resp.content)
        except orjson.JSONDecodeError as exc:
            raise BadBody(f"the answer is not JSON ({exc}): {_short(resp.text, 120)}") from exc
