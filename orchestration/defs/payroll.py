"""Payroll: the export job, and the schedule that can run it at a configured time.

`payroll_export` migrates the payroll schema, delivers any committed-but-undelivered batch,
and exports every valid unexported approval (bonus_export.export); a re-run exports nothing.
An approval does not start an export: Finance presses «Выгрузить утверждённые» on the
approvals page, or `payroll_export_schedule` runs the job at `PAYROLL_EXPORT_CRON` when
`PAYROLL_EXPORT_SCHEDULE=on` (off by default), so a manager can still withdraw an approval.
"""

# No `from __future__ import annotations`: Dagster reads the op and sensor annotations at runtime.

import os
from pathlib import Path

import dagster as dg

from bonus_export.export import export
from bonus_export.migrate import migrate
from bonus_export.periods import parse_period
from bonus_export.settings import Settings
from orchestration.resources import WAREHOUSE_KEY, WarehouseResource, warehouse_resource
from warehouse.settings import shared


class PayrollExportResource(dg.ConfigurableResource):
    """Where the export writes (unset: PAYROLL_EXPORT_DIR through bonus_export.settings); the
    warehouse is the shared `warehouse` resource."""

    export_dir: str | None = None

    def settings(self, warehouse_url: str) -> Settings:
        overrides: dict[str, object] = {"warehouse_url": warehouse_url}
        if self.export_dir:
            overrides["payroll_export_dir"] = Path(self.export_dir)
        return Settings(**overrides)


class PayrollExportConfig(dg.Config):
    period: str | None = None  # YYYY-MM; None = every period with unexported valid approvals


@dg.op(description="Export valid unexported bonus approvals to approved_bonuses_<period>_<batch>.csv")
def export_approved_bonuses(
    context: dg.OpExecutionContext, config: PayrollExportConfig, payroll: PayrollExportResource,
    warehouse: WarehouseResource,
) -> dg.Output[int]:
    settings = payroll.settings(warehouse.resolved())
    period_start = parse_period(config.period) if config.period else None
    migrate(settings.warehouse_url)
    with warehouse.connect(autocommit=True) as conn:
        report = export(conn, settings, period_start=period_start, created_by=f"dagster:{context.run_id}")
    for line in report.summary().splitlines():
        context.log.info(line)
    if report.refused:
        # What is consistent went out; an edit that bypassed the page must be looked at.
        raise dg.Failure(
            description=f"{len(report.refused)} decision(s) refused: payroll.bonus_approvals disagrees "
                        "with payroll.approval_log",
            metadata={"refused": report.refused, "batches": [b.batch_id for b in report.exported]},
        )
    return dg.Output(
        len(report.exported),
        metadata={
            "batches": [b.batch_id for b in report.exported],
            "files": [str(b.csv_path) for b in report.exported],
            "rows": sum(b.row_count for b in report.exported),
            "recovered_batches": [b.batch_id for b in report.recovered],
            "adjustment_rows": sum(b.adjustments for b in report.exported),
            "stale_approvals": report.stale,
            "summary": report.summary(),
        },
    )


@dg.job(description="The payroll export: each valid bonus approval exactly once (bonus_export).")
def payroll_export() -> None:
    export_approved_bonuses()


def export_schedule(cron: str | None = None, on: str | None = None) -> dg.ScheduleDefinition:
    """The export at a configured time. Finance normally exports on the approvals page; the
    schedule is for a company that wants a fixed daily cut-off (off unless switched on)."""
    cron = cron or os.environ.get("PAYROLL_EXPORT_CRON") or "0 18 * * 1-5"
    on = (on if on is not None else os.environ.get("PAYROLL_EXPORT_SCHEDULE", "off")).strip().lower()
    if on not in ("on", "off"):
        raise ValueError(f"PAYROLL_EXPORT_SCHEDULE must be on or off, got {on!r}")
    try:
        return dg.ScheduleDefinition(
            name="payroll_export_schedule",
            job=payroll_export,
            cron_schedule=cron,
            execution_timezone=shared().company_tz,
            default_status=dg.DefaultScheduleStatus.RUNNING if on == "on" else dg.DefaultScheduleStatus.STOPPED,
            description=f"The payroll export at {cron} company time (PAYROLL_EXPORT_CRON); "
                        "off unless PAYROLL_EXPORT_SCHEDULE=on: Finance exports on the approvals page.",
        )
    except dg.DagsterInvalidDefinitionError as exc:
        raise ValueError(f"PAYROLL_EXPORT_CRON must be a cron expression, got {cron!r}") from exc


defs = dg.Definitions(
    jobs=[payroll_export],
    schedules=[export_schedule()],
    resources={"payroll": PayrollExportResource(), WAREHOUSE_KEY: warehouse_resource()},
)
