"""Payroll: the export job and the sensor that runs it when approvals change.

`payroll_export` migrates the payroll schema, delivers any committed-but-undelivered batch,
and exports every valid unexported approval (bonus_export.export); a re-run exports nothing.
`payroll_export_on_approval` polls max(payroll.approval_log.log_id) and asks for a run when
it grows (the run key is the log id, so one decision wave gives one run).
"""

# No `from __future__ import annotations`: Dagster reads the op and sensor annotations at runtime.

from pathlib import Path

import dagster as dg
import psycopg

import warehouse
from bonus_export.export import export
from bonus_export.migrate import migrate
from bonus_export.periods import parse_period
from bonus_export.settings import Settings
from orchestration.resources import WAREHOUSE_KEY, WarehouseResource, warehouse_resource


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


def latest_decision(warehouse_url: str) -> tuple[int, str] | None:
    """(max approval_log id, its decided_at) - (0, "") with no decision; None before the schema exists."""
    with warehouse.connect(warehouse_url) as conn:
        exists = conn.execute("select to_regclass('payroll.approval_log') is not null").fetchone()[0]
        if not exists:
            return None
        row = conn.execute(
            "select log_id, decided_at from payroll.approval_log order by log_id desc limit 1"
        ).fetchone()
        return (0, "") if row is None else (int(row[0]), row[1].isoformat())


@dg.sensor(
    job=payroll_export,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs payroll_export when a bonus decision is recorded (approval_log grows).",
)
def payroll_export_on_approval(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    try:
        found = latest_decision(warehouse.resolved())
    except psycopg.OperationalError as exc:
        return dg.SkipReason(f"the warehouse does not answer: {exc}")
    if found is None:
        return dg.SkipReason("payroll.approval_log does not exist yet (python -m bonus_export migrate)")
    latest, decided_at = found
    seen = int(context.cursor) if context.cursor else 0
    if latest < seen:  # the warehouse was rebuilt: the log starts again
        context.update_cursor(str(latest))
        return dg.SkipReason(f"approval_log restarted (max id {latest} < cursor {seen}); cursor reset")
    if latest == seen:
        return dg.SkipReason(f"no new decision since approval_log id {seen}")
    context.update_cursor(str(latest))
    # The decision time in the key keeps it unique across a rebuilt warehouse.
    return dg.RunRequest(run_key=f"approval_log_{latest}@{decided_at}")

defs = dg.Definitions(
    jobs=[payroll_export],
    sensors=[payroll_export_on_approval],
    resources={"payroll": PayrollExportResource(), WAREHOUSE_KEY: warehouse_resource()},
)
