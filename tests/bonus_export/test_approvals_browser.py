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
    assert len(rows) == 2 and rows[1].startswith("E42;Волкова Дарья;2026-07;1320.00;manager;")

    again = payroll_export.execute_in_process(resources=resource, instance=instance)
    assert again.success and again.output_for_node("export_approved_bonuses") == 0
    assert list(out.glob("*.csv")) == [csv_file]
