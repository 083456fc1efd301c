"""The whole graph as one job, and the nightly schedule that runs it.

`full_pipeline` materialises every asset of the code location (sources -> dbt -> forecasts),
with their checks (`make run`, `make demo`). The nightly schedule runs `nightly_pipeline` at
02:00 in the company time zone: everything but the forecasts. Source assets are incremental
(cursors), incremental dbt models process only new rows with their lookback; the forecast
assets refresh on their own weekly schedule (`weekly_forecasts_monday`).
"""

from __future__ import annotations

import os

import dagster as dg

full_pipeline = dg.define_asset_job(
    "full_pipeline",
    selection=dg.AssetSelection.all(),
    description="Extract every source, build the dbt graph, refresh forecasts (what `make run` does).",
)

nightly_pipeline = dg.define_asset_job(
    "nightly_pipeline",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("forecasts"),
    description="Incremental extraction and dbt build; forecasts have their own weekly schedule.",
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
