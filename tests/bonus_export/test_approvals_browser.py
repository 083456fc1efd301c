"""Acceptance in a real chromium: a manager signs in, approves a bonus, the export job writes it once."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest
from payroll_fixtures import Line, add_engineer, create_marts, create_superset_accounts, serve_page, set_bonus

import warehouse
from bonus_export import duties
from bonus_export.migrate import migrate
from orchestration.defs.payroll import PayrollExportResource, payroll_export
from orchestration.resources import WarehouseResource

pytestmark = pytest.mark.browser


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("chromium is missing: install it with `make chromium` (Debian package chromium)")
    return path


def test_manager_approves_in_the_browser_and_the_job_exports_once(fresh_db: str, tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    create_marts(fresh_db)
    migrate(fresh_db)
    add_engineer(fresh_db, "E42", "Волкова Дарья", "Казань: выездная группа 1")
    with warehouse.connect(fresh_db, autocommit=True) as conn:
        duties.set_team_managers(conn, "manager", ["Казань: выездная группа 1"])
    set_bonus(fresh_db, "E42", "2026-07", [
        Line("ticket_points", "ticket:900", "1200.00", 900, "8.00", "Заявка 900: 8 баллов × 150 ₽"),
        Line("kpi_multiplier", "kpi:E42:2026-07", "120.00", None, None, "SLA 97% ≥ 95%: ×1,10"),
    ])
    superset = create_superset_accounts(tmp_path / "superset.db")
    with serve_page(fresh_db, superset, tmp_path) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            # The link of the bonus dashboard.
            page.goto(f"{base}/?period=2026-07&personnel_no=E42")
            page.get_by_label("Логин").fill("manager")
            page.get_by_label("Пароль").fill("demo")
            page.get_by_role("button", name="Войти").click()
            expect(page.locator("#lines")).to_contain_text("SLA 97% ≥ 95%: ×1,10")
            expect(page.locator('tr[data-personnel-no="E42"]')).to_have_attribute("data-status", "pending")
            page.get_by_label("Комментарий").fill("проверено")
            page.get_by_role("button", name="Утвердить 1 320,00 ₽").click()
            expect(page.get_by_role("status")).to_contain_text("Утверждено: E42 за 2026-07")
            expect(page.locator('tr[data-personnel-no="E42"]')).to_have_attribute("data-status", "approved")
            expect(page.locator("#history")).to_contain_text("проверено")
        finally:
            browser.close()

    out = tmp_path / "exports"
    resource = {"payroll": PayrollExportResource(export_dir=str(out)), "warehouse": WarehouseResource(url=fresh_db)}
    instance = dg.DagsterInstance.ephemeral()
    assert payroll_export.execute_in_process(resources=resource, instance=instance).success
    [csv_file] = out.glob("approved_bonuses_2026-07_*.csv")
    rows = csv_file.read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 2 and rows[1].startswith("E42;Волкова Дарья;2026-07;bonus;1320.00;;manager;")

    again = payroll_export.execute_in_process(resources=resource, instance=instance)
    assert again.success and again.output_for_node("export_approved_bonuses") == 0
    assert list(out.glob("*.csv")) == [csv_file]


def test_manager_approves_a_team_in_one_step_and_sees_what_changed_since(fresh_db: str, tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    team = "Казань: выездная группа 2"
    create_marts(fresh_db)
    migrate(fresh_db)
    add_engineer(fresh_db, "E51", "Гусева Нина", team)
    add_engineer(fresh_db, "E52", "Зайцев Пётр", team)
    set_bonus(fresh_db, "E51", "2026-09", [
        Line("ticket_points", "ticket:951", "1875.00", 951, "12.50", "Заявка 951: 12,5 балла × 150 ₽"),
        Line("duty_shift", "shift:k1", "2500.00", None, None, "Дежурство 06.09")])
    set_bonus(fresh_db, "E52", "2026-09", [Line("ticket_points", "ticket:952", "93.75", 952, None, "Заявка 952")])
    with warehouse.connect(fresh_db, autocommit=True) as conn:
        duties.set_team_managers(conn, "manager", [team])
    superset = create_superset_accounts(tmp_path / "superset.db")
    with serve_page(fresh_db, superset, tmp_path) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{base}/?period=2026-09")
            page.get_by_label("Логин").fill("manager")
            page.get_by_label("Пароль").fill("demo")
            page.get_by_role("button", name="Войти").click()
            page.get_by_role("link", name=team).click()
            expect(page.locator('section[data-personnel-no="E51"]')).to_contain_text("Дежурство 06.09")
            expect(page.locator('section[data-personnel-no="E52"]')).to_contain_text("Заявка 952")
            page.get_by_role("button", name="Утвердить всех: 2 на 4 468,75 ₽").click()
            expect(page.get_by_role("status")).to_contain_text("Утверждено 2 из 2 за 2026-09")
            for pno in ("E51", "E52"):
                expect(page.locator(f'tr[data-personnel-no="{pno}"]')).to_have_attribute("data-status", "approved")

            # A late fact changes E51's bonus: the approval is stale and shows its line diff.
            set_bonus(fresh_db, "E51", "2026-09", [
                Line("ticket_points", "ticket:951", "1875.00", 951, "12.50", "Заявка 951: 12,5 балла × 150 ₽"),
                Line("repeat_penalty", "ticket:959", "-937.50", 951, None, "Повтор по заявке 951")])
            page.goto(f"{base}/?period=2026-09&personnel_no=E51")
            expect(page.locator('tr[data-personnel-no="E51"]')).to_have_attribute("data-status", "stale")
            removed = page.locator('#changes tr[data-change="removed"]')
            expect(removed).to_contain_text("shift:k1")
            expect(removed).to_contain_text("2 500,00 ₽")
            added = page.locator('#changes tr[data-change="added"]')
            expect(added).to_contain_text("Повтор по заявке 951")
            expect(added).to_contain_text("−937,50 ₽")
            expect(page.locator("#changes tfoot")).to_contain_text("4 375,00 ₽")
            expect(page.get_by_role("button", name="Утвердить 937,50 ₽")).to_be_visible()
        finally:
            browser.close()
