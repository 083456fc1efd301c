"""The whole graph as one job, and the nightly schedule that runs it.

`full_pipeline` materialises every asset of the code location (sources -> dbt -> forecasts),
with their checks (`make run`, `make demo`). The nightly schedule runs `nightly_pipeline` at
02:00 in the company time zone: everything but the forecasts. Source assets are incremental
(cursors), incremental dbt models process only new rows with their lookback; the forecast
assets refresh on their own weekly schedule (`weekly_forecasts_monday`).

Failures alert in the run log: both jobs carry the `pipeline_failure_alert` hook, which writes
an ERROR entry ("ALERT: ...", the failed step and its error) into the run's own log, where
`dagster dev` (Runs -> the run -> filter "ALERT") and the nightly's run history show it. The
data-quality dashboard shows per-source freshness (`marts.dq_source_freshness`), so a night
that did not load is visible there too.
"""

from __future__ import annotations

import os

import dagster as dg

from orchestration.defs.dbt import DATA_TESTS_TAG


@dg.failure_hook(name="pipeline_failure_alert")
def pipeline_failure_alert(context: dg.HookContext) -> None:
    """An ERROR entry in the run log naming the failed step, its job and the error."""
    error = context.op_exception
    context.log.error(
        f"ALERT: step {context.step_key!r} of job {context.job_name!r} failed "
        f"(run {context.run_id}): {type(error).__name__ if error else 'failure'}: {error}"
    )


full_pipeline = dg.define_asset_job(
    "full_pipeline",
    selection=dg.AssetSelection.all(),
    description="Extract every source, build the dbt graph, refresh forecasts (what `make run` does).",
    hooks={pipeline_failure_alert},
)

nightly_pipeline = dg.define_asset_job(
    "nightly_pipeline",
    # the forecasts and the dbt views over them (warehouse_dbt_forecast_views) change weekly
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("forecasts").downstream(),
    description="Incremental extraction and dbt build; forecasts have their own weekly schedule.",
    hooks={pipeline_failure_alert},
    # the big tables' row-level dbt tests read the rows this build changed (docs/dbt.md)
    tags={DATA_TESTS_TAG: "changed"},
)

nightly = dg.ScheduleDefinition(
    name="nightly_full_pipeline",
    job=nightly_pipeline,
    cron_schedule="0 2 * * *",
    execution_timezone=os.environ.get("COMPANY_TZ", "Europe/Moscow"),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night: incremental extraction, dbt build, forecasts when due.",
)

defs = dg.Definitions(jobs=[full_pipeline, nightly_pipeline], schedules=[nightly])
