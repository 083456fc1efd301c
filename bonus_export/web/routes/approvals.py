"""The bonus list of a period, one engineer's bonus, a team's bonuses, decisions, withdrawals, the export.

`/?period=YYYY-MM&personnel_no=...` opens one engineer's bonus (the bonus dashboard links here);
`/team?period=YYYY-MM&team=...` shows every undecided bonus of a team to approve them in one step.
Who may decide on whom is bonus_export.duties' rule; every refusal is logged there.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bonus_export import approvals, duties
from bonus_export.accounts import Account
from bonus_export.periods import BadPeriod, format_period, parse_period
from bonus_export.web.page import Page, PageError, page, rub

router = APIRouter()

NO_VIEW = ("Страница согласования премий доступна ролям Manager, Head, Admin и Finance; "
           "у вашей учётной записи такой роли нет.")


def _sign_in_first(request: Request) -> Response:
    target = str(request.url.path) + ("?" + request.url.query if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def _refused(p: Page, request: Request, user: Account | None, action: str, reason: str, status: int = 403,
             personnel_no: str | None = None, period_start: date | None = None) -> Response:
    """Log the refused attempt and answer it with the reason."""
    with p.connection() as conn:
        duties.log_refused(conn, username=user.username if user else request.session.get("user", ""),
                           action=action, reason=reason, personnel_no=personnel_no, period_start=period_start)
    return p.error(request, status, reason, user=user)


def _post_checks(p: Page, request: Request, token: str | None, action: str, period: str,
                 personnel_no: str | None = None) -> tuple[Account, date] | Response:
    """CSRF, sign-in and period of a POST; a refusal is logged and returned as the answer."""
    try:
        period_start: date | None = parse_period(period)
    except BadPeriod:
        period_start = None
    try:
        p.require_csrf(request, token)
    except PageError as exc:
        return _refused(p, request, None, action, exc.message, exc.status, personnel_no, period_start)
    user = p.signed_in(request)
    if user is None:
        raise PageError(401, "Войдите, чтобы принимать решения.")
    if period_start is None:
        return p.error(request, 400, f"Период должен быть в виде ГГГГ-ММ (например, 2026-03), получено {period!r}",
                       user=user)
    return user, period_start


def _back(period: str, **more: str) -> RedirectResponse:
    return RedirectResponse("/?" + urlencode({"period": period, **{k: v for k, v in more.items() if v}}),
                            status_code=303)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, period: str | None = None, personnel_no: str | None = None) -> Response:
    p = page(request)
    user = p.signed_in(request)
    if user is None:
        return _sign_in_first(request)
    if not user.may_view:
        return p.error(request, 403, NO_VIEW, user=user)
    with p.connection() as conn:
        all_periods = approvals.periods(conn)
        if period:
            try:
                period_start: date | None = parse_period(period)
            except BadPeriod as exc:
                return p.error(request, 400, str(exc), user=user)
        else:
            period_start = all_periods[0] if all_periods else None
        mine = duties.duties_of(conn, user)
        rows = approvals.bonus_rows(conn, period_start) if period_start else []
        selected = None
        refusal = None
        lines: list[approvals.BonusLine] = []
        history: list[approvals.LogEntry] = []
        changes: list[approvals.LineChange] = []
        if period_start and personnel_no:
            selected = next((r for r in rows if r.personnel_no == personnel_no), None)
            if selected is None:
                return p.error(request, 404, f"Нет премии табельного номера {personnel_no} "
                                             f"за {format_period(period_start)}", user=user)
            lines = approvals.bonus_lines(conn, period_start, personnel_no)
            history = approvals.decision_log(conn, period_start, personnel_no)
            refusal = mine.refusal(selected.personnel_no, selected.team_name)
            if selected.status == "stale" and selected.log_id:
                changes = approvals.changes_since(conn, selected.log_id, period_start, personnel_no)
    teams = sorted({r.team_name for r in rows if mine.manages(r.team_name)})
    open_by_team = {t: sum(1 for r in rows if r.team_name == t and r.status in ("pending", "stale")) for t in teams}
    return p.render(request, "index.html", user=user, periods=all_periods, period_start=period_start,
                    rows=rows, selected=selected, lines=lines, history=history, refusal=refusal,
                    changes=changes, teams=teams, open_by_team=open_by_team)


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
    personnel_no = personnel_no.strip()
    checked = _post_checks(p, request, csrf_token, "decide", period, personnel_no)
    if isinstance(checked, Response):
        return checked
    user, period_start = checked
    verdict = {"approve": "approved", "reject": "rejected"}.get(decision)
    if verdict is None:
        return p.error(request, 400, f"Решение должно быть approve или reject, получено {decision!r}", user=user)
    with p.connection() as conn:
        reason = duties.duties_of(conn, user).refusal(personnel_no, duties.team_of(conn, personnel_no))
    if reason:
        return _refused(p, request, user, verdict, reason, 403, personnel_no, period_start)
    with p.connection() as conn:
        try:
            approvals.decide(conn, period_start=period_start, personnel_no=personnel_no,
                             decision=verdict, seen_calc_hash=calc_hash, decided_by=user.username,
                             comment=comment)
        except approvals.DecisionRefused as exc:
            return _refused(p, request, user, verdict, str(exc), exc.status, personnel_no, period_start)
    request.session["flash"] = (
        f"{'Утверждено' if verdict == 'approved' else 'Отклонено'}: {personnel_no} за {period}"
    )
    return _back(period, personnel_no=personnel_no)


@router.post("/withdraw")
def withdraw(
    request: Request,
    csrf_token: str | None = Form(None),
    period: str = Form(""),
    personnel_no: str = Form(""),
    comment: str = Form(""),
) -> Response:
    p = page(request)
    personnel_no = personnel_no.strip()
    checked = _post_checks(p, request, csrf_token, "withdraw", period, personnel_no)
    if isinstance(checked, Response):
        return checked
    user, period_start = checked
    with p.connection() as conn:
        reason = duties.duties_of(conn, user).refusal(personnel_no, duties.team_of(conn, personnel_no))
    if reason:
        return _refused(p, request, user, "withdraw", reason, 403, personnel_no, period_start)
    with p.connection() as conn:
        try:
            approvals.withdraw(conn, period_start=period_start, personnel_no=personnel_no,
                               withdrawn_by=user.username, comment=comment)
        except approvals.DecisionRefused as exc:
            return _refused(p, request, user, "withdraw", str(exc), exc.status, personnel_no, period_start)
    request.session["flash"] = f"Утверждение отозвано: {personnel_no} за {period} снова ожидает решения"
    return _back(period, personnel_no=personnel_no)


def _team_rows(conn, period_start: date, team: str) -> list[approvals.BonusRow]:
    return [r for r in approvals.bonus_rows(conn, period_start)
            if r.team_name == team and r.status in ("pending", "stale") and r.calc_hash]


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, period: str = "", team: str = "") -> Response:
    p = page(request)
    user = p.signed_in(request)
    if user is None:
        return _sign_in_first(request)
    if not user.may_view:
        return p.error(request, 403, NO_VIEW, user=user)
    try:
        period_start = parse_period(period)
    except BadPeriod as exc:
        return p.error(request, 400, str(exc), user=user)
    with p.connection() as conn:
        mine = duties.duties_of(conn, user)
        if not mine.manages(team):
            reason = (duties.FINANCE_DOES_NOT_DECIDE if user.may_export and not user.may_decide
                      else f"Команда «{team}» не входит в ваши команды: утвердить её может только её руководитель "
                           "или руководитель службы.")
            return p.error(request, 403, reason, user=user)
        cards = []
        own = None
        for r in _team_rows(conn, period_start, team):
            if mine.refusal(r.personnel_no, r.team_name):
                own = r
                continue
            changes = (approvals.changes_since(conn, r.log_id, period_start, r.personnel_no)
                       if r.status == "stale" and r.log_id else [])
            cards.append((r, approvals.bonus_lines(conn, period_start, r.personnel_no), changes))
    total = sum((r.total_rub for r, _, _ in cards if r.total_rub is not None), start=Decimal("0"))
    return p.render(request, "team.html", user=user, period_start=period_start, team=team, cards=cards,
                    own=own, total=total)


@router.post("/decide-team")
def decide_team(
    request: Request,
    csrf_token: str | None = Form(None),
    period: str = Form(""),
    team: str = Form(""),
    item: Annotated[list[str] | None, Form()] = None,
    comment: str = Form(""),
) -> Response:
    """Approve every bonus of the form, each with the calc_hash it was shown with.

    If the account may not decide on any one of them, nothing is recorded; a bonus that
    changed since the page was opened is refused on its own (and logged), the others stand.
    """
    p = page(request)
    checked = _post_checks(p, request, csrf_token, "approve_team", period)
    if isinstance(checked, Response):
        return checked
    user, period_start = checked
    seen = [tuple(i.split(":", 1)) for i in item or [] if ":" in i]
    if not seen:
        return p.error(request, 400, "Не выбрано ни одной премии для утверждения.", user=user)
    with p.connection() as conn:
        mine = duties.duties_of(conn, user)
        reasons = [(pno, mine.refusal(pno, duties.team_of(conn, pno))) for pno, _ in seen]
    refused = [(pno, reason) for pno, reason in reasons if reason]
    if refused:
        with p.connection() as conn:
            for pno, reason in refused:
                duties.log_refused(conn, username=user.username, action="approve_team", reason=reason,
                                   personnel_no=pno, period_start=period_start)
        return p.error(request, 403, "Ничего не утверждено. " + " ".join(r for _, r in refused), user=user)
    done, changed = [], []
    with p.connection() as conn:
        for pno, calc_hash in seen:
            try:
                approvals.decide(conn, period_start=period_start, personnel_no=pno, decision="approved",
                                 seen_calc_hash=calc_hash, decided_by=user.username, comment=comment)
                done.append(pno)
            except approvals.DecisionRefused as exc:
                duties.log_refused(conn, username=user.username, action="approve_team", reason=str(exc),
                                   personnel_no=pno, period_start=period_start)
                changed.append(pno)
    flash = f"Утверждено {len(done)} из {len(seen)} за {period}"
    if team:
        flash += f" (команда «{team}»)"
    if changed:
        flash += ("; расчёт изменился после открытия страницы, не утверждено: " + ", ".join(changed)
                  + " — откройте команду заново")
    request.session["flash"] = flash
    return _back(period)


@router.post("/export")
def export_now(request: Request, csrf_token: str | None = Form(None), period: str = Form("")) -> Response:
    """Finance's act: export the valid approvals of the period (bonus_export.export.export)."""
    from bonus_export.export import ExportError, export

    p = page(request)
    checked = _post_checks(p, request, csrf_token, "export", period)
    if isinstance(checked, Response):
        return checked
    user, period_start = checked
    if not user.may_export:
        return _refused(p, request, user, "export", duties.ONLY_FINANCE_EXPORTS, 403, None, period_start)
    try:
        with p.connection() as conn:
            report = export(conn, p.settings, period_start=period_start, created_by=f"page:{user.username}")
    except ExportError as exc:
        return p.error(request, 500, f"Выгрузка не удалась: {exc}", user=user)
    if report.exported:
        rows = sum(b.row_count for b in report.exported)
        batches = ", ".join(str(b.batch_id) for b in report.exported)
        flash = f"Выгружено строк: {rows}, партия {batches}, итого {rub(sum(b.control_total for b in report.exported))}"
    else:
        flash = "Новых утверждённых премий для выгрузки нет: всё утверждённое уже выгружено"
    if report.stale:
        flash += f"; устаревших утверждений (не выгружены): {report.stale}"
    request.session["flash"] = flash
    return _back(period)
