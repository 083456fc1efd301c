"""One forecast run: actuals -> backtest of every candidate -> a model per series -> capacity plan.

Each step reads and writes the `forecasts` schema, so the Dagster assets are thin wrappers
(orchestration/defs/forecasts.py) and `python -m forecasts run` does the same in one go.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import psycopg

from forecasts.backtest import (
    Score,
    backtest,
    candidates,
    cutoffs,
    forecast_all_candidates,
    forecast_with,
    score,
)
from forecasts.calendar import holiday_workdays
from forecasts.capacity import (
    capacity_row,
    hours,
    is_published,
    schedule_horizon,
    scheduled_hours,
    typical_shift_hours,
)
from forecasts.checks import check_weekly
from forecasts.choice import Choice, choose, fallback_reason
from forecasts.intervals import band, offsets
from forecasts.series import Series, SeriesSet, load_series
from forecasts.settings import ForecastSettings
from forecasts.store import ensure_schema, replace_rows


def model_version(settings: ForecastSettings) -> str:
    from statsforecast import __version__ as SF_VERSION  # noqa: N812

    from forecasts.model import PROPHET_VERSION

    digest = hashlib.sha256(json.dumps(settings.fingerprint(), sort_keys=True).encode()).hexdigest()
    return f"choice-prophet{PROPHET_VERSION}-sf{SF_VERSION}-{digest[:8]}"


# ------------------------------------------------------------------ actuals
ACTUAL_COLUMNS = ["series", "metric", "level", "level_key", "label", "week_start", "value", "holiday_workdays"]


def actual_rows(series: Iterable[Series]) -> Iterable[tuple]:
    for s in series:
        for week, value in s.values.items():
            day = pd.Timestamp(week).date()
            yield (s.name, s.metric, s.level, s.key, s.label, day, round(float(value), 2), holiday_workdays(day))


def write_actuals(conn: psycopg.Connection, found: SeriesSet) -> int:
    """The series and, in `actuals_meta`, what they are as of and what was skipped (so the
    forecast step reads only the forecasts schema)."""
    ensure_schema(conn)
    skipped = json.dumps([{"series": n, "reason": r} for n, r in found.skipped], ensure_ascii=False)
    replace_rows(conn, "actuals_meta", ["as_of", "last_week", "skipped"], [(found.as_of, found.last_week, skipped)])
    return replace_rows(conn, "weekly_actuals", ACTUAL_COLUMNS, actual_rows(found.series))


def read_actuals(conn: psycopg.Connection, settings: ForecastSettings | None = None) -> SeriesSet:
    country = (settings or ForecastSettings()).company_country
    meta = conn.execute("select as_of, last_week, skipped from forecasts.actuals_meta").fetchone()
    if meta is None:
        raise RuntimeError("forecasts.actuals_meta is empty: materialise forecasts/weekly_actuals first")
    rows = conn.execute(
        "select series, metric, level, level_key, label, week_start, value::float8 "
        "from forecasts.weekly_actuals order by series, week_start"
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["series", "metric", "level", "key", "label", "week_start", "value"])
    out = SeriesSet(as_of=meta[0], last_week=meta[1], skipped=[(x["series"], x["reason"]) for x in meta[2]])
    for _, part in frame.groupby("series", sort=True):
        first = part.iloc[0]
        values = pd.Series(part["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(pd.to_datetime(part["week_start"])))
        values.index.name = "week_start"
        key = None if pd.isna(first["key"]) else str(first["key"])
        # the warehouse's series are the company's own: its country's holidays apply
        out.series.append(Series(first["metric"], first["level"], key, first["label"], values, country))
    return out


# ------------------------------------------------------------------ forecasts
@dataclass
class SeriesOutcome:
    series: Series
    forecast: pd.DataFrame  # ds, yhat, yhat_lower, yhat_upper (the chosen model, calibrated band)
    model_json: str
    points: pd.DataFrame  # backtest points (backtest.POINT_COLUMNS)
    scores: list[Score]
    seconds: float
    choice: Choice | None = None


def naive_offsets(values: np.ndarray, horizon: int, width: float) -> np.ndarray:
    """Band offsets without a backtest: the quantiles of the history's own h-week changes."""
    out = np.zeros((horizon, 2))
    for h in range(1, horizon + 1):
        d = values[h:] - values[:-h] if len(values) > h else np.array([])
        if len(d) >= 5:
            out[h - 1] = np.quantile(d, [(1 - width) / 2, (1 + width) / 2])
        elif h > 1:
            out[h - 1] = out[h - 2]
    return out


def forecast_series(series: Series, cuts: list[pd.Timestamp], settings: ForecastSettings,
                    prophet: bool = True) -> SeriesOutcome:
    """The backtest at `cuts`, the choice, and the chosen model's forecast with a band from
    its backtest errors (runs in a worker process). `prophet=False` leaves Prophet out."""
    started = time.perf_counter()
    values = series.values
    check_weekly(values, series.name)
    simple_only = fallback_reason(values, settings) is not None
    holidays = prophet and series.country is not None and series.country == settings.company_country
    points = backtest(values, cuts, settings, prophet=prophet and not simple_only, holidays=holidays)
    if simple_only and not points.empty:  # the cheap ones are enough to show what the fallback costs
        points = points[points["model"].isin(["last_week", "moving_average", "same_week_last_year"])]
    scores = score(points, settings)
    choice = choose(scores, values, settings)
    horizon = settings.horizon_weeks
    weeks = pd.date_range(values.index[-1] + pd.Timedelta(days=7), periods=horizon, freq="W-MON")
    if choice.model in ("prophet", "prophet_holidays"):
        from forecasts.model import fit, model_to_json, predict

        model = fit(values, settings, uncertainty=False, holidays=choice.model == "prophet_holidays")
        yhat = predict(model, horizon, settings.seed)["yhat"].to_numpy(dtype=float)
        model_json = model_to_json(model)
    elif choice.model == "ensemble":
        _, models = candidates(values, cuts, settings, prophet=prophet, holidays=holidays)
        models = tuple(m for m in models if m in set(points["model"]))
        yhat = forecast_all_candidates(models, values, weeks, settings)["ensemble"]
        model_json = json.dumps({"model": "ensemble", "median_of": [m for m in models if m != "ensemble"]})
    else:
        yhat = forecast_with(choice.model, values, weeks, settings)
        model_json = json.dumps({"model": choice.model})
    mine = points[points["model"] == choice.model] if not points.empty else points
    if len(mine) >= 5:
        off = offsets(mine["horizon"].to_numpy(dtype=int), (mine["actual"] - mine["yhat"]).to_numpy(dtype=float),
                      horizon, settings.interval_width)
    else:
        off = naive_offsets(values.to_numpy(dtype=float), horizon, settings.interval_width)
    lower, upper = band(yhat, off, clip_zero=bool(values.min() >= 0))
    forecast = pd.DataFrame({"ds": weeks, "yhat": yhat, "yhat_lower": lower, "yhat_upper": upper})
    return SeriesOutcome(series, forecast, model_json, points, scores, time.perf_counter() - started, choice)


def prophet_series(series: list[Series], settings: ForecastSettings) -> set[str]:
    """The series Prophet is a candidate for: company first, then regions, then teams; larger first."""
    level = {"company": 0, "region": 1, "team": 2}
    ranked = sorted(series, key=lambda s: (level.get(s.level, 3), -float(np.abs(s.values.iloc[-52:]).mean()), s.name))
    return {s.name for s in ranked[: settings.prophet_max_series]}


def choose_workers(settings: ForecastSettings, n_series: int) -> int:
    if settings.workers:
        return settings.workers
    # a pool costs a few seconds of imports (once: workers fork from a preloaded forkserver);
    # worth it from about a dozen series (the demo has 20)
    return 1 if n_series < 12 else max(1, min(2, os.cpu_count() or 1))


@dataclass
class ForecastRun:
    generated_at: datetime
    model_version: str
    last_week: date | None
    outcomes: list[SeriesOutcome] = field(default_factory=list)
    workers: int = 1
    seconds: float = 0.0


def forecast_all(series: list[Series], settings: ForecastSettings) -> ForecastRun:
    started = time.perf_counter()
    if not series:  # too little history everywhere (a young world): empty tables, not a failure
        return ForecastRun(datetime.now(UTC).replace(microsecond=0), model_version(settings), None)
    last = max(s.values.index[-1] for s in series)
    cuts = cutoffs(last, settings)
    workers = choose_workers(settings, len(series))
    with_prophet = prophet_series(series, settings)
    if workers == 1:
        outcomes = [forecast_series(s, cuts, settings, s.name in with_prophet) for s in series]
    else:
        # never fork the (threaded) Dagster process itself: a forkserver imports prophet once
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["forecasts.model", "forecasts.run", "statsforecast.models"])
        # the Prophet series first: the long jobs start early and the cheap ones fill the gaps
        order = sorted(range(len(series)), key=lambda i: series[i].name not in with_prophet)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {i: pool.submit(forecast_series, series[i], cuts, settings, series[i].name in with_prophet)
                       for i in order}
            outcomes = [futures[i].result() for i in range(len(series))]
    return ForecastRun(
        generated_at=datetime.now(UTC).replace(microsecond=0),
        model_version=model_version(settings),
        last_week=pd.Timestamp(last).date(),
        outcomes=outcomes,
        workers=workers,
        seconds=time.perf_counter() - started,
    )


FORECAST_COLUMNS = [
    "series", "metric", "level", "level_key", "label", "week_start", "horizon",
    "yhat", "yhat_lower", "yhat_upper", "model", "band_coverage", "model_version", "generated_at",
]
ACCURACY_COLUMNS = [
    "series", "metric", "level", "level_key", "label", "model", "cutoffs", "n_cutoffs",
    "first_cutoff", "last_cutoff", "horizon_weeks", "n_points", "mape", "mase", "bias_pct", "coverage",
    "is_best", "best_model", "generated_at",
]
CHOICE_COLUMNS = [
    "series", "metric", "level", "level_key", "label", "model", "mase", "best_baseline", "best_baseline_mase",
    "runner_up", "runner_up_mase", "coverage", "holidays_used", "reason", "n_cutoffs", "n_points", "generated_at",
]
POINT_COLUMNS = ["series", "model", "cutoff", "week_start", "horizon", "actual", "yhat"]


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), digits)


def write_forecasts(conn: psycopg.Connection, run: ForecastRun, settings: ForecastSettings) -> dict[str, int]:
    ensure_schema(conn)
    fc, acc, pts, models, choices = [], [], [], [], []
    for o in run.outcomes:
        s = o.series
        c = o.choice
        head = (s.name, s.metric, s.level, s.key, s.label)
        for h, row in enumerate(o.forecast.itertuples(index=False), start=1):
            fc.append((*head, pd.Timestamp(row.ds).date(), h, _r(row.yhat), _r(row.yhat_lower),
                       _r(row.yhat_upper), c.model, _r(c.coverage, 3), run.model_version, run.generated_at))
        for x in o.scores:
            days = [pd.Timestamp(d).date() for d in x.cutoffs]
            acc.append((*head, x.model, days, len(days), min(days, default=None), max(days, default=None),
                        settings.horizon_weeks, x.n_points, _r(x.mape), _r(x.mase, 3), _r(x.bias), _r(x.coverage, 3),
                        x.model == c.model, c.model, run.generated_at))
        chosen = next((x for x in o.scores if x.model == c.model), None)
        choices.append((*head, c.model, _r(c.mase, 3), c.best_baseline, _r(c.best_baseline_mase, 3), c.runner_up,
                        _r(c.runner_up_mase, 3), _r(c.coverage, 3), c.holidays_used, c.reason,
                        len(chosen.cutoffs) if chosen else 0, chosen.n_points if chosen else 0, run.generated_at))
        for p in o.points.itertuples(index=False):
            pts.append((s.name, p.model, pd.Timestamp(p.cutoff).date(), pd.Timestamp(p.week_start).date(),
                        int(p.horizon), _r(p.actual), _r(p.yhat)))
        models.append((s.name, run.model_version, run.last_week, run.generated_at, o.model_json))
    return {
        "weekly_forecast": replace_rows(conn, "weekly_forecast", FORECAST_COLUMNS, fc),
        "forecast_accuracy": replace_rows(conn, "forecast_accuracy", ACCURACY_COLUMNS, acc),
        "model_choice": replace_rows(conn, "model_choice", CHOICE_COLUMNS, choices),
        "backtest_points": replace_rows(conn, "backtest_points", POINT_COLUMNS, pts),
        "forecast_models": replace_rows(
            conn, "forecast_models",
            ["series", "model_version", "trained_through", "generated_at", "model_json"], models,
        ),
    }


# ------------------------------------------------------------------ capacity
CAPACITY_COLUMNS = [
    "series", "level", "level_key", "label", "week_start", "forecast_hours", "forecast_hours_upper",
    "scheduled_hours", "scheduled_shifts", "schedule_published", "roster_hours", "capacity_basis",
    "typical_shift_hours", "capacity_gap_hours", "extra_shifts_needed", "band_coverage", "generated_at",
]
ROSTER_WEEKS = 4


def build_capacity(conn: psycopg.Connection, settings: ForecastSettings) -> list[tuple]:
    rows = conn.execute(
        "select series, level, level_key, label, week_start, yhat, yhat_upper, band_coverage, generated_at "
        "from forecasts.weekly_forecast where metric = 'hours' order by series, week_start"
    ).fetchall()
    if not rows:
        return []
    first = min(r[4] for r in rows)
    last = max(r[4] for r in rows) + timedelta(days=7)
    roster_weeks = [first - timedelta(days=7 * (i + 1)) for i in range(ROSTER_WEEKS)]
    scheduled = scheduled_hours(conn, settings.company_tz, roster_weeks[-1], last)
    typical = typical_shift_hours(conn)
    horizon = schedule_horizon(conn, settings.company_tz)
    out = []
    for series, level, key, label, week, yhat, upper, coverage, generated_at in rows:
        scope = (level, None if level == "company" else key)
        weeks = scheduled.get(scope, {})
        sched, count = weeks.get(week, (Decimal(0), 0))
        roster = sum((weeks.get(w, (Decimal(0), 0))[0] for w in roster_weeks), Decimal(0)) / len(roster_weeks)
        published = is_published(week, horizon)
        length = typical.get(scope, typical.get(("company", None)))
        c = capacity_row(week, yhat, sched if published else roster, count, length)
        out.append((series, level, key, label, week, c.forecast_hours, upper, hours(sched), count, published,
                    hours(roster), "schedule" if published else "usual_roster", c.typical_shift_hours,
                    c.capacity_gap_hours, c.extra_shifts_needed, coverage, generated_at))
    return out


def write_capacity(conn: psycopg.Connection, settings: ForecastSettings) -> int:
    ensure_schema(conn)
    return replace_rows(conn, "capacity_plan", CAPACITY_COLUMNS, build_capacity(conn, settings))


def write_run(conn: psycopg.Connection, found: SeriesSet, run: ForecastRun, seconds: float) -> None:
    with conn.transaction():
        conn.execute(
            "insert into forecasts.runs values (%s, %s, %s, %s, %s, %s, %s) on conflict do nothing",
            (run.generated_at, found.as_of, found.last_week, run.model_version, len(run.outcomes),
             json.dumps([{"series": n, "reason": r} for n, r in found.skipped], ensure_ascii=False),
             round(seconds, 2)),
        )


# ------------------------------------------------------------------ all of it
def run_all(url: str, settings: ForecastSettings | None = None) -> dict[str, object]:
    """Every step against the warehouse at `url`; returns figures (and the timings)."""
    from warehouse import connect

    settings = settings or ForecastSettings()
    t0 = time.perf_counter()
    with connect(url) as conn:
        n_actuals = write_actuals(conn, load_series(conn, settings))
        t1 = time.perf_counter()
        found = read_actuals(conn, settings)
        run = forecast_all(found.series, settings)
        t2 = time.perf_counter()
        written = write_forecasts(conn, run, settings)
        n_capacity = write_capacity(conn, settings)
        t3 = time.perf_counter()
        write_run(conn, found, run, t3 - t0)
    chosen: dict[str, int] = {}
    for o in run.outcomes:
        chosen[o.choice.model] = chosen.get(o.choice.model, 0) + 1
    return {
        "series": len(run.outcomes),
        "skipped": len(found.skipped),
        "last_actual_week": found.last_week.isoformat(),
        "cutoffs": len(cutoffs(pd.Timestamp(found.last_week), settings)) if run.outcomes else 0,
        "workers": run.workers,
        "actual_rows": n_actuals,
        **{f"{k}_rows": v for k, v in written.items()},
        "capacity_rows": n_capacity,
        "chosen_models": dict(sorted(chosen.items())),
        "seconds_series": round(t1 - t0, 2),
        "seconds_fit": round(t2 - t1, 2),
        "seconds_write": round(t3 - t2, 2),
        "seconds_total": round(t3 - t0, 2),
    }
