"""Routes of the approvals page.

Sign-in with Superset's accounts; Manager and Admin decide, Finance may look. Every POST
carries a CSRF token bound to the session cookie; without a valid one it is refused (403).
`/?period=YYYY-MM&personnel_no=...` opens one engineer's bonus (the bonus dashboard links here).
"""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

import warehouse
from bonus_export import approvals
from bonus_export.accounts import Account, Accounts, AccountsUnavailable
from bonus_export.csvfile import money
from bonus_export.migrate import migrate
from bonus_export.periods import BadPeriod, format_period, parse_period
from bonus_export.settings import Settings
from bonus_export.web.csrf import Csrf

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS_LABELS = {
    "pending": "ожидает решения",
    "approved": "утверждено",
    "rejected": "отклонено",
    "stale": "устарело: расчёт изменился",
}


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> FastAPI:
    settings = settings or Settings()
    secret = settings.secret_key or secrets.token_urlsafe(32)
    csrf = Csrf(secret)
    accounts = Accounts(settings.superset_database_uri)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["money"] = lambda v: "" if v is None else money(v)
    templates.env.filters["period"] = format_period
    templates.env.filters["local"] = lambda dt: "" if dt is None else dt.astimezone(settings.zone).strftime(
        "%Y-%m-%d %H:%M")
    templates.env.globals["status_labels"] = STATUS_LABELS

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if run_migrations:
            migrate(settings.warehouse_url)
        yield

    app = FastAPI(title="Bonus approvals", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="approvals_session",
                       same_site="lax", https_only=False, max_age=12 * 3600)

    # ---------------------------------------------------------------- helpers
    def session_id(request: Request) -> str:
        sid = request.session.get("sid")
        if not sid:
            sid = Csrf.new_session_id()
            request.session["sid"] = sid
        return sid

    def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        user = context.pop("user", None)
        flash = request.session.pop("flash", None)
        return templates.TemplateResponse(
            request, name,
            {"user": user, "csrf_token": csrf.token(session_id(request)), "flash": flash, **context},
            status_code=status,
        )

    def error_page(request: Request, status: int, message: str, user: Account | None = None) -> HTMLResponse:
        return render(request, "error.html", status=status, user=user, message=message)

    def signed_in(request: Request) -> Account | None:
        username = request.session.get("user")
        if not username:
            return None
        return accounts.current(username)

    def require_csrf(request: Request, token: str | None) -> None:
        if not csrf.valid(token, request.session.get("sid")):
            raise PageError(403, "Запрос отклонён: нет действительного CSRF-токена формы "
                                 "(обновите страницу и повторите). CSRF token missing or invalid.")

    def connection() -> psycopg.Connection:
        return warehouse.connect(settings.warehouse_url, autocommit=True)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return error_page(request, exc.status, exc.message)

    @app.exception_handler(AccountsUnavailable)
    async def _accounts_error(request: Request, exc: AccountsUnavailable) -> Response:
        return error_page(request, 503, str(exc))

    @app.exception_handler(psycopg.errors.UndefinedTable)
    async def _no_table(request: Request, exc: psycopg.errors.UndefinedTable) -> Response:
        return error_page(request, 503, "Витрины премий ещё не построены (запустите конвейер): "
                                        f"{exc.diag.message_primary or exc}")

    # ---------------------------------------------------------------- routes
    @app.get("/health")
    def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return render(request, "login.html", next=_safe_next(next), error=None)

    @app.post("/login")
    def login(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        csrf_token: str | None = Form(None),
        next: str = Form("/"),
    ) -> Response:
        require_csrf(request, csrf_token)
        account = accounts.authenticate(username.strip(), password)
        if account is None:
            return render(request, "login.html", status=401, next=_safe_next(next),
                          error="Неверный логин или пароль")
        request.session.clear()
        request.session["sid"] = Csrf.new_session_id()  # a new session id after sign-in
        request.session["user"] = account.username
        return RedirectResponse(_safe_next(next), status_code=303)

    @app.post("/logout")
    def logout(request: Request, csrf_token: str | None = Form(None)) -> Response:
        require_csrf(request, csrf_token)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, period: str | None = None, personnel_no: str | None = None) -> Response:
        user = signed_in(request)
        if user is None:
            return RedirectResponse("/login?" + urlencode({"next": str(request.url.path) + (
                "?" + request.url.query if request.url.query else "")}), status_code=303)
        if not user.may_view:
            return error_page(request, 403, "Страница согласования премий доступна ролям Manager, Admin "
                                            "и Finance. Your role cannot view approvals.", user=user)
        with connection() as conn:
            all_periods = approvals.periods(conn)
            if period:
                try:
                    period_start: date | None = parse_period(period)
                except BadPeriod as exc:
                    return error_page(request, 400, str(exc), user=user)
            else:
                period_start = all_periods[0] if all_periods else None
            rows = approvals.bonus_rows(conn, period_start) if period_start else []
            selected = None
            lines: list[approvals.BonusLine] = []
            history: list[approvals.LogEntry] = []
            if period_start and personnel_no:
                selected = next((r for r in rows if r.personnel_no == personnel_no), None)
                if selected is None:
                    return error_page(request, 404, f"Нет премии табельного номера {personnel_no} "
                                                    f"за {format_period(period_start)}", user=user)
                lines = approvals.bonus_lines(conn, period_start, personnel_no)
                history = approvals.decision_log(conn, period_start, personnel_no)
        return render(request, "index.html", user=user, periods=all_periods, period_start=period_start,
                      rows=rows, selected=selected, lines=lines, history=history)

    @app.post("/decide")
    def decide(
        request: Request,
        csrf_token: str | None = Form(None),
        period: str = Form(""),
        personnel_no: str = Form(""),
        calc_hash: str = Form(""),
        decision: str = Form(""),
        comment: str = Form(""),
    ) -> Response:
        require_csrf(request, csrf_token)
        user = signed_in(request)
        if user is None:
            raise PageError(401, "Войдите, чтобы принимать решения. Sign in first.")
        if not user.may_decide:
            return error_page(request, 403, "Решения о премиях принимают только роли Manager и Admin. "
                                            "Only Manager or Admin may decide.", user=user)
        try:
            period_start = parse_period(period)
        except BadPeriod as exc:
            return error_page(request, 400, str(exc), user=user)
        verdict = {"approve": "approved", "reject": "rejected"}.get(decision)
        if verdict is None:
            return error_page(request, 400, f"decision must be approve or reject, got {decision!r}", user=user)
        with connection() as conn:
            try:
                approvals.decide(conn, period_start=period_start, personnel_no=personnel_no.strip(),
                                 decision=verdict, seen_calc_hash=calc_hash, decided_by=user.username,
                                 comment=comment)
            except approvals.DecisionRefused as exc:
                return error_page(request, exc.status, str(exc), user=user)
        request.session["flash"] = (
            f"{'Утверждено' if verdict == 'approved' else 'Отклонено'}: {personnel_no} за {period}"
        )
        return RedirectResponse("/?" + urlencode({"period": period, "personnel_no": personnel_no}),
                                status_code=303)

    return app
