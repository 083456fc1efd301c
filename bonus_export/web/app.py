"""The approvals page's app factory: the shared `Page`, sessions, error pages, and the routers.

Sign-in with Superset's accounts; who decides on whom is bonus_export.duties' rule, Finance exports. Every POST
carries a CSRF token bound to the session cookie; without a valid one it is refused (403).
The routes live in bonus_export/web/routes/ (health, login, approvals).
"""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.middleware.sessions import SessionMiddleware

import warehouse
from bonus_export import duties
from bonus_export.accounts import AccountsUnavailable
from bonus_export.migrate import migrate
from bonus_export.settings import Settings
from bonus_export.web.page import Page, PageError, page
from bonus_export.web.routes import approvals, health, login


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> FastAPI:
    settings = settings or Settings()
    secret = settings.secret_key or secrets.token_urlsafe(32)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if run_migrations:
            migrate(settings.warehouse_url)
        if settings.team_managers_file:
            with warehouse.connect(settings.warehouse_url, autocommit=True) as conn:
                duties.load_team_managers(conn, settings.team_managers_file)
        yield

    app = FastAPI(title="Bonus approvals", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.page = Page(settings, secret)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="approvals_session",
                       same_site="lax", https_only=False, max_age=12 * 3600)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return page(request).error(request, exc.status, exc.message)

    @app.exception_handler(AccountsUnavailable)
    async def _accounts_error(request: Request, exc: AccountsUnavailable) -> Response:
        return page(request).error(request, 503, str(exc))

    @app.exception_handler(psycopg.errors.UndefinedTable)
    async def _no_table(request: Request, exc: psycopg.errors.UndefinedTable) -> Response:
        return page(request).error(request, 503, "Витрины премий ещё не построены (запустите конвейер): "
                                                 f"{exc.diag.message_primary or exc}")

    for module in (health, login, approvals):
        app.include_router(module.router)
    return app
