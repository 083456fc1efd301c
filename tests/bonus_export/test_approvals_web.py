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

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def site(module_db: str, tmp_path_factory) -> Iterator[str]:
    """The page served by its CLI on a free port, against a database with two bonuses."""
    tmp = tmp_path_factory.mktemp("approvals")
    create_marts(module_db)
    add_engineer(module_db, "E100", "Сидорова Анна")
    add_engineer(module_db, "E200", "Кузнецов Олег")
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
    assert "Сидорова Анна" in page.text and "4375.00" in page.text
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
    assert r.status_code == 403 and "Only Manager or Admin may decide" in r.text
    assert log_rows(module_db) == before


def test_finance_sees_but_cannot_decide(site: str, module_db: str) -> None:
    client = signed_in(site, "finance")
    page = client.get("/", params={"period": "2026-03", "personnel_no": "E200"})
    assert page.status_code == 200 and 'id="decision"' not in page.text
    r = client.post("/decide", data={"csrf_token": token(page), "period": "2026-03", "personnel_no": "E200",
                                     "calc_hash": "0" * 64, "decision": "approve"})
    assert r.status_code == 403


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
    client = signed_in(site, "admin", "admin-secret")
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
    assert "утверждено 4375.00 ₽" in page.text and "3437.50" in page.text
    # The decision form of before the change pins the old hash: refused, nothing logged.
    r = client.post("/decide", data={"csrf_token": token(page), "period": "2026-03", "personnel_no": "E100",
                                     "calc_hash": old_hash, "decision": "approve"})
    assert r.status_code == 409
    # Rejecting needs a comment; with one it is recorded.
    form = {"csrf_token": token(page), "period": "2026-03", "personnel_no": "E100",
            "calc_hash": re.search(r'name="calc_hash" value="([0-9a-f]{64})"', page.text).group(1),
            "decision": "reject"}
    assert client.post("/decide", data=form).status_code == 400
    assert client.post("/decide", data={**form, "comment": "проверить повтор"}).status_code == 303
    page = client.get("/", params={"period": "2026-03", "personnel_no": "E100"})
    assert 'data-personnel-no="E100" data-status="rejected"' in page.text
    assert [r[2:] for r in log_rows(module_db) if r[0] == "E100"] == [
        ("approved", "4375.00", "admin", ""), ("rejected", "3437.50", "admin", "проверить повтор")]


def test_bad_query_parameters_are_explained(site: str) -> None:
    client = signed_in(site, "manager")
    r = client.get("/", params={"period": "March"})
    assert r.status_code == 400 and "YYYY-MM" in r.text
    r = client.get("/", params={"period": "2026-03", "personnel_no": "NOPE"})
    assert r.status_code == 404 and "NOPE" in r.text
