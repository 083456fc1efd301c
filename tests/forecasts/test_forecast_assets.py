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
    accuracy_verdict,
    capacity_plan,
    prophet_beats_baselines,
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
        result = dg.materialize(
            [weekly_actuals, prophet_forecasts, capacity_plan, prophet_beats_baselines],
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


def test_the_backtest_table_holds_prophet_and_both_baselines_for_every_series(materialised):
    _, conn = materialised
    rows = q(conn, "select series, array_agg(model order by model), count(*) filter (where is_best), "
                   "min(n_cutoffs), max(last_cutoff) from forecasts.forecast_accuracy group by 1")
    assert len(rows) == 10
    for name, models, best, n_cutoffs, last_cutoff in rows:
        assert models == ["last_week", "prophet", "same_week_last_year"], name
        if name.endswith("region:EKB"):  # under a year of history: nothing to score against last year
            assert (best, n_cutoffs) == (0, 0)
        else:
            assert best == 1 and n_cutoffs == 7 and last_cutoff == LAST_WEEK - timedelta(14), name


def test_the_check_says_which_model_wins(materialised):
    result, conn = materialised
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 1
    ev = evaluations[0]
    text = ev.metadata["verdict"].value
    losers = q(conn, "select distinct series, best_model from forecasts.forecast_accuracy "
                     "where best_model <> 'prophet'")
    assert ev.passed == (not losers)
    for series, winner in losers:
        assert f"{series}: {winner} wins" in text
    assert "not scored (under a year of history): hours:region:EKB, tickets:region:EKB" in text


def test_the_verdict_on_hand_made_rows():
    rows = [
        ("tickets:company", "company", "prophet", 0.9, "last_week"),
        ("tickets:company", "company", "last_week", 0.8, "last_week"),
        ("tickets:company", "company", "same_week_last_year", 1.2, "last_week"),
        ("hours:team:1", "team", "prophet", 0.5, "prophet"),
        ("hours:team:1", "team", "last_week", 0.8, "prophet"),
        ("hours:team:1", "team", "same_week_last_year", 0.7, "prophet"),
    ]
    passed, severity, text, _ = accuracy_verdict(rows)
    assert not passed and severity == dg.AssetCheckSeverity.ERROR
    assert text == "prophet loses on 1 of 2 series: tickets:company: last_week wins (MASE 0.800 vs prophet 0.900)"
    passed, _, text, _ = accuracy_verdict(rows[3:])
    assert passed and text == "prophet is the best model on all 1 scored series"
    team_only = [(s.replace("hours:team:1", "x"), lv, m, v, "same_week_last_year") for s, lv, m, v, _ in rows[3:]]
    passed, severity, _, _ = accuracy_verdict(team_only)
    assert not passed and severity == dg.AssetCheckSeverity.WARN


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
    acc = "select series, model, mape, mase, is_best from forecasts.forecast_accuracy order by 1, 2"
    before, before_acc = q(conn, sql), q(conn, acc)
    conn.commit()
    run_all(module_db, ForecastSettings(workers=1))  # in-process this time, not the pool
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
        [weekly_actuals, prophet_forecasts, capacity_plan, prophet_beats_baselines],
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
