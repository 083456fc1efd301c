"""Run the real webhook receiver on a free port in a thread (for tests), optionally behind a fault:
an answer lost after the event was stored, as a dropped connection or a proxy's 502 would."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from extractors.helpdesk.webhooks import PATH, create_app
from tools.simulator_server import free_port


class LostAnswers:
    """ASGI wrapper: the receiver handles every request; for the requests `lose(n)` picks (n counts
    POSTs from 1) the client gets a 502 instead of the receiver's answer."""

    def __init__(self, app: Any, lose: Callable[[int], bool]) -> None:
        self.app, self.lose, self.posts, self.lost = app, lose, 0, 0

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        self.posts += 1
        if not self.lose(self.posts):
            await self.app(scope, receive, send)
            return

        async def swallow(message: dict) -> None:
            return None

        await self.app(scope, receive, swallow)
        self.lost += 1
        await send({"type": "http.response.start", "status": 502, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"bad gateway"})


@contextmanager
def running_receiver(db_url: str, token: str, lose: Callable[[int], bool] | None = None
                     ) -> Iterator[tuple[str, LostAnswers | None]]:
    """Yield (the webhook URL without the token, the fault wrapper if any)."""
    port = free_port()
    app: Any = create_app(token=token, db_url=db_url)
    wrapper = LostAnswers(app, lose) if lose else None
    server = uvicorn.Server(uvicorn.Config(wrapper or app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("the webhook receiver did not start")
        time.sleep(0.05)
    try:
        yield f"{base}{PATH}", wrapper
    finally:
        server.should_exit = True
        thread.join(timeout=10)
