"""A lean HTTP/1.1 GET client on asyncio streams: the extractors' hot path.

httpx spends ~1.2 ms of CPU per request on this machine (URL models, h11's pure-Python state
machine, anyio wrappers) against ~0.1 ms here; the large world takes ~100k page requests of
50-100 rows each, so that difference alone is minutes of the one core the extractor has.

Scope, deliberately small: GET only, keep-alive connections (at most `max_connections`),
`Content-Length` or chunked bodies, `Connection: close`, http and https. Failures surface as
the httpx exceptions `SourceHttp` already retries on (`httpx.ConnectError`, `ReadTimeout`,
`RemoteProtocolError`), so retries, Retry-After and the give-up errors are unchanged.
`SourceHttp` falls back to httpx for anything else: an injected transport (tests), a proxy in the
environment, an `httpx.Auth` object, redirects.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

_QUERY_SAFE = "$'(),:/@!*;"  # like httpx: OData's `$top` and friends stay readable
MAX_HEADER_BYTES = 65536
IDLE_KEEP_S = 4.0  # servers close idle keep-alive connections (uvicorn after 5 s)


@dataclass
class FastResponse:
    status_code: int
    headers: dict[str, str]  # lower-case names
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.used = False
        self.idle_since = 0.0

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class FastHttpClient:
    """GET `base_url + path?params` with default query params and headers, keep-alive pool."""

    def __init__(self, base_url: str, *, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None, auth: tuple[str, str] | None = None,
                 timeout_s: float = 30.0, max_connections: int = 8):
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.base_path = parts.path
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.default_params = list((params or {}).items())
        host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        head = {"Host": host_header, "Accept": "*/*", "Accept-Encoding": "identity", "User-Agent": "extractors",
                **dict(headers or {})}
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            head["Authorization"] = f"Basic {token}"
        self._head = "".join(f"{k}: {v}\r\n" for k, v in head.items())
        self.timeout_s = timeout_s
        self._idle: list[_Conn] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._ssl = ssl.create_default_context() if self.scheme == "https" else None
        self._closed = False

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        return self.origin + self.target(path, params)

    def target(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        pairs = self.default_params + [(k, v) for k, v in (params or {}).items() if v is not None]
        query = urlencode([(k, str(v)) for k, v in pairs], safe=_QUERY_SAFE, quote_via=quote)
        full = self.base_path + (path if path.startswith("/") else "/" + path)
        return full + ("?" + query if query else "")

    async def aclose(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()

    def _take_idle(self) -> _Conn | None:
        """The most recently used idle connection, dropping those idle long enough for the
        server to have closed them (uvicorn: 5 s)."""
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if now - conn.idle_since < IDLE_KEEP_S and not conn.reader.at_eof():
                return conn
            conn.close()
        return None

    async def _connect(self) -> _Conn:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port, ssl=self._ssl,
                                                           limit=MAX_HEADER_BYTES)
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        return _Conn(reader, writer)

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> FastResponse:
        target = self.target(path, params)
        request = f"GET {target} HTTP/1.1\r\n{self._head}\r\n".encode()
        async with self._slots:
            try:
                async with asyncio.timeout(self.timeout_s):
                    return await self._exchange(request, target)
            except TimeoutError as exc:
                raise httpx.ReadTimeout(f"no complete answer in {self.timeout_s}s") from exc

    async def _exchange(self, request: bytes, target: str) -> FastResponse:
        for attempt in range(2):  # a kept-alive connection the server closed meanwhile: one fresh try
            conn = self._take_idle() if attempt == 0 else None
            if conn is None:
                conn = await self._connect()
            reused = conn.used
            try:
                conn.writer.write(request)
                status, headers, body, keep = await self._read(conn.reader)
            except (httpx.RemoteProtocolError, OSError, asyncio.IncompleteReadError) as exc:
                conn.close()
                stale = (isinstance(exc, asyncio.IncompleteReadError) and not exc.partial) or isinstance(
                    exc, ConnectionResetError | BrokenPipeError)
                if reused and stale:
                    continue
                if isinstance(exc, httpx.RemoteProtocolError):
                    raise
                raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from exc
            except BaseException:
                conn.close()  # cancelled or timed out mid-answer: the connection is unusable
                raise
            conn.used = True
            if keep and not self._closed:
                conn.idle_since = time.monotonic()
                self._idle.append(conn)
            else:
                conn.close()
            return FastResponse(status, headers, body, self.origin + target)
        raise httpx.RemoteProtocolError("the server closed the connection without answering")

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes, bool]:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as exc:
            raise httpx.RemoteProtocolError("response headers too long") from exc
        lines = head.decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith("HTTP/1."):
            raise httpx.RemoteProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        try:
            status = int(status_line[1])
        except ValueError:
            raise httpx.RemoteProtocolError(f"bad status line: {lines[0][:80]!r}") from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise httpx.RemoteProtocolError(f"bad header line: {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
        keep = headers.get("connection", "").lower() != "close" and status_line[0] != "HTTP/1.0"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size_line = await reader.readuntil(b"\r\n")
                try:
                    size = int(size_line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise httpx.RemoteProtocolError("bad chunk size") from None
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                        pass
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise httpx.RemoteProtocolError("bad Content-Length") from None
            body = await reader.readexactly(length)
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:  # delimited by the end of the connection
            body = await reader.read()
            keep = False
        return status, headers, body, keep
