"""A manager and an engineer in chromium: every dashboard renders, no chart in error, and the
engineer sees their own rows only. Screenshots go to test-artifacts/superset/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from superset_env import DEMO_PASSWORD

from tools.superset.browser import launch, login, open_dashboard

pytestmark = pytest.mark.browser

SLUGS = ["manager", "engineer", "bonuses", "contracts", "forecast", "data-quality", "quality"]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def new_page(browser, superset_url: str, username: str):
    context = browser.new_context(viewport={"width": 1600, "height": 1200}, locale="ru-RU")
    page = context.new_page()
    login(page, superset_url, username, DEMO_PASSWORD)
    return page


def test_manager_opens_every_dashboard_without_chart_errors(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "manager")
    problems = {}
    for slug in SLUGS:
        visit = open_dashboard(page, superset_url, slug, shots=artifacts, tag="manager-")
        assert visit.charts > 0, slug
        if visit.errors:
            problems[slug] = visit.errors
    assert problems == {}
    page.context.close()


def test_engineer_sees_own_dashboard_and_own_rows_only(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "engineer")
    visit = open_dashboard(page, superset_url, "engineer", shots=artifacts, tag="engineer-")
    assert visit.errors == []
    assert "E001" in visit.text and "Иванов Иван" in visit.text
    for other in ("E002", "E003", "Петров", "Сидорова"):
        assert other not in visit.text
    # the other dashboards are not there for an engineer
    response = page.goto(f"{superset_url}/superset/dashboard/manager/", wait_until="domcontentloaded")
    assert response is not None and response.status == 404
    page.context.close()


def test_finance_opens_bonus_and_contract_dashboards(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "finance")
    for slug in ("bonuses", "contracts"):
        visit = open_dashboard(page, superset_url, slug, shots=artifacts, tag="finance-")
        assert visit.errors == [], slug
    page.context.close()


def chart_holder(page, title: str):
    """The dashboard cell of the chart titled exactly `title`."""
    heading = page.locator(".header-title, [data-test='editable-title']").get_by_text(title, exact=True)
    return page.locator(".dashboard-component-chart-holder").filter(has=heading)


def big_number(page, title: str) -> str:
    return chart_holder(page, title).locator(".header-line").inner_text().strip()


def table_rows(page, title: str) -> list[list[str]]:
    rows = chart_holder(page, title).locator("tbody tr")
    return [[cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]


OCTOBER = "2026-10-01 : 2026-11-01"  # the hand-computed figures of the fixture
MONTHS = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
          "декабрь"]


def this_month() -> date:
    """The first day of the current month (the fixture's rows dated relative to today)."""
    return datetime.now(UTC).date().replace(day=1)


def last_month() -> date:
    return (this_month() - timedelta(days=1)).replace(day=1)


def test_engineer_reads_roubles_dates_and_months_in_russian(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "engineer")
    visit = open_dashboard(page, superset_url, "engineer", shots=artifacts, tag="engineer-formats-", period=OCTOBER)
    assert visit.errors == []
    # E001's bonus lines: 562,50 + 3 500,00 + 406,25 = 4 468,75, thousands and ₽ after a no-break space
    assert big_number(page, "Моя премия, ₽") == "4\u00a0468,75\u00a0₽"
    assert big_number(page, "SLA решения (цель ≥ 95%)") == "100,0%"
    # ticket 1001 completed on 1 October 2026 at 15:00 Moscow time (12:00 UTC): company time
    closed = table_rows(page, "Закрытые заявки за период")
    assert [row[0] for row in closed] == ["1001"]
    assert closed[0][1] == "01.10.2026 15:00", closed[0]
    # the monthly KPI ignores the period: every month, newest first (the current month's
    # fixture row, November with no closed ticket, October with one)
    months = table_rows(page, "Мои показатели по месяцам (все месяцы)")
    current = f"{MONTHS[this_month().month - 1]} {this_month().year}"
    assert [(row[0], row[3]) for row in months] == [(current, "1"), ("ноябрь 2026", "0"), ("октябрь 2026", "1")]
    assert months[2][4] == "100,0%" and months[2][6] == "21,0"  # SLA share, hours worked
    page.context.close()


def test_engineer_cabinet_opens_on_the_current_month(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "engineer")
    visit = open_dashboard(page, superset_url, "engineer", shots=artifacts, tag="engineer-default-")
    assert visit.errors == []
    # the current month's fixture rows only: ticket 1006 closed at 16:00 Moscow time, 300,00 ₽
    assert big_number(page, "Закрыто заявок") == "1"
    assert big_number(page, "Моя премия, ₽") == "300,00\u00a0₽"
    assert big_number(page, "CSAT (1–5)") == "4,00"
    closed = table_rows(page, "Закрытые заявки за период")
    assert [row[0] for row in closed] == ["1006"]
    assert closed[0][1] == f"{this_month():%d.%m.%Y} 16:00", closed[0]
    assert "Текущий месяц" in visit.text and "за выбранный период" in visit.text  # the filter bar, the cards
    page.context.close()


def test_manager_reads_company_money_and_shares_in_russian(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "manager")
    visit = open_dashboard(page, superset_url, "manager", shots=artifacts, tag="manager-formats-", period=OCTOBER)
    assert visit.errors == []
    # the fixture's one invoice 100 000,00 minus costs 4 000 + 3 000 + 3 500
    assert big_number(page, "Выручка, ₽") == "100\u00a0000,00\u00a0₽"
    assert big_number(page, "Маржа, ₽") == "89\u00a0500,00\u00a0₽"
    # resolution SLA: ticket 1001 met, 1002 missed (1003 has no deadline)
    assert big_number(page, "SLA решения") == "50,0%"
    events = table_rows(page, "События за период (от компании до инженера)")
    invoice = next(row for row in events if row[-1] == "100\u00a0000,00\u00a0₽")
    assert invoice[0] == "31.10.2026 12:00", invoice  # posted at 12:00 Moscow time
    page.context.close()


def test_manager_bonus_and_contract_dashboards_open_on_the_last_closed_month(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "manager")
    visit = open_dashboard(page, superset_url, "manager", shots=artifacts, tag="manager-default-")
    assert visit.errors == []
    # the last closed month: an invoice of 50 000,00 and 2 000,00 of work
    assert big_number(page, "Выручка, ₽") == "50\u00a0000,00\u00a0₽"
    assert big_number(page, "Маржа, ₽") == "48\u00a0000,00\u00a0₽"
    assert "за выбранный период" in visit.text
    events = table_rows(page, "События за период (от компании до инженера)")
    assert events and all(row[0][3:10] == f"{last_month():%m.%Y}" for row in events), events

    visit = open_dashboard(page, superset_url, "bonuses", shots=artifacts, tag="manager-default-")
    assert visit.errors == []
    # last month: E001 1 000,00 approved, E003 250,00 not decided; October's two undecided
    # (E002 stale, E003 pending) are not counted
    assert big_number(page, "Ждут утверждения") == "1"
    assert big_number(page, "Начислено премий, ₽") == "1\u00a0250,00\u00a0₽"
    visit = open_dashboard(page, superset_url, "bonuses", shots=artifacts, tag="manager-october-", period=OCTOBER)
    assert big_number(page, "Ждут утверждения") == "2"

    visit = open_dashboard(page, superset_url, "contracts", shots=artifacts, tag="manager-default-")
    assert visit.errors == []
    profit = table_rows(page, "Выручка, затраты и маржа по клиентам за период")
    assert [row[0] for row in profit] == ["АО Кубань-Тех"]  # ООО Ромашка has no row in the last closed month
    page.context.close()


def test_engineer_reads_russian_names_not_codes(browser, superset_url, loaded, artifacts):
    """Line kinds, work types and shift types in Russian (dim_codes, dim_work_types through the bi views)."""
    page = new_page(browser, superset_url, "engineer")
    visit = open_dashboard(page, superset_url, "engineer", shots=artifacts, tag="engineer-names-", period=OCTOBER)
    assert visit.errors == []
    assert "Баллы за заявку" in visit.text  # E001's ticket_points bonus lines
    assert "Ремонт" in visit.text  # closed ticket 1001, work type repair
    assert "Ночное дежурство" in visit.text  # October's shift sh-2, duty_night
    for code in ("ticket_points", "duty_night", "repair", "worked"):
        assert code not in visit.text
    page.context.close()


def test_manager_reads_grey_zone_checks_and_the_forecast_series_in_russian(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "manager")
    visit = open_dashboard(page, superset_url, "data-quality", shots=artifacts, tag="manager-names-")
    assert visit.errors == []
    assert "Решена, минуя «В работе»" in visit.text and "Не указана сложность" in visit.text
    assert "completed_without_in_progress" not in visit.text and "missing_complexity" not in visit.text
    # the registry's reject reason by its Russian kind and the column it names, loaded at 03:05 Moscow time
    rejects = table_rows(page, "Отклонённые записи за период")
    assert rejects[0][:2] == ["20.11.2026 03:05", "registry"] and "Не число" in rejects[0] and "Широта" in rejects[0]
    assert "expected a number" not in visit.text
    freshness = table_rows(page, "Свежесть источников")
    assert freshness[0][:3] == ["registry", "sites", "20.11.2026 03:05"]  # loaded at 03:05 Moscow time
    visit = open_dashboard(page, superset_url, "forecast", shots=artifacts, tag="manager-series-")
    assert visit.errors == []
    assert "Ряд прогноза" in visit.text and "Компания" in visit.text
    assert "Регион: Москва" not in visit.text  # the company's rows only until a series is chosen
    assert "Prophet (прогноз)" in visit.text and "Как прошлая неделя" in visit.text  # the company's backtest
    page.context.close()


def test_manager_reads_service_quality_and_the_projected_overrun_in_russian(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "manager")
    visit = open_dashboard(page, superset_url, "quality", shots=artifacts, tag="manager-quality-")
    assert visit.errors == []
    assert big_number(page, "Низкие оценки за период") == "2"
    queue = table_rows(page, "Очередь отдела качества")
    assert queue[0][:2] == ["06.11.2026 18:00", "1102"] and "Сидорова Анна" in queue[0] and "нет" in queue[0]
    assert queue[1][:2] == ["03.11.2026 15:00", "1101"] and "да" in queue[1] and "плохо" in queue[1]
    stuck = table_rows(page, "Дольше всего в текущем статусе (сейчас)")
    assert stuck[0][:3] == ["1004", "В работе", "78,5"]
    reliability = table_rows(page, "Надёжность оборудования: худшие первыми")
    assert reliability[0][:2] == ["Объект", "Склад на Варшавке"] and "50,0%" in reliability[0] and "273,8" in reliability[0]
    for code in ("in_progress", "repair", "manufacturer"):
        assert code not in visit.text
    visit = open_dashboard(page, superset_url, "contracts", shots=artifacts, tag="manager-projection-")
    assert visit.errors == []
    assert "по прогнозу 180\u00a0% к 30.11; перерасход ~16\u00a0ч, 32\u00a0000\u00a0₽" in visit.text
    assert big_number(page, "Перерасход по прогнозу на конец месяца, ₽") == "32\u00a0000,00\u00a0₽"
    assert big_number(page, "Ранние сигналы перерасхода (текущий месяц)") == "1"
    projection = table_rows(page, "Прогноз перерасхода по договорам (текущий месяц)")
    kuban = next(row for row in projection if row[0] == "АО Кубань-Тех")
    assert "ранний сигнал" in kuban and "180,0%" in kuban and "17.11.2026" in kuban
    page.context.close()


def test_engineer_opens_service_quality_with_own_rows_only(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "engineer")
    visit = open_dashboard(page, superset_url, "quality", shots=artifacts, tag="engineer-quality-")
    assert visit.errors == []
    assert "Иванов Иван" in visit.text and "1101" in visit.text
    for other in ("Сидорова", "1102", "Завод"):
        assert other not in visit.text
def test_engineer_reads_the_live_value_in_russian(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "engineer")
    visit = open_dashboard(page, superset_url, "engineer", shots=artifacts, tag="engineer-value-")
    assert visit.errors == []
    assert big_number(page, "Премия за месяц: накоплено, ₽") == "4\u00a0468,75\u00a0₽"
    assert big_number(page, "Прогноз премии на конец месяца, ₽") == "6\u00a0703,13\u00a0₽"
    assert table_rows(page, "Мой KPI за текущий месяц: до следующего множителя")[0][0] == "ещё 22 заявки в срок — ×1,10"
    # E001's open ticket only: take order 1, ticket 1004, due 25.11.2026, 1 125,00 ₽ now, 562,50 ₽ lost if late
    first = table_rows(page, "Что взять первым: стоимость открытых заявок (сейчас)")
    assert [row[:2] for row in first] == [["1", "1004"]]
    assert re.fullmatch(r"25\.11\.2026 \d\d:\d\d", first[0][5]), first[0]
    assert first[0][-3:] == ["1\u00a0125,00\u00a0₽", "1\u00a0125,00\u00a0₽", "562,50\u00a0₽"]
    page.context.close()
