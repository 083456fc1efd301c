"""A team approved in one step, what changed since an approval, withdrawing, and finance's export.

Over real HTTP (`python -m bonus_export serve`, httpx) against real Postgres, as in
test_approvals_web.py. `manager` manages team «Север» (E1, E2 and E3, who is the manager
himself); E9 is in team «Юг».
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from payroll_fixtures import Line, add_engineer, create_marts, create_superset_accounts, serve_page, set_bonus
from test_approvals_web import log_rows, refused_rows, signed_in, token

import warehouse
from bonus_export import duties
from bonus_export.migrate import migrate

NORTH, SOUTH = "Север", "Юг"
ITEM = re.compile(r'name="item" value="([^"]+)"')


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="module")
def site(module_db: str, tmp_path_factory, exports: Path) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("teams")
    create_marts(module_db)
    migrate(module_db)
    add_engineer(module_db, "E1", "Антонова Вера", NORTH)
    add_engineer(module_db, "E2", "Борисов Глеб", NORTH)
    add_engineer(module_db, "E3", "Демо Руководитель", NORTH, email="manager@example.test")
    add_engineer(module_db, "E9", "Яковлев Юрий", SOUTH)
    with warehouse.connect(module_db, autocommit=True) as conn:
        duties.set_team_managers(conn, "manager", [NORTH])
    with serve_page(module_db, create_superset_accounts(tmp / "superset.db"), tmp,
                    PAYROLL_EXPORT_DIR=str(exports)) as base:
        yield base


def summary_hash(url: str, personnel_no: str, period: str) -> str:
    with warehouse.connect(url) as conn:
        return conn.execute("select calc_hash from marts.mart_bonus_summary where personnel_no = %s "
                            "and period_start = %s", (personnel_no, f"{period}-01")).fetchone()[0]


def decisions(url: str, period: str) -> list[tuple]:
    with warehouse.connect(url) as conn:
        return conn.execute(
            "select personnel_no, decision, amount_rub::text, calc_hash, decided_by from payroll.approval_log "
            "where period_start = %s order by log_id", (f"{period}-01",)).fetchall()


def test_manager_approves_a_team_in_one_step(site: str, module_db: str) -> None:
    set_bonus(module_db, "E1", "2026-04", [
        Line("ticket_points", "ticket:11", "1875.00", 11, "12.50", "Заявка 11: 12,5 балла × 150 ₽"),
        Line("duty_shift", "shift:a", "2500.00", None, None, "Дежурство 04.04")])
    set_bonus(module_db, "E2", "2026-04", [Line("ticket_points", "ticket:12", "93.75", 12, None, "Заявка 12")])
    set_bonus(module_db, "E3", "2026-04", [Line("duty_shift", "shift:m", "2500.00")])
    set_bonus(module_db, "E9", "2026-04", [Line("ticket_points", "ticket:19", "300.00", 19)])
    client = signed_in(site, "manager")
    index = client.get("/", params={"period": "2026-04"})
    assert f'href="/team?period=2026-04&amp;team={quote(NORTH)}">{NORTH}</a>' in index.text
    assert "(ожидают решения: 3)" in index.text
    page = client.get("/team", params={"period": "2026-04", "team": NORTH})
    assert page.status_code == 200
    # Each engineer's total and breakdown on one page; the manager's own bonus is not offered.
    assert "Антонова Вера (E1) — 4 375,00 ₽" in page.text and "Дежурство 04.04" in page.text
    assert "Заявка 11: 12,5 балла × 150 ₽" in page.text
    assert "Борисов Глеб (E2) — 93,75 ₽" in page.text and "Заявка 12" in page.text
    assert "Ваша собственная премия (E3, 2 500,00 ₽) здесь не утверждается" in page.text
    assert "Яковлев" not in page.text
    assert "Утвердить всех: 2 на 4 468,75 ₽" in page.text
    items = ITEM.findall(page.text)
    assert [i.split(":")[0] for i in items] == ["E1", "E2"]
    r = client.post("/decide-team", data={"csrf_token": token(page), "period": "2026-04", "team": NORTH,
                                          "item": items, "comment": "команда проверена"})
    assert r.status_code == 303
    after = client.get(r.headers["location"])
    assert f"Утверждено 2 из 2 за 2026-04 (команда «{NORTH}»)" in after.text
    assert 'data-personnel-no="E1" data-status="approved"' in after.text
    assert 'data-personnel-no="E2" data-status="approved"' in after.text
    assert 'data-personnel-no="E3" data-status="pending"' in after.text
    assert 'data-personnel-no="E9" data-status="pending"' in after.text
    # One log entry per engineer, each with its own calc_hash.
    assert decisions(module_db, "2026-04") == [
        ("E1", "approved", "4375.00", summary_hash(module_db, "E1", "2026-04"), "manager"),
        ("E2", "approved", "93.75", summary_hash(module_db, "E2", "2026-04"), "manager"),
    ]
    assert "Все премии команды за период уже решены" in client.get(
        "/team", params={"period": "2026-04", "team": NORTH}).text


def test_team_form_with_a_foreign_or_own_bonus_records_nothing(site: str, module_db: str) -> None:
    set_bonus(module_db, "E1", "2026-05", [Line("duty_shift", "shift:b", "2500.00")])
    set_bonus(module_db, "E3", "2026-05", [Line("duty_shift", "shift:m5", "2500.00")])
    set_bonus(module_db, "E9", "2026-05", [Line("duty_shift", "shift:s5", "2500.00")])
    client = signed_in(site, "manager")
    page = client.get("/team", params={"period": "2026-05", "team": NORTH})
    items = ITEM.findall(page.text)
    assert [i.split(":")[0] for i in items] == ["E1"]
    before = log_rows(module_db)
    for extra in ("E9", "E3"):  # a hand-made form: another team's engineer, the manager himself
        forged = items + [f"{extra}:{summary_hash(module_db, extra, '2026-05')}"]
        r = client.post("/decide-team", data={"csrf_token": token(page), "period": "2026-05", "team": NORTH,
                                              "item": forged})
        assert r.status_code == 403 and "Ничего не утверждено" in r.text
        assert refused_rows(module_db)[-1][:4] == ("manager", "approve_team", extra, "2026-05-01")
    assert log_rows(module_db) == before


def test_a_bonus_that_changed_after_the_team_page_opened_is_not_approved(site: str, module_db: str) -> None:
    set_bonus(module_db, "E1", "2026-06", [Line("duty_shift", "shift:c", "2500.00")])
    set_bonus(module_db, "E2", "2026-06", [Line("duty_shift", "shift:d", "2500.00")])
    client = signed_in(site, "manager")
    page = client.get("/team", params={"period": "2026-06", "team": NORTH})
    set_bonus(module_db, "E2", "2026-06", [Line("duty_shift", "shift:d", "2500.00"),
                                           Line("ticket_points", "ticket:62", "150.00", 62)])
    r = client.post("/decide-team", data={"csrf_token": token(page), "period": "2026-06", "team": NORTH,
                                          "item": ITEM.findall(page.text)})
    after = client.get(r.headers["location"])
    assert "Утверждено 1 из 2" in after.text and "не утверждено: E2" in after.text
    assert [d[:2] for d in decisions(module_db, "2026-06")] == [("E1", "approved")]
    assert refused_rows(module_db)[-1][:3] == ("manager", "approve_team", "E2")


def test_a_stale_approval_shows_line_by_line_what_changed(site: str, module_db: str) -> None:
    set_bonus(module_db, "E1", "2026-07", [
        Line("ticket_points", "ticket:71", "1875.00", 71, None, "Заявка 71"),
        Line("ticket_points", "ticket:72", "300.00", 72, None, "Заявка 72"),
        Line("duty_shift", "shift:e", "2500.00", None, None, "Дежурство 07.07")])
    client = signed_in(site, "manager")
    page = client.get("/team", params={"period": "2026-07", "team": NORTH})
    client.post("/decide-team", data={"csrf_token": token(page), "period": "2026-07", "team": NORTH,
                                      "item": ITEM.findall(page.text)})
    # A late fact: ticket 72 re-rated, the shift cancelled, a repeat penalty added.
    set_bonus(module_db, "E1", "2026-07", [
        Line("ticket_points", "ticket:71", "1875.00", 71, None, "Заявка 71"),
        Line("ticket_points", "ticket:72", "450.00", 72, None, "Заявка 72: переоценка"),
        Line("repeat_penalty", "ticket:79", "-937.50", 71, None, "Повтор по заявке 71")])
    page = client.get("/", params={"period": "2026-07", "personnel_no": "E1"})
    assert 'data-personnel-no="E1" data-status="stale"' in page.text
    changes = page.text[page.text.index('id="changes"'):page.text.index('id="lines"')]
    rows = re.findall(r'<tr class="change-\w+" data-change="(\w+)" data-event="([^"]+)">(.*?)</tr>', changes, re.S)
    cells = {(kind, event): [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                             for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
             for kind, event, body in rows}
    assert set(cells) == {("changed", "ticket:72"), ("removed", "shift:e"), ("added", "ticket:79")}
    assert cells[("changed", "ticket:72")][4:7] == ["300,00 ₽", "450,00 ₽", "150,00 ₽"]
    assert cells[("removed", "shift:e")][4:7] == ["2 500,00 ₽", "", "−2 500,00 ₽"]
    assert cells[("added", "ticket:79")][4:7] == ["", "−937,50 ₽", "−937,50 ₽"]
    assert "изменена" in changes and "убрана" in changes and "добавлена" in changes
    # Totals: approved 4 675,00 ₽, proposed 1 387,50 ₽.
    assert "4 675,00 ₽" in changes and "1 387,50 ₽" in changes and "−3 287,50 ₽" in changes
    # The team page shows the same before approving again.
    team = client.get("/team", params={"period": "2026-07", "team": NORTH})
    assert 'data-change="removed" data-event="shift:e"' in team.text
    assert "Утвердить всех: 1 на 1 387,50 ₽" in team.text


def test_finance_exports_on_the_page_and_an_approval_is_withdrawn_until_then(
        site: str, module_db: str, exports: Path) -> None:
    set_bonus(module_db, "E1", "2026-08", [Line("duty_shift", "shift:f", "2500.00")])
    set_bonus(module_db, "E2", "2026-08", [Line("ticket_points", "ticket:82", "1968.75", 82)])
    manager = signed_in(site, "manager")
    page = manager.get("/team", params={"period": "2026-08", "team": NORTH})
    manager.post("/decide-team", data={"csrf_token": token(page), "period": "2026-08", "team": NORTH,
                                       "item": ITEM.findall(page.text)})
    assert not list(exports.glob("approved_bonuses_2026-08_*.csv")), "an approval alone exports nothing"
    # Until the export the manager may withdraw an approval: the bonus is pending again.
    page = manager.get("/", params={"period": "2026-08", "personnel_no": "E2"})
    assert 'id="withdraw"' in page.text and "ждёт выгрузки" in page.text
    r = manager.post("/withdraw", data={"csrf_token": token(page), "period": "2026-08", "personnel_no": "E2"})
    assert r.status_code == 303
    page = manager.get(r.headers["location"])
    assert 'data-personnel-no="E2" data-status="pending"' in page.text
    assert [d[:2] for d in decisions(module_db, "2026-08")][-1] == ("E2", "withdrawn")
    # The manager cannot export; the button is Finance's.
    assert 'id="export"' not in page.text
    r = manager.post("/export", data={"csrf_token": token(page), "period": "2026-08"})
    assert r.status_code == 403 and "только финансовая служба" in r.text
    assert refused_rows(module_db)[-1][:2] == ("manager", "export")
    finance = signed_in(site, "finance")
    page = finance.get("/", params={"period": "2026-08"})
    assert "Выгрузить утверждённые" in page.text
    r = finance.post("/export", data={"csrf_token": token(page), "period": "2026-08"})
    assert r.status_code == 303
    done = finance.get(r.headers["location"])
    assert "Выгружено строк: 1" in done.text and "итого 2 500,00 ₽" in done.text
    [csv_file] = exports.glob("approved_bonuses_2026-08_*.csv")
    body = csv_file.read_text(encoding="utf-8-sig")
    assert "E1;Антонова Вера;2026-08;" in body and "E2;" not in body
    again = finance.post("/export", data={"csrf_token": token(done), "period": "2026-08"})
    assert "Новых утверждённых премий для выгрузки нет" in finance.get(again.headers["location"]).text
    # After the export the approval can no longer be withdrawn.
    page = manager.get("/", params={"period": "2026-08", "personnel_no": "E1"})
    assert 'id="withdraw"' not in page.text
    r = manager.post("/withdraw", data={"csrf_token": token(page), "period": "2026-08", "personnel_no": "E1"})
    assert r.status_code == 409 and "уже выгружено" in r.text
    assert [d[:2] for d in decisions(module_db, "2026-08")][-1] == ("E2", "withdrawn")
