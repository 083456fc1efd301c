"""Forecast assets: thin wrappers around the `forecasts` library (docs/forecasts.md).

forecasts/weekly_actuals  <- dbt marts fct_tickets, fct_time_entries, dim_engineers
forecasts/weekly_forecast, forecast_accuracy, backtest_points, forecast_models  (one fit run)
forecasts/capacity_plan   <- weekly_forecast, dbt fct_shifts
check prophet_beats_baselines on forecast_accuracy; schedule: Mondays 06:00 company time.
"""

from collections.abc import Iterator

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import get_asset_key_for_model

from forecasts.run import (
    forecast_all,
    read_actuals,
    write_actuals,
    write_capacity,
    write_forecasts,
    write_run,
)
from forecasts.series import load_series
from forecasts.settings import ForecastSettings
from orchestration.defs.dbt import warehouse_dbt_models
from orchestration.resources import WAREHOUSE_KEY, WarehouseResource, warehouse_resource
from warehouse.settings import shared

GROUP = "forecasts"


def dbt_key(model: str) -> dg.AssetKey:
    """The asset key of a dbt model, as the dbt area's translator gives it (dagster-dbt)."""
    return get_asset_key_for_model([warehouse_dbt_models], model)


def key(name: str) -> dg.AssetKey:
    return dg.AssetKey([GROUP, name])


@dg.asset(
    key=key("weekly_actuals"),
    group_name=GROUP,
    deps=[dbt_key("fct_tickets"), dbt_key("fct_time_entries"), dbt_key("dim_engineers")],
    description="Weekly created tickets and work hours (company, region, team), complete ISO weeks.",
    kinds={"python", "postgres"},
)
def weekly_actuals(context: AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = ForecastSettings()
    with warehouse.connect() as conn:
        found = load_series(conn, settings)
        rows = write_actuals(conn, found)
    for name, reason in found.skipped:
        context.log.info(f"series {name} skipped: {reason}")
    return dg.MaterializeResult(
        metadata={
            "rows": rows,
            "series": len(found.series),
            "skipped": dg.MetadataValue.json([{"series": n, "reason": r} for n, r in found.skipped]),
            "as_of": found.as_of.isoformat(),
            "last_complete_week": found.last_week.isoformat(),
        }
    )


FIT_TABLES = ("weekly_forecast", "forecast_accuracy", "backtest_points", "forecast_models")
_FIT_DESCRIPTIONS = {
    "weekly_forecast": "Prophet forecast, 12 weeks ahead with 80% intervals, per series.",
    "forecast_accuracy": "Rolling-origin backtest: MAPE and MASE of Prophet and both baselines.",
    "backtest_points": "Every backtest forecast point (series, model, cutoff, week).",
    "forecast_models": "The fitted Prophet models as JSON (prophet.serialize.model_to_json).",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key(t), group_name=GROUP, deps=[key("weekly_actuals")], description=_FIT_DESCRIPTIONS[t],
                     kinds={"python", "postgres"})
        for t in FIT_TABLES
    ],
    name="prophet_forecasts",
)
def prophet_forecasts(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    settings = ForecastSettings()
    with warehouse.connect() as conn:
        found = read_actuals(conn)
        run = forecast_all(found.series, settings)
        written = write_forecasts(conn, run, settings)
        write_run(conn, found, run, run.seconds)
    context.log.info(f"{len(run.outcomes)} series fitted in {run.seconds:.1f}s on {run.workers} worker(s)")
    for table in FIT_TABLES:
        yield dg.MaterializeResult(
            asset_key=key(table),
            metadata={"rows": written[table], "model_version": run.model_version,
                      "last_actual_week": found.last_week.isoformat(), "fit_seconds": round(run.seconds, 2)},
        )


@dg.asset(
    key=key("capacity_plan"),
    group_name=GROUP,
    deps=[key("weekly_forecast"), dbt_key("fct_shifts"), dbt_key("dim_engineers")],
    description="Forecast work hours vs scheduled shift hours: capacity gap and extra shifts needed.",
    kinds={"python", "postgres"},
)
def capacity_plan(warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = ForecastSettings()
    with warehouse.connect() as conn:
        rows = write_capacity(conn, settings)
        short = conn.execute(
            "select count(*) from forecasts.capacity_plan where level = 'company' and extra_shifts_needed > 0"
        ).fetchone()
    return dg.MaterializeResult(metadata={"rows": rows, "company_weeks_short": int(short[0]) if short else 0})


def accuracy_verdict(rows: list[tuple]) -> tuple[bool, dg.AssetCheckSeverity, str, list[dict]]:
    """rows: (series, level, model, mase, best_model). Prophet must be the best model on
    every scored series; losing a company series is an ERROR, a region or team one a WARN."""
    by_series: dict[str, dict] = {}
    for series, level, model, mase, best in rows:
        entry = by_series.setdefault(series, {"series": series, "level": level, "best": best, "mase": {}})
        entry["mase"][model] = None if mase is None else float(mase)
    lost = [e for e in by_series.values() if e["best"] not in (None, "prophet")]
    unscored = [e["series"] for e in by_series.values() if e["best"] is None]
    table = [
        {"series": e["series"], "winner": e["best"], **{f"mase_{m}": v for m, v in e["mase"].items()}}
        for e in by_series.values()
    ]
    if not by_series:  # every series was skipped (weekly_actuals' metadata says why)
        return True, dg.AssetCheckSeverity.WARN, "no series has enough history to forecast yet", table
    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    parts = [
        f"{e['series']}: {e['best']} wins (MASE {fmt(e['mase'].get(e['best']))} "
        f"vs prophet {fmt(e['mase'].get('prophet'))})"
        for e in lost
    ]
    note = f"; not scored (under a year of history): {', '.join(unscored)}" if unscored else ""
    scored = len(by_series) - len(unscored)
    if not lost:
        return True, dg.AssetCheckSeverity.WARN, f"prophet is the best model on all {scored} scored series{note}", table
    severity = (
        dg.AssetCheckSeverity.ERROR if any(e["level"] == "company" for e in lost) else dg.AssetCheckSeverity.WARN
    )
    return False, severity, f"prophet loses on {len(lost)} of {scored} series: " + "; ".join(parts) + note, table


@dg.asset_check(
    asset=key("forecast_accuracy"),
    name="prophet_beats_baselines",
    description="Fails when a baseline (last week, same week last year) beats Prophet on the backtest (MASE).",
)
def prophet_beats_baselines(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as conn:
        rows = conn.execute(
            "select series, level, model, mase, best_model from forecasts.forecast_accuracy "
            "order by series, model"
        ).fetchall()
    passed, severity, text, table = accuracy_verdict(rows)
    return dg.AssetCheckResult(
        passed=passed, severity=severity, description=text,
        metadata={"verdict": text, "series": dg.MetadataValue.json(table)},
    )


# with the dbt views over the forecasts' tables (and their tests), rebuilt after a refit
forecast_assets = dg.AssetSelection.groups(GROUP).downstream()
weekly_forecasts_job = dg.define_asset_job(
    "weekly_forecasts", selection=forecast_assets,
    description="Weekly actuals, Prophet forecasts with backtest, capacity plan.",
)
weekly_forecasts_schedule = dg.ScheduleDefinition(
    name="weekly_forecasts_monday",
    job=weekly_forecasts_job,
    cron_schedule="0 6 * * 1",
    execution_timezone=shared().company_tz,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Mondays 06:00 company time, once last week is complete.",
)

defs = dg.Definitions(
    assets=[weekly_actuals, prophet_forecasts, capacity_plan],
    asset_checks=[prophet_beats_baselines],
    jobs=[weekly_forecasts_job],
    schedules=[weekly_forecasts_schedule],
    resources={WAREHOUSE_KEY: warehouse_resource()},
)
