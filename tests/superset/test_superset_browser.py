"""A manager and an engineer in chromium: every dashboard renders, no chart in error, and the
engineer sees their own rows only. Screenshots go to test-artifacts/superset/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from superset_env import DEMO_PASSWORD

from superset_assets.browser import launch, login, open_dashboard

pytestmark = pytest.mark.browser

SLUGS = ["manager", "engineer", "bonuses", "contracts", "forecast", "data-quality"]


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


def test_engineer_reads_russian_names_not_codes(browser, superset_url, loaded, artifacts):
    """Line kinds, work types and shift types in Russian (dim_codes, dim_work_types through the bi views)."""
    page = new_page(browser, superset_url, "engineer")
    visit = open_dashboard(page, superset_url, "engineer", shots=artifacts, tag="engineer-names-")
    assert visit.errors == []
    assert "Баллы за заявку" in visit.text  # E001's ticket_points bonus lines
    assert "Ремонт" in visit.text  # closed ticket 1001, work type repair
    assert "Ночное дежурство" in visit.text  # shift sh-2, duty_night
    for code in ("ticket_points", "duty_night", "repair", "worked"):
        assert code not in visit.text
    page.context.close()


def test_manager_reads_grey_zone_checks_and_the_forecast_series_in_russian(browser, superset_url, loaded, artifacts):
    page = new_page(browser, superset_url, "manager")
    visit = open_dashboard(page, superset_url, "data-quality", shots=artifacts, tag="manager-names-")
    assert visit.errors == []
    assert "Решена, минуя «В работе»" in visit.text and "Не указана сложность" in visit.text
    assert "completed_without_in_progress" not in visit.text and "missing_complexity" not in visit.text
    visit = open_dashboard(page, superset_url, "forecast", shots=artifacts, tag="manager-series-")
    assert visit.errors == []
    assert "Ряд прогноза" in visit.text and "Компания" in visit.text
    assert "Регион: Москва" not in visit.text  # the company's rows only until a series is chosen
    assert "Prophet (прогноз)" in visit.text and "Как прошлая неделя" in visit.text  # the company's backtest
    page.context.close()
