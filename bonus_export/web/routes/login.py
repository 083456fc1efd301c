"""Sign-in and sign-out with Superset's accounts."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bonus_export.web.csrf import Csrf
from bonus_export.web.page import page, safe_next

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return page(request).render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf_token: str | None = Form(None),
    next: str = Form("/"),
) -> Response:
    p = page(request)
    p.require_csrf(request, csrf_token)
    account = p.accounts.authenticate(username.strip(), password)
    if account is None:
        return p.render(request, "login.html", status=401, next=safe_next(next),
                        error="Неверный логин или пароль")
    request.session.clear()
    request.session["sid"] = Csrf.new_session_id()  # a new session id after sign-in
    request.session["user"] = account.username
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: str | None = Form(None)) -> Response:
    page(request).require_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
