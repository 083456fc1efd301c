"""The bonus list of a period, one engineer's bonus with its lines and log, and the decision form.

`/?period=YYYY-MM&personnel_no=...` opens one engineer's bonus (the bonus dashboard links here).
Manager and Admin decide, Finance may look.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bonus_export import approvals
from bonus_export.periods import BadPeriod, format_period, parse_period
from bonus_export.web.page import PageError, page

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def index(request: Request, period: str | None = None, personnel_no: str | None = None) -> Response:
    p = page(request)
    user = p.signed_in(request)
    if user is None:
        return RedirectResponse("/login?" + urlencode({"next": str(request.url.path) + (
            "?" + request.url.query if request.url.query else "")}), status_code=303)
    if not user.may_view:
        return p.error(request, 403, "Страница согласования премий доступна ролям Manager, Admin "
                                     "и Finance. Your role cannot view approvals.", user=user)
    with p.connection() as conn:
        all_periods = approvals.periods(conn)
        if period:
            try:
                period_start: date | None = parse_period(period)
            except BadPeriod as exc:
                return p.error(request, 400, str(exc), user=user)
        else:
            period_start = all_periods[0] if all_periods else None
        rows = approvals.bonus_rows(conn, period_start) if period_start else []
        selected = None
        lines: list[approvals.BonusLine] = []
        history: list[approvals.LogEntry] = []
        if period_start and personnel_no:
            selected = next((r for r in rows if r.personnel_no == personnel_no), None)
            if selected is None:
                return p.error(request, 404, f"Нет премии табельного номера {personnel_no} "
                                             f"за {format_period(period_start)}", user=user)
            lines = approvals.bonus_lines(conn, period_start, personnel_no)
            history = approvals.decision_log(conn, period_start, personnel_no)
    return p.render(request, "index.html", user=user, periods=all_periods, period_start=period_start,
                    rows=rows, selected=selected, lines=lines, history=history)


@router.post("/decide")
def decide(
    request: Request,
    csrf_token: str | None = Form(None),
    period: str = Form(""),
    personnel_no: str = Form(""),
    calc_hash: str = Form(""),
    decision: str = Form(""),
    comment: str = Form(""),
) -> Response:
    p = page(request)
    p.require_csrf(request, csrf_token)
    user = p.signed_in(request)
    if user is None:
        raise PageError(401, "Войдите, чтобы принимать решения. Sign in first.")
    if not user.may_decide:
        return p.error(request, 403, "Решения о премиях принимают только роли Manager и Admin. "
                                     "Only Manager or Admin may decide.", user=user)
    try:
        period_start = parse_period(period)
    except BadPeriod as exc:
        return p.error(request, 400, str(exc), user=user)
    verdict = {"approve": "approved", "reject": "rejected"}.get(decision)
    if verdict is None:
        return p.error(request, 400, f"decision must be approve or reject, got {decision!r}", user=user)
    with p.connection() as conn:
        try:
            approvals.decide(conn, period_start=period_start, personnel_no=personnel_no.strip(),
                             decision=verdict, seen_calc_hash=calc_hash, decided_by=user.username,
                             comment=comment)
        except approvals.DecisionRefused as exc:
            return p.error(request, exc.status, str(exc), user=user)
    request.session["flash"] = (
        f"{'Утверждено' if verdict == 'approved' else 'Отклонено'}: {personnel_no} за {period}"
    )
    return RedirectResponse("/?" + urlencode({"period": period, "personnel_no": personnel_no}),
                            status_code=303)
