"""The Dagster side: the job exports on a fresh database, the sensor fires when approvals change."""

from __future__ import annotations

from datetime import date

import dagster as dg
from payroll_fixtures import Line, add_engineer, create_marts, set_bonus

import warehouse
from bonus_export import approvals
from orchestration.defs.payroll import PayrollExportResource, defs, payroll_export, payroll_export_on_approval
from orchestration.resources import WarehouseResource


def test_definitions_load_with_the_job_and_sensor() -> None:
    assert defs.resolve_job_def("payroll_export").name == "payroll_export"
    assert defs.resolve_sensor_def("payroll_export_on_approval").job_name == "payroll_export"


def test_job_exports_on_a_fresh_database_and_the_sensor_follows_decisions(fresh_db: str, tmp_path) -> None:
    resource = PayrollExportResource(export_dir=str(tmp_path / "out"))
    instance = dg.DagsterInstance.ephemeral()

    def sensor_tick(cursor: str | None):
        ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"payroll": resource, "warehouse": WarehouseResource(url=fresh_db)})
        return payroll_export_on_approval(ctx), ctx.cursor

    result, _ = sensor_tick(None)
    assert isinstance(result, dg.SkipReason) and "does not exist yet" in result.skip_message

    # A fresh database: the job creates the payroll schema itself and finds nothing to export.
    create_marts(fresh_db)
    first = payroll_export.execute_in_process(resources={"payroll": resource, "warehouse": WarehouseResource(url=fresh_db)}, instance=instance)
    assert first.success
    assert first.output_for_node("export_approved_bonuses") == 0

    add_engineer(fresh_db, "E7", "Орлова Мария")
    h = set_bonus(fresh_db, "E7", "2026-05", [Line("duty_shift", "shift:x", "2500.00")])
    with warehouse.connect(fresh_db, autocommit=True) as conn:
        approvals.decide(conn, period_start=date(2026, 5, 1), personnel_no="E7", decision="approved",
                         seen_calc_hash=h, decided_by="manager")
    request, cursor = sensor_tick("0")
    assert isinstance(request, dg.RunRequest) and request.run_key.startswith("approval_log_1@")
    assert cursor == "1"
    again, _ = sensor_tick(cursor)
    assert isinstance(again, dg.SkipReason)
    reset, cursor_after_rebuild = sensor_tick("5")  # a rebuilt warehouse: the log restarted
    assert isinstance(reset, dg.SkipReason) and cursor_after_rebuild == "1"

    second = payroll_export.execute_in_process(resources={"payroll": resource, "warehouse": WarehouseResource(url=fresh_db)}, instance=instance)
    assert second.success and second.output_for_node("export_approved_bonuses") == 1
    [csv_file] = sorted((tmp_path / "out").glob("approved_bonuses_2026-05_*.csv"))
    lines = csv_file.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("E7;Орлова Мария;2026-05;bonus;2500.00;;manager;")

    third = payroll_export.execute_in_process(resources={"payroll": resource, "warehouse": WarehouseResource(url=fresh_db)}, instance=instance)
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
