"""The approvals page over real HTTP: uvicorn (`python -m bonus_export serve`) + httpx, real Postgres.

Accounts come from a SQLite file with Flask-AppBuilder's tables and werkzeug hashes, as in
Superset's metadata DB.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest
from payroll_fixtures import Line, add_engineer, create_marts, create_superset_accounts, serve_page, set_bonus

import warehouse
from bonus_export import duties
from bonus_export.migrate import migrate

TEAM_1 = "Москва: выездная группа 1"
TEAM_2 = "Москва: выездная группа 2"

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def site(module_db: str, tmp_path_factory) -> Iterator[str]:
    """The page served by its CLI on a free port, against a database with four engineers' bonuses.

    `manager` manages team 1 (E100, E200 and E300, who is the manager himself: the same e-mail);
    E400 is in team 2, which nobody here manages; `head` decides across teams.
    """
    tmp = tmp_path_factory.mktemp("approvals")
    create_marts(module_db)
    migrate(module_db)
    add_engineer(module_db, "E100", "Сидорова Анна", TEAM_1)
    add_engineer(module_db, "E200", "Кузнецов Олег", TEAM_1)
    add_engineer(module_db, "E300", "Демо Руководитель", TEAM_1, email="Manager@Example.test")
    add_engineer(module_db, "E400", "Лебедева Ирина", TEAM_2)
    set_bonus(module_db, "E300", "2026-03", [Line("duty_shift", "shift:m1", "2500.00")])
    set_bonus(module_db, "E400", "2026-03", [Line("ticket_points", "ticket:601", "450.00", 601)])
    with warehouse.connect(module_db, autocommit=True) as conn:
        duties.set_team_managers(conn, "manager", [TEAM_1])
    set_bonus(module_db, "E100", "2026-03", [
        Line("ticket_points", "ticket:501", "1875.00", 501, "12.50", "Заявка 501: 10 баллов × 1,25"),
        Line("duty_shift", "shift:s1", "2500.00", None, None, "Дежурство 07.03"),
    ])
    set_bonus(module_db, "E200", "2026-03", [Line("ticket_points", "ticket:502", "150.00", 502)])
    set_bonus(module_db, "E200", "2026-02", [Line("ticket_points", "ticket:402", "300.00", 402)])
    with serve_page(module_db, create_superset_accounts(tmp / "superset.db"), tmp) as base:
        yield base


def token(page: httpx.Response) -> str:
    m = TOKEN.search(page.text)
    assert m, f"no CSRF token in the page:\n{page.text[:500]}"
    return html.unescape(m.group(1))


def signed_in(site: str, username: str, password: str = "demo") -> httpx.Client:
    client = httpx.Client(base_url=site, follow_redirects=False, timeout=10)
    form = client.get("/login")
    done = client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token(form), "next": "/"})
    assert done.status_code == 303, done.text
    return client


def log_rows(url: str) -> list[tuple]:
    with warehouse.connect(url) as conn:
        return conn.execute(
            "select personnel_no, period_start::text, decision, amount_rub::text, decided_by, comment "
            "from payroll.approval_log order by log_id"
        ).fetchall()


def refused_rows(url: str) -> list[tuple]:
    with warehouse.connect(url) as conn:
        return conn.execute(
            "select username, action, personnel_no, period_start::text, reason "
            "from payroll.refused_attempts order by attempt_id"
        ).fetchall()


def approvals_rows(url: str) -> list[tuple]:
    with warehouse.connect(url) as conn:
        return conn.execute("select * from payroll.bonus_approvals order by 1, 2").fetchall()


def form_of(page: httpx.Response, personnel_no: str, period: str, decision: str = "approve") -> dict:
    return {"csrf_token": token(page), "period": period, "personnel_no": personnel_no,
            "calc_hash": re.search(r'name="calc_hash" value="([0-9a-f]{64})"', page.text).group(1),
            "decision": decision}


def test_health(site: str) -> None:
    assert httpx.get(site + "/health").json() == {"status": "ok"}


def test_dashboard_link_asks_for_sign_in_then_opens_the_engineer(site: str) -> None:
    client = httpx.Client(base_url=site, follow_redirects=False, timeout=10)
    first = client.get("/", params={"period": "2026-03", "personnel_no": "E100"})
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next=")
    form = client.get(first.headers["location"])
    assert 'value="/?period=2026-03&amp;personnel_no=E100"' in form.text
    done = client.post("/login", data={"username": "manager", "password": "demo", "csrf_token": token(form),
                                       "next": "/?period=2026-03&personnel_no=E100"})
    assert done.headers["location"] == "/?period=2026-03&personnel_no=E100"
    page = client.get(done.headers["location"])
    assert page.status_code == 200
    assert "Сидорова Анна" in page.text and "4 375,00 ₽" in page.text
    assert "Заявка 501: 10 баллов × 1,25" in page.text and "Дежурство 07.03" in page.text
    # Lines in the order of the bonus rules (ticket points first), not alphabetically.
    assert page.text.index("Заявка 501") < page.text.index("Дежурство 07.03")
    assert 'data-personnel-no="E100" data-status="pending"' in page.text


def test_wrong_password_and_inactive_account_are_refused(site: str) -> None:
    client = httpx.Client(base_url=site, follow_redirects=False, timeout=10)
    for username, password in (("manager", "wrong"), ("retired", "demo"), ("nobody", "demo")):
        form = client.get("/login")
        r = client.post("/login", data={"username": username, "password": password, "csrf_token": token(form)})
        assert r.status_code == 401 and "Неверный логин или пароль" in r.text
    assert client.get("/").status_code == 303
    # Usernames are case-insensitive, as in Superset (FAB's AUTH_USERNAME_CI).
    form = client.get("/login")
    r = client.post("/login", data={"username": "Manager", "password": "demo", "csrf_token": token(form)})
    assert r.status_code == 303 and client.get("/").status_code == 200


def test_manager_approves_and_the_decision_is_logged(site: str, module_db: str) -> None:
    client = signed_in(site, "manager")
    page = client.get("/", params={"period": "2026-02", "personnel_no": "E200"})
    form = {"csrf_token": token(page), "period": "2026-02", "personnel_no": "E200",
            "calc_hash": re.search(r'name="calc_hash" value="([0-9a-f]{64})"', page.text).group(1),
            "decision": "approve", "comment": "ок"}
    r = client.post("/decide", data=form)
    assert r.status_code == 303
    after = client.get(r.headers["location"])
    assert 'data-personnel-no="E200" data-status="approved"' in after.text
    assert "Утверждено: E200 за 2026-02" in after.text
    assert ("E200", "2026-02-01", "approved", "300.00", "manager", "ок") in log_rows(module_db)


def test_engineer_account_cannot_approve(site: str, module_db: str) -> None:
    client = signed_in(site, "engineer")
    page = client.get("/", params={"period": "2026-03"})
    assert page.status_code == 403
    before = log_rows(module_db)
    # A valid CSRF token of the engineer's own session: the refusal is about the role.
    r = client.post("/decide", data={"csrf_token": token(page), "period": "2026-03", "personnel_no": "E200",
                                     "calc_hash": "0" * 64, "decision": "approve"})
    assert r.status_code == 403 and "Решения о премиях принимают только руководители" in r.text
    assert log_rows(module_db) == before
    assert refused_rows(module_db)[-1][:3] == ("engineer", "approved", "E200")


def test_finance_sees_but_cannot_decide(site: str, module_db: str) -> None:
    client = signed_in(site, "finance")
    page = client.get("/", params={"period": "2026-03", "personnel_no": "E200"})
    assert page.status_code == 200 and 'id="decision"' not in page.text
    assert "Финансовая служба видит и выгружает премии, но не утверждает" in page.text
    # A decision form carrying the real hash (as a manager's page would have it).
    manager_page = signed_in(site, "manager").get("/", params={"period": "2026-03", "personnel_no": "E200"})
    form = {**form_of(manager_page, "E200", "2026-03"), "csrf_token": token(page)}
    before, refused_before = approvals_rows(module_db), len(refused_rows(module_db))
    for decision in ("approve", "reject"):
        r = client.post("/decide", data={**form, "decision": decision, "comment": "финансы"})
        assert r.status_code == 403 and "Финансовая служба" in r.text
    assert approvals_rows(module_db) == before
    assert [row[:4] for row in refused_rows(module_db)[refused_before:]] == [
        ("finance", "approved", "E200", "2026-03-01"), ("finance", "rejected", "E200", "2026-03-01")]


def test_nobody_decides_on_their_own_bonus(site: str, module_db: str) -> None:
    client = signed_in(site, "manager")
    # The manager's account and 1C employee E300 share the e-mail (case aside): it is his bonus.
    page = client.get("/", params={"period": "2026-03", "personnel_no": "E300"})
    assert 'id="decision"' not in page.text
    assert "Нельзя принимать решение о собственной премии (табельный № E300)" in page.text
    manager_form = form_of(signed_in(site, "head").get("/", params={"period": "2026-03", "personnel_no": "E300"}),
                           "E300", "2026-03")
    before, log_before = approvals_rows(module_db), log_rows(module_db)
    r = client.post("/decide", data={**manager_form, "csrf_token": token(page)})
    assert r.status_code == 403 and "собственной премии" in r.text
    assert approvals_rows(module_db) == before and log_rows(module_db) == log_before
    assert refused_rows(module_db)[-1][:4] == ("manager", "approved", "E300", "2026-03-01")
    assert "собственной премии" in refused_rows(module_db)[-1][4]


def test_a_manager_decides_only_for_their_teams(site: str, module_db: str) -> None:
    head = signed_in(site, "head")
    head_page = head.get("/", params={"period": "2026-03", "personnel_no": "E400"})
    client = signed_in(site, "manager")
    page = client.get("/", params={"period": "2026-03", "personnel_no": "E400"})
    assert 'id="decision"' not in page.text
    assert f"(команды «{TEAM_2}») не входит в ваши команды" in page.text
    before, log_before = approvals_rows(module_db), log_rows(module_db)
    r = client.post("/decide", data={**form_of(head_page, "E400", "2026-03"), "csrf_token": token(page)})
    assert r.status_code == 403 and "не входит в ваши команды" in r.text
    assert approvals_rows(module_db) == before and log_rows(module_db) == log_before
    assert refused_rows(module_db)[-1][:4] == ("manager", "approved", "E400", "2026-03-01")
    # The team page of a foreign team is refused too; the manager's own team is offered.
    assert client.get("/team", params={"period": "2026-03", "team": TEAM_2}).status_code == 403
    assert TEAM_1 in client.get("/", params={"period": "2026-03"}).text
    # The head of service decides across teams.
    r = head.post("/decide", data=form_of(head_page, "E400", "2026-03"))
    assert r.status_code == 303
    assert log_rows(module_db)[-1][:5] == ("E400", "2026-03-01", "approved", "450.00", "head")


def test_refused_attempts_cannot_be_edited(site: str, module_db: str) -> None:
    import psycopg

    assert refused_rows(module_db), "earlier tests logged refusals"
    for sql in ("update payroll.refused_attempts set reason = ''", "delete from payroll.refused_attempts",
                "truncate payroll.refused_attempts"):
        with warehouse.connect(module_db, autocommit=True) as conn:
            try:
                conn.execute(sql)
            except psycopg.errors.RaiseException as exc:
                assert "append-only" in str(exc)
            else:
                raise AssertionError(f"{sql} was allowed")


def test_post_without_valid_csrf_token_is_refused(site: str, module_db: str) -> None:
    manager = signed_in(site, "manager")
    page = manager.get("/", params={"period": "2026-03", "personnel_no": "E200"})
    calc_hash = re.search(r'name="calc_hash" value="([0-9a-f]{64})"', page.text).group(1)
    form = {"period": "2026-03", "personnel_no": "E200", "calc_hash": calc_hash, "decision": "approve"}
    other = signed_in(site, "admin", "admin-secret")
    other_token = token(other.get("/"))
    before = log_rows(module_db)
    for bad in ({}, {"csrf_token": ""}, {"csrf_token": "forged.token"}, {"csrf_token": other_token}):
        r = manager.post("/decide", data={**form, **bad})
        assert r.status_code == 403, bad
        assert "CSRF" in r.text
    assert log_rows(module_db) == before
    # Without the session cookie, even a real token is refused (the token is bound to the session).
    r = httpx.post(site + "/decide", data={**form, "csrf_token": token(page)})
    assert r.status_code == 403
    login_without_token = httpx.post(site + "/login", data={"username": "manager", "password": "demo"})
    assert login_without_token.status_code == 403


def test_changed_bonus_shows_stale_and_old_form_is_refused(site: str, module_db: str) -> None:
    client = signed_in(site, "head")
    page = client.get("/", params={"period": "2026-03", "personnel_no": "E100"})
    old_hash = re.search(r'name="calc_hash" value="([0-9a-f]{64})"', page.text).group(1)
    r = client.post("/decide", data={"csrf_token": token(page), "period": "2026-03", "personnel_no": "E100",
                                     "calc_hash": old_hash, "decision": "approve"})
    assert r.status_code == 303
    set_bonus(module_db, "E100", "2026-03", [
        Line("ticket_points", "ticket:501", "1875.00", 501),
        Line("duty_shift", "shift:s1", "2500.00"),
        Line("repeat_penalty", "ticket:777", "-937.50", 501, None, "Повтор по заявке 501"),
    ])
    page = client.get("/", params={"period": "2026-03", "personnel_no": "E100"})
    assert 'data-personnel-no="E100" data-status="stale"' in page.text
    assert "утверждено 4 375,00 ₽" in page.text and "3 437,50 ₽" in page.text
    # The decision form of before the change pins the old hash: refused, nothing logged.
    r = client.post("/decide", data={"csrf_token": token(page), "period": "2026-03", "personnel_no": "E100",
                                     "calc_hash": old_hash, "decision": "approve"})
    assert r.status_code == 409
    assert refused_rows(module_db)[-1][:3] == ("head", "approved", "E100")
    assert "calc_hash differs" in refused_rows(module_db)[-1][4]
    # Rejecting needs a comment; with one it is recorded.
    form = {"csrf_token": token(page), "period": "2026-03", "personnel_no": "E100",
            "calc_hash": re.search(r'name="calc_hash" value="([0-9a-f]{64})"', page.text).group(1),
            "decision": "reject"}
    assert client.post("/decide", data=form).status_code == 400
    assert client.post("/decide", data={**form, "comment": "проверить повтор"}).status_code == 303
    page = client.get("/", params={"period": "2026-03", "personnel_no": "E100"})
    assert 'data-personnel-no="E100" data-status="rejected"' in page.text
    assert [r[2:] for r in log_rows(module_db) if r[0] == "E100"] == [
        ("approved", "4375.00", "head", ""), ("rejected", "3437.50", "head", "проверить повтор")]


def test_bad_query_parameters_are_explained(site: str) -> None:
    client = signed_in(site, "manager")
    r = client.get("/", params={"period": "March"})
    assert r.status_code == 400 and "YYYY-MM" in r.text
    r = client.get("/", params={"period": "2026-03", "personnel_no": "NOPE"})
    assert r.status_code == 404 and "NOPE" in r.text
