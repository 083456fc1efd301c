"""The HTTP client under every extractor: httpx over aiohttp's pool, as configured in common/http.py.

* against the real simulator it answers as httpx with its own transport does (both settings);
* the pool opens at most `EXTRACT_CONCURRENCY` connections and keeps them alive between requests;
* a connection the server closed while idle is not reused (no failed request, no retry);
* a malformed answer, a dropped connection and a slow answer are retried like a 5xx, and the
  give-up error still names the source, the URL without secrets, and what went wrong;
* `EXTRACT_HTTP_CLIENT`: `aiohttp` (default) or `httpx`; the obsolete `fast` still runs, on
  aiohttp, with a warning; anything else is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from httpx_aiohttp import AiohttpTransport
from pydantic import ValidationError

from extractors.common.http import KEEPALIVE_S, SourceError, SourceHttp, make_transport
from extractors.common.settings import RetrySettings

QUICK = RetrySettings(attempts=4, total_timeout_s=20, wait_initial_s=0.01, wait_max_s=0.05, wait_jitter_s=0.0,
                      http_timeout_s=5, concurrency=3)
TOKEN = {"api_token": "demo-helpdesk-token"}


# ------------------------------------------------------------------ against the simulator
@pytest.mark.parametrize("wire", ["aiohttp", "httpx"])
def test_answers_like_plain_httpx(sim: Any, wire: str) -> None:
    params = {"page[size]": 3, "page[direction]": "forward"}
    retry = QUICK.model_copy(update={"http_client": wire})

    async def go() -> tuple[bytes, bytes, httpx.Response, str]:
        async with SourceHttp("helpdesk", f"{sim.base}/helpdesk/api/v1", retry, params=TOKEN) as http:
            a = await http.get_bytes("/employees/list", params)
            b = await http.get_bytes("/employees/list", params)
        async with SourceHttp("helpdesk", f"{sim.base}/helpdesk/api/v1", retry,
                              params={"api_token": "wrong-s3cret"}) as http:
            with pytest.raises(SourceError) as denied:
                await http.get_json("/employees/list", params)
        async with httpx.AsyncClient(base_url=f"{sim.base}/helpdesk/api/v1", params=TOKEN) as client:
            ref = await client.get("/employees/list", params=params)
        return a, b, ref, str(denied.value)

    a, b, ref, denied = asyncio.run(go())
    assert ref.status_code == 200 and a == b == ref.content
    assert "HTTP 401" in denied and "refused" in denied and "wrong-s3cret" not in denied


def test_the_default_wire_is_aiohttp_with_a_bounded_keepalive_pool() -> None:
    transport = make_transport(RetrySettings(concurrency=5))
    assert isinstance(transport, AiohttpTransport)
    assert transport.limits.max_connections == transport.limits.max_keepalive_connections == 5
    # below uvicorn's 5 s: the client drops an idle connection before the server does
    assert transport.limits.keepalive_expiry == KEEPALIVE_S < 5
    assert isinstance(make_transport(RetrySettings(http_client="httpx")), httpx.AsyncHTTPTransport)


# ------------------------------------------------------------------ against a scripted server
class Script:
    """A bare HTTP/1.1 server on loopback: answers `[{"n": k}]` to the k-th request, after
    `misbehave(k, writer)` had its say (return True when it answered or dropped instead)."""

    def __init__(self, misbehave: Callable[[int, asyncio.StreamWriter], Any] | None = None):
        self.misbehave = misbehave
        self.connections = 0
        self.requests = 0
        self.base = ""
        self.close_after_answer = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.requests += 1
                k = self.requests
                if self.misbehave is not None and await self.misbehave(k, writer):
                    if writer.is_closing():
                        return
                    continue
                body = b'[{"n": %d}]' % k
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%b"
                             % (len(body), body))
                await writer.drain()
                if self.close_after_answer:  # an idle close, without `Connection: close`
                    writer.close()
                    return
        finally:
            writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Script]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        async with server:
            yield self


def test_pool_keeps_at_most_concurrency_connections_alive() -> None:
    async def slow_enough(k: int, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.01)  # so that concurrent requests really overlap
        return False

    async def go() -> tuple[int, int, int]:
        async with Script(slow_enough).running() as server, SourceHttp("s", server.base, QUICK) as http:
            await asyncio.gather(*(http.get_json("/x", {"i": i}) for i in range(30)))
            busy = server.connections
            for i in range(10):
                await http.get_json("/x", {"i": i})
            return busy, server.connections, http.retries

    busy, after, retries = asyncio.run(go())
    assert 1 <= busy <= QUICK.concurrency, busy
    assert after == busy, "sequential requests reuse the kept-alive connections"
    assert retries == 0


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def go() -> tuple[list[Any], int, int]:
        script = Script()
        script.close_after_answer = True
        async with script.running() as server, SourceHttp("s", server.base, QUICK) as http:
            answers = []
            for _ in range(5):
                answers.append(await http.get_json("/x"))
                await asyncio.sleep(0.05)  # idle: the server's close arrives meanwhile
            return answers, server.connections, http.retries

    answers, connections, retries = asyncio.run(go())
    assert answers == [[{"n": k}] for k in range(1, 6)]
    assert connections == 5 and retries == 0


@pytest.mark.parametrize("fault", ["bad status line", "bad header", "dropped", "truncated body", "slow"])
def test_transport_faults_are_retried(fault: str) -> None:
    async def misbehave(k: int, writer: asyncio.StreamWriter) -> bool:
        if k > 2:
            return False
        if fault == "slow":
            await asyncio.sleep(1.0)  # past the 0.3 s timeout below; then the normal answer
            return False
        writer.write({
            "bad status line": b"HTTP/1.1 OK-ish\r\ncontent-length: 0\r\n\r\n",
            "bad header": b"HTTP/1.1 200 OK\r\nno colon here\r\ncontent-length: 0\r\n\r\n",
            "dropped": b"",
            "truncated body": b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n[{\"n\"",
        }[fault])
        await writer.drain()
        writer.close()
        return True

    retry = QUICK.model_copy(update={"http_timeout_s": 0.3})

    async def go() -> tuple[Any, int]:
        async with Script(misbehave).running() as server, SourceHttp("s", server.base, retry) as http:
            return await http.get_json("/x"), http.retries

    data, retries = asyncio.run(go())
    assert data == [{"n": 3}], "the two faulted answers were not taken for data"
    # a request a connection dropped unanswered may be sent again by aiohttp itself, once
    assert 1 <= retries <= 2 if fault == "dropped" else retries == 2


def test_giving_up_on_transport_faults_names_what_went_wrong() -> None:
    async def drop(k: int, writer: asyncio.StreamWriter) -> bool:
        writer.close()
        return True

    async def go() -> None:
        async with Script(drop).running() as server, SourceHttp("s", server.base, QUICK,
                                                                 params={"token": "s3cret"}) as http:
            await http.get_json("/x", {"page": 1})

    with pytest.raises(SourceError) as err:
        asyncio.run(go())
    text = str(err.value)
    assert text.startswith("s: GET http://127.0.0.1:") and "/x?token=%2A%2A%2A&page=1" in text
    assert "gave up after 4 attempts: RemoteProtocolError: ServerDisconnectedError" in text and "s3cret" not in text


# ------------------------------------------------------------------ the setting
def test_http_client_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXTRACT_HTTP_CLIENT", raising=False)
    assert RetrySettings().http_client == "aiohttp"
    monkeypatch.setenv("EXTRACT_HTTP_CLIENT", "httpx")
    assert RetrySettings().http_client == "httpx"
    monkeypatch.setenv("EXTRACT_HTTP_CLIENT", "fast")
    with pytest.warns(FutureWarning, match="EXTRACT_HTTP_CLIENT=fast is obsolete"):
        assert RetrySettings().http_client == "aiohttp"
    monkeypatch.setenv("EXTRACT_HTTP_CLIENT", "curl")
    with pytest.raises(ValidationError, match="aiohttp"):
        RetrySettings()
