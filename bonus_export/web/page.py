"""What every route of the approvals page shares: templates, the signed-in account, CSRF, the warehouse.

`create_app` builds one `Page` and keeps it on `app.state`; a route reaches it with `page(request)`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

import warehouse
from bonus_export.accounts import Account, Accounts
from bonus_export.csvfile import money
from bonus_export.periods import format_period
from bonus_export.settings import Settings
from bonus_export.web.csrf import Csrf

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS_LABELS = {
    "pending": "ожидает решения",
    "approved": "утверждено",
    "rejected": "отклонено",
    "stale": "устарело: расчёт изменился",
}
CHANGE_LABELS = {"added": "добавлена", "removed": "убрана", "changed": "изменена", "same": "без изменений"}


def rub(amount: Decimal | None) -> str:
    """Money as people read it here: `4 468,75 ₽`, `−937,50 ₽` (a space between thousands)."""
    if amount is None:
        return ""
    text = f"{abs(Decimal(amount)):,.2f}".replace(",", " ").replace(".", ",")
    return f"{'−' if amount < 0 else ''}{text} ₽"


def ru_date(day: date | datetime | None) -> str:
    return "" if day is None else day.strftime("%d.%m.%Y")


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def safe_next(target: str | None) -> str:
    """Only a path on this site: a sign-in link must not send the user elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


class Page:
    def __init__(self, settings: Settings, secret: str) -> None:
        self.settings = settings
        self.csrf = Csrf(secret)
        self.accounts = Accounts(settings.superset_database_uri)
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.filters["money"] = lambda v: "" if v is None else money(v)
        self.templates.env.filters["rub"] = rub
        self.templates.env.filters["period"] = format_period
        self.templates.env.filters["local"] = lambda dt: "" if dt is None else dt.astimezone(
            settings.zone).strftime("%d.%m.%Y %H:%M")
        self.templates.env.globals["status_labels"] = STATUS_LABELS
        self.templates.env.globals["change_labels"] = CHANGE_LABELS

    def session_id(self, request: Request) -> str:
        sid = request.session.get("sid")
        if not sid:
            sid = Csrf.new_session_id()
            request.session["sid"] = sid
        return sid

    def render(self, request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        user = context.pop("user", None)
        flash = request.session.pop("flash", None)
        return self.templates.TemplateResponse(
            request, name,
            {"user": user, "csrf_token": self.csrf.token(self.session_id(request)), "flash": flash, **context},
            status_code=status,
        )

    def error(self, request: Request, status: int, message: str, user: Account | None = None) -> HTMLResponse:
        return self.render(request, "error.html", status=status, user=user, message=message)

    def signed_in(self, request: Request) -> Account | None:
        username = request.session.get("user")
        if not username:
            return None
        return self.accounts.current(username)

    def require_csrf(self, request: Request, token: str | None) -> None:
        if not self.csrf.valid(token, request.session.get("sid")):
            raise PageError(403, "Запрос отклонён: нет действительного CSRF-токена формы "
                                 "(обновите страницу и повторите). CSRF token missing or invalid.")

    def connection(self) -> psycopg.Connection:
        return warehouse.connect(self.settings.warehouse_url, autocommit=True)


def page(request: Request) -> Page:
    return request.app.state.page
