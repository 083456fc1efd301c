"""The Dagster side: the job exports on a fresh database; an approval alone starts nothing; the
schedule runs the export at a configured time only when switched on."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pytest
from payroll_fixtures import Line, add_engineer, create_marts, set_bonus

import warehouse
from bonus_export import approvals
from orchestration.defs.payroll import PayrollExportResource, defs, export_schedule, payroll_export
from orchestration.resources import WarehouseResource


def test_definitions_load_with_the_job_and_a_schedule_that_is_off() -> None:
    assert defs.resolve_job_def("payroll_export").name == "payroll_export"
    schedule = defs.resolve_schedule_def("payroll_export_schedule")
    assert schedule.job_name == "payroll_export"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 18 * * 1-5" and schedule.execution_timezone == "Europe/Moscow"
    # No sensor: a decision does not export itself seconds later.
    assert not list(defs.sensors or [])


def test_the_schedule_is_configured_by_its_settings() -> None:
    on = export_schedule("30 17 * * *", "on")
    assert on.default_status == dg.DefaultScheduleStatus.RUNNING and on.cron_schedule == "30 17 * * *"
    with pytest.raises(ValueError, match="PAYROLL_EXPORT_SCHEDULE must be on or off"):
        export_schedule(None, "yes")
    with pytest.raises(ValueError, match="PAYROLL_EXPORT_CRON must be a cron expression"):
        export_schedule("every evening", "off")


def test_job_exports_on_a_fresh_database_and_once(fresh_db: str, tmp_path) -> None:
    resources = {"payroll": PayrollExportResource(export_dir=str(tmp_path / "out")),
                 "warehouse": WarehouseResource(url=fresh_db)}
    instance = dg.DagsterInstance.ephemeral()

    # A fresh database: the job creates the payroll schema itself and finds nothing to export.
    create_marts(fresh_db)
    first = payroll_export.execute_in_process(resources=resources, instance=instance)
    assert first.success
    assert first.output_for_node("export_approved_bonuses") == 0

    add_engineer(fresh_db, "E7", "Орлова Мария")
    h = set_bonus(fresh_db, "E7", "2026-05", [Line("duty_shift", "shift:x", "2500.00")])
    with warehouse.connect(fresh_db, autocommit=True) as conn:
        approvals.decide(conn, period_start=date(2026, 5, 1), personnel_no="E7", decision="approved",
                         seen_calc_hash=h, decided_by="manager")
    assert not list((tmp_path / "out").glob("*.csv")), "the approval alone exports nothing"

    second = payroll_export.execute_in_process(resources=resources, instance=instance)
    assert second.success and second.output_for_node("export_approved_bonuses") == 1
    [csv_file] = sorted((tmp_path / "out").glob("approved_bonuses_2026-05_*.csv"))
    lines = csv_file.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("E7;Орлова Мария;2026-05;bonus;2500.00;;manager;")

    third = payroll_export.execute_in_process(resources=resources, instance=instance)
    assert third.success and third.output_for_node("export_approved_bonuses") == 0
    assert len(list((tmp_path / "out").glob("*.csv"))) == 1


def test_job_fails_when_an_approval_was_edited_outside_the_page(fresh_db: str, tmp_path) -> None:
    create_marts(fresh_db)
    resources = {"payroll": PayrollExportResource(export_dir=str(tmp_path / "out")),
                 "warehouse": WarehouseResource(url=fresh_db)}
    assert payroll_export.execute_in_process(resources=resources).success  # migrates
    add_engineer(fresh_db, "E7", "Орлова Мария")
    h = set_bonus(fresh_db, "E7", "2026-05", [Line("duty_shift", "shift:x", "2500.00")])
    with warehouse.connect(fresh_db, autocommit=True) as conn:
        approvals.decide(conn, period_start=date(2026, 5, 1), personnel_no="E7", decision="approved",
                         seen_calc_hash=h, decided_by="manager")
        conn.execute("update payroll.bonus_approvals set amount_rub = 25000.00")
    result = payroll_export.execute_in_process(resources=resources, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "1 decision(s) refused" in failure.step_failure_data.error.message
    assert list((tmp_path / "out").glob("*.csv")) == []
