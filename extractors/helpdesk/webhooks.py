"""The help desk's webhook receiver: Okdesk POSTs an event on every change, this stores it.

    python -m extractors.helpdesk.webhooks [--host H] [--port P]     (make webhook-receiver)

`POST /webhooks/okdesk?token=<HELPDESK_WEBHOOK_TOKEN>` (or the token in an `X-Webhook-Token`
header): the body is stored in raw_helpdesk.webhook_events under its derived key
(extractors/helpdesk/webhook_events.py); a delivery already stored answers 200 and stores
nothing. A missing or wrong token: 403. A body that is no event: 422. The warehouse
unreachable: 503, so the sender delivers again later. docs/okdesk.md says how to point Okdesk here.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from extractors.helpdesk.webhook_events import INSERT, BadEvent, parse_event
from warehouse import libpq_url, warehouse_url
from warehouse.settings import UnsafeSetting, check_startup, setting

log = logging.getLogger("extractors.helpdesk.webhooks")
PATH = "/webhooks/okdesk"
TOKEN_HEADER = "X-Webhook-Token"


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPDESK_WEBHOOK_", extra="ignore")

    host: str = Field("127.0.0.1", description="address to listen on (0.0.0.0 behind a TLS proxy for a real account)")
    port: int = Field(8095, ge=1, le=65535, description="port to listen on")


def webhook_token() -> SecretStr:
    """HELPDESK_WEBHOOK_TOKEN (demo: a fixed demo token; production: it must be set)."""
    return SecretStr(setting("HELPDESK_WEBHOOK_TOKEN"))


def _answer(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)


class _Store:
    """One autocommit connection for the receiver (an insert per event; one at a time keeps it
    simple and is far above the rate a help desk sends at), reopened after a failure."""

    def __init__(self, db_url: str) -> None:
        self.db_url = libpq_url(db_url)
        self.conn: psycopg.AsyncConnection | None = None
        self.lock = asyncio.Lock()

    async def insert(self, row: tuple[Any, ...]) -> bool:
        async with self.lock:
            if self.conn is None or self.conn.closed:
                self.conn = await psycopg.AsyncConnection.connect(self.db_url, autocommit=True)
            try:
                cur = await self.conn.execute(INSERT, row)
            except psycopg.OperationalError:
                await self.conn.close()
                self.conn = None
                raise
            return cur.rowcount == 1

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


def create_app(token: str | SecretStr | None = None, db_url: str | None = None) -> FastAPI:
    secret = (token if isinstance(token, SecretStr) else SecretStr(token) if token else webhook_token())
    expected = secret.get_secret_value().encode()
    if not expected:
        raise ValueError("HELPDESK_WEBHOOK_TOKEN is empty: the receiver never runs without a token")
    url = db_url or warehouse_url()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from extractors.run import ensure_schema  # the raw tables, the webhook events among them

        await asyncio.to_thread(ensure_schema, url)
        yield
        await store.close()

    store = _Store(url)
    app = FastAPI(title="Help-desk webhook receiver", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)

    @app.get("/health")
    async def health() -> JSONResponse:
        return _answer(200, {"status": "ok"})

    @app.post(PATH)
    async def receive(request: Request) -> JSONResponse:
        given = (request.query_params.get("token") or request.headers.get(TOKEN_HEADER) or "").encode()
        if not hmac.compare_digest(given, expected):
            return _answer(403, {"error": "missing or wrong token"})
        try:
            event = parse_event(orjson.loads(await request.body()))
        except orjson.JSONDecodeError:
            return _answer(422, {"error": "the body is not JSON"})
        except BadEvent as exc:
            return _answer(422, {"error": str(exc)})
        try:
            stored = await store.insert(event.row())
        except psycopg.OperationalError as exc:
            log.warning("webhook event %s not stored: %s", event.key, exc)
            return _answer(503, {"error": "the warehouse is unavailable; deliver again later"})
        return _answer(200, {"event_key": event.key, "stored": stored})

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    try:
        check_startup("the webhook receiver", required=["HELPDESK_WEBHOOK_TOKEN", "WAREHOUSE_URL"])
    except UnsafeSetting as exc:
        raise SystemExit(str(exc)) from None
    settings = WebhookSettings()
    parser = argparse.ArgumentParser(prog="python -m extractors.helpdesk.webhooks", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
