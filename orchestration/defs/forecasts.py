"""Forecast assets: thin wrappers around the `forecasts` library (docs/forecasts.md).

forecasts/weekly_actuals  <- dbt marts fct_tickets, fct_time_entries, dim_engineers
forecasts/weekly_forecast, forecast_accuracy, model_choice, backtest_points, forecast_models  (one run)
forecasts/capacity_plan   <- weekly_forecast, dbt fct_shifts
check bands_hold on model_choice; schedule: Mondays 06:00 company time.
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


FIT_TABLES = ("weekly_forecast", "forecast_accuracy", "model_choice", "backtest_points", "forecast_models")
_FIT_DESCRIPTIONS = {
    "weekly_forecast": "The chosen model's forecast, 12 weeks ahead, with an 80% band from its backtest errors.",
    "forecast_accuracy": "Rolling-origin backtest: MASE, MAPE, bias and band coverage of every candidate.",
    "model_choice": "Per series the chosen model, its MASE, the best baseline, the runner-up and the reason.",
    "backtest_points": "Every backtest forecast point (series, model, cutoff, week).",
    "forecast_models": "The final Prophet model as JSON when Prophet is chosen, else the model's name.",
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
        found = read_actuals(conn, settings)
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


COVERAGE_RANGE = (0.7, 0.9)  # an 80 % band outside this on its own backtest does not hold


def choice_verdict(rows: list[tuple]) -> tuple[bool, str, list[dict]]:
    """rows: (series, model, mase, best_baseline_mase, coverage, reason). Fails (WARN) when a
    chosen model's band covered its backtest actuals outside COVERAGE_RANGE."""
    table = [{"series": s, "model": m, "mase": None if x is None else float(x),
              "best_baseline_mase": None if b is None else float(b),
              "coverage": None if c is None else float(c), "reason": r} for s, m, x, b, c, r in rows]
    if not rows:  # every series was skipped (weekly_actuals' metadata says why)
        return True, "no series has enough history to forecast yet", table
    lo, hi = COVERAGE_RANGE
    off = [t for t in table if t["coverage"] is not None and not lo <= t["coverage"] <= hi]
    counts: dict[str, int] = {}
    for t in table:
        counts[t["model"]] = counts.get(t["model"], 0) + 1
    chosen = ", ".join(f"{m} {n}" for m, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    if not off:
        return True, f"{len(table)} series, models chosen: {chosen}; every band covers {lo:.0%}-{hi:.0%}", table
    parts = [f"{t['series']}: {t['model']} band covers {t['coverage']:.0%}" for t in off]
    return False, f"{len(off)} of {len(table)} bands do not hold: " + "; ".join(parts), table


@dg.asset_check(
    asset=key("model_choice"),
    name="bands_hold",
    description="Lists the model chosen per series; warns when a band's backtest coverage is outside 70-90 %.",
)
def bands_hold(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as conn:
        rows = conn.execute(
            "select series, model, mase, best_baseline_mase, coverage, reason from forecasts.model_choice "
            "order by series"
        ).fetchall()
    passed, text, table = choice_verdict(rows)
    return dg.AssetCheckResult(
        passed=passed, severity=dg.AssetCheckSeverity.WARN, description=text,
        metadata={"verdict": text, "series": dg.MetadataValue.json(table)},
    )


# with the dbt views over the forecasts' tables (and their tests), rebuilt after a refit
forecast_assets = dg.AssetSelection.groups(GROUP).downstream()
weekly_forecasts_job = dg.define_asset_job(
    "weekly_forecasts", selection=forecast_assets,
    description="Weekly actuals, backtest and a model per series, forecasts with calibrated bands, capacity plan.",
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
    asset_checks=[bands_hold],
    jobs=[weekly_forecasts_job],
    schedules=[weekly_forecasts_schedule],
    resources={WAREHOUSE_KEY: warehouse_resource()},
)
