"""The Dagster forecast assets materialise on contract-shaped marts in a fresh database."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import psycopg
import pytest
from fc_world import World, build_world

from forecasts.run import run_all
from forecasts.settings import ForecastSettings
from orchestration.defs.forecasts import (
    bands_hold,
    capacity_plan,
    choice_verdict,
    prophet_forecasts,
    weekly_actuals,
)
from orchestration.resources import WarehouseResource

LAST_WEEK = date(2026, 10, 19)  # the world's data ends on Thursday 29 October 15:00 Moscow


@pytest.fixture(scope="module")
def materialised(module_db):
    build_world(module_db)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORECAST_WORKERS", "2")  # the process pool here; in-process later, same numbers
        mp.setenv("FORECAST_PROPHET_MAX_SERIES", "2")  # Prophet's fits are the slow part: two series
        result = dg.materialize(
            [weekly_actuals, prophet_forecasts, capacity_plan, bands_hold],
            resources={"warehouse": WarehouseResource(url=module_db)},
        )
    assert result.success
    with psycopg.connect(module_db) as conn:
        yield result, conn


def q(conn, sql):
    return conn.execute(sql).fetchall()


def test_every_series_gets_12_weeks_after_the_last_complete_week(materialised):
    _, conn = materialised
    series = {r[0] for r in q(conn, "select distinct series from forecasts.weekly_actuals")}
    # company and two regions for both metrics, teams 1 and 2; team 3 has under 52 weeks
    assert series == {
        f"{m}:{s}" for m in ("tickets", "hours")
        for s in ("company", "region:MSK", "region:EKB", "team:1", "team:2")
    }
    rows = q(conn, "select series, min(week_start), max(week_start), count(*), bool_and(yhat_lower <= yhat "
                   "and yhat <= yhat_upper), count(distinct model_version) from forecasts.weekly_forecast group by 1")
    assert {r[0] for r in rows} == series
    for name, first, last, n, ordered, versions in rows:
        assert (first, last, n) == (LAST_WEEK + timedelta(7), LAST_WEEK + timedelta(7 * 12), 12), name
        assert ordered and versions == 1
    assert q(conn, "select max(week_start) from forecasts.weekly_actuals") == [(LAST_WEEK,)]
    models = q(conn, "select count(*), bool_and(model_json like '{%') from forecasts.forecast_models")
    assert models == [(10, True)]


def test_every_candidate_is_scored_and_one_model_is_chosen_per_series(materialised):
    _, conn = materialised
    rows = q(conn, "select series, array_agg(model order by model), count(*) filter (where is_best), "
                   "min(n_cutoffs), max(last_cutoff), bool_and(coverage between 0 and 1) "
                   "from forecasts.forecast_accuracy group by 1")
    assert len(rows) == 10
    with_prophet = {r[0] for r in rows if "prophet" in r[1]}
    assert with_prophet == {"tickets:company", "hours:company"}  # the two largest series
    for name, models, best, n_cutoffs, last_cutoff, covered in rows:
        assert {"last_week", "moving_average", "theta", "ensemble"} <= set(models), name
        assert best == 1 and covered and last_cutoff == LAST_WEEK - timedelta(14), name
        if name.endswith("region:EKB"):  # under a year of history: no same week last year to copy
            assert "same_week_last_year" not in models and n_cutoffs < 26
        else:
            assert "same_week_last_year" in models and n_cutoffs == 26, name
        if name in with_prophet:  # the company's own series: Russian holidays are a candidate
            assert "prophet_holidays" in models, name
    choices = q(conn, "select c.series, c.model, c.reason, c.coverage, f.model, f.band_coverage "
                      "from forecasts.model_choice c join forecasts.weekly_forecast f using (series) "
                      "where f.horizon = 1")
    assert len(choices) == 10
    for name, model, reason, coverage, forecast_model, band_coverage in choices:
        assert model == forecast_model and coverage == band_coverage and reason, name


def test_the_check_lists_the_choice_and_the_bands(materialised):
    result, conn = materialised
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 1
    ev = evaluations[0]
    text = ev.metadata["verdict"].value
    off = q(conn, "select series from forecasts.model_choice where coverage not between 0.7 and 0.9")
    assert ev.passed == (not off)
    assert text.startswith("10 series, models chosen: ") or "bands do not hold" in text
    for (series,) in off:
        assert series in text


def test_the_verdict_on_hand_made_rows():
    rows = [
        ("tickets:company", "prophet", 0.5, 0.8, 0.81, "MASE 0.500, 37.5 % below the best baseline"),
        ("hours:team:1", "last_week", 0.9, 0.9, 0.62, "lowest backtest MASE"),
    ]
    passed, text, table = choice_verdict(rows)
    assert not passed
    assert text == "1 of 2 bands do not hold: hours:team:1: last_week band covers 62%"
    passed, text, _ = choice_verdict(rows[:1])
    assert passed and text == "1 series, models chosen: prophet 1; every band covers 70%-90%"
    assert choice_verdict([])[1] == "no series has enough history to forecast yet"


def test_the_capacity_plan_covers_every_hours_series(materialised):
    _, conn = materialised
    rows = q(conn, "select series, count(*), sum(scheduled_shifts), bool_and(capacity_gap_hours = forecast_hours "
                   "- scheduled_hours and capacity_basis = 'schedule'), bool_and(extra_shifts_needed >= 0), "
                   "min(typical_shift_hours), max(typical_shift_hours) from forecasts.capacity_plan "
                   "group by 1 order by 1")
    assert [r[0] for r in rows] == ["hours:company", "hours:region:EKB", "hours:region:MSK", "hours:team:1",
                                   "hours:team:2"]
    for name, n, shifts, consistent, nonneg, tmin, tmax in rows:
        assert n == 12 and shifts > 0 and consistent and nonneg, name
        assert tmin == tmax == 8, name  # regular day shifts are 8 hours in the world


def test_same_data_gives_the_same_numbers(materialised, module_db):
    _, conn = materialised
    sql = ("select series, week_start, yhat, yhat_lower, yhat_upper from forecasts.weekly_forecast "
           "order by 1, 2")
    acc = "select series, model, mape, mase, coverage, is_best from forecasts.forecast_accuracy order by 1, 2"
    before, before_acc = q(conn, sql), q(conn, acc)
    conn.commit()
    run_all(module_db, ForecastSettings(workers=1, prophet_max_series=2))  # in-process this time, not the pool
    assert q(conn, sql) == before
    assert q(conn, acc) == before_acc


def test_the_code_location_has_the_forecast_assets_and_the_monday_schedule():
    from orchestration.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"forecasts/weekly_actuals", "forecasts/weekly_forecast", "forecasts/forecast_accuracy",
            "forecasts/capacity_plan"} <= keys
    schedule = defs.resolve_schedule_def("weekly_forecasts_monday")
    assert schedule.cron_schedule == "0 6 * * 1"
    assert schedule.execution_timezone == "Europe/Moscow"
    graph = defs.resolve_asset_graph()
    parents = {p.to_user_string() for p in graph.get(dg.AssetKey(["forecasts", "weekly_actuals"])).parent_keys}
    assert parents == {"marts/fct_tickets", "marts/fct_time_entries", "marts/dim_engineers"}


def test_a_young_world_materialises_with_nothing_to_forecast_and_says_why(fresh_db):
    """Two months of history (the tiny profile's size): every series is skipped with its reason,
    the tables are empty, nothing fails."""
    build_world(fresh_db, World(start=date(2026, 9, 2), team3_start=date(2026, 9, 2), shifts_until=date(2026, 11, 30)))
    result = dg.materialize(
        [weekly_actuals, prophet_forecasts, capacity_plan, bands_hold],
        resources={"warehouse": WarehouseResource(url=fresh_db)},
    )
    assert result.success
    [actuals] = [e.materialization for e in result.get_asset_materialization_events()
                 if e.asset_key == dg.AssetKey(["forecasts", "weekly_actuals"])]
    skipped = actuals.metadata["skipped"].value
    assert {"series": "tickets:company", "reason": "7 complete weeks of history, 26 needed"} in skipped
    check = result.get_asset_check_evaluations()[0]
    assert check.passed and check.metadata["verdict"].value == "no series has enough history to forecast yet"
    with psycopg.connect(fresh_db) as conn:
        assert q(conn, "select count(*) from forecasts.weekly_forecast") == [(0,)]
        assert q(conn, "select series_count, last_actual_week from forecasts.runs") == [(0, date(2026, 10, 19))]
