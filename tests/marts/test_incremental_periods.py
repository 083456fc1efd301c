"""Incremental by period, checked by hand on a warehouse of a few hand-written rows.

The period marts (docs/incremental.md) recompute only the periods a record loaded since
their last build can reach. Here the upstream relations of
`mart_engineer_kpi` are small hand-made tables (only the columns the mart reads), so every
figure can be checked on paper:

* engineer E1 completes one ticket in January 2026 (complexity coefficient 1.25), one in
  June and one in November 2026 (the newest activity);
* full build -> January weighted_closed = 1.25;
* two sentinels are written into the mart: June and November csat_count = 99 (no run
  computes 99: the tickets have no CSAT);
* a late change: the January ticket's coefficient becomes 2.0 and the ticket is re-loaded
  (`_source_loaded_at` = now);
* incremental run -> January weighted_closed = 2.0 (the late change reprocessed its month),
  June still 99 (a month no changed record reaches is not recomputed), November 0 again
  (the newest months are always recomputed: their repeat window is still open);
* a full refresh afterwards equals the incremental state except June's sentinel.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from warehouse import dbt_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

CODES = [
    "points_rate_rub",
    "complexity_1",
    "complexity_2",
    "complexity_3",
    "complexity_4",
    "complexity_5",
    "sla_breach_factor",
    "urgency_weight_max",
    "escalation_bonus",
    "repeat_window_days",
    "repeat_penalty_share",
    "hourly_work_share",
    "kpi_sla_high_threshold",
    "kpi_sla_high_multiplier",
    "kpi_sla_low_threshold",
    "kpi_sla_low_multiplier",
    "load_w_sites",
    "load_w_fleet",
    "load_w_hours",
    "load_w_complexity",
]

UPSTREAM = f"""
create schema if not exists marts;
create schema if not exists intermediate;
create schema if not exists staging;
create schema if not exists raw_meta;
create table raw_meta.loads (load_id bigint, source text, entity text, started_at timestamptz,
    finished_at timestamptz, status text, rows_inserted bigint, rows_vanished bigint, rows_rejected bigint,
    error text);
create table marts.fct_tickets (ticket_id bigint, personnel_no text, created_at timestamptz,
    completed_at timestamptz, last_completed_at timestamptz, status_code text, deadline_at timestamptz,
    site_code text, equipment_serials text[], csat int, sla_reaction_met boolean, is_deleted boolean,
    team_id bigint, work_type text, _source_loaded_at timestamptz);
insert into marts.fct_tickets values
    (1, 'E1', '2026-01-14 09:00+03', '2026-01-15 12:00+03', '2026-01-15 12:00+03', 'completed', null,
     'S1', '{{}}', null, null, false, 1, 'diagnostics', '2026-11-20 00:00+00'),
    (2, 'E1', '2026-06-09 09:00+03', '2026-06-10 12:00+03', '2026-06-10 12:00+03', 'completed', null,
     'S2', '{{}}', null, null, false, 1, 'diagnostics', '2026-11-20 00:00+00'),
    (3, 'E1', '2026-11-17 09:00+03', '2026-11-18 12:00+03', '2026-11-18 12:00+03', 'completed', null,
     'S3', '{{}}', null, null, false, 1, 'diagnostics', '2026-11-20 00:00+00');
create table marts.fct_time_entries (time_entry_id bigint, personnel_no text, logged_at timestamptz,
    hours numeric, activity text, _source_loaded_at timestamptz);
create table intermediate.int_time_entries_enriched (time_entry_id bigint, logged_at timestamptz,
    is_deleted boolean, _source_loaded_at timestamptz);
create table marts.fct_shifts (shift_id text, personnel_no text, shift_type text, planned_start timestamptz,
    planned_end timestamptz, actual_start timestamptz, actual_end timestamptz, status text, worked_hours numeric,
    is_deleted boolean, updated_at timestamptz, _source_loaded_at timestamptz);
create table intermediate.int_helpdesk_employees_matched (employee_id bigint, personnel_no text,
    _loaded_at timestamptz);
create table marts.dim_engineers (personnel_no text, full_name text, team_id bigint, team_name text,
    region_code text, region_name text, hired_on date, left_on date);
insert into marts.dim_engineers values ('E1', 'Иванов Иван', 1, 'Москва: группа 1', 'Москва', 'Москва', null, null);
create table marts.dim_sites (site_code text, assigned_personnel_no text);
create table marts.dim_equipment (serial_number text, assigned_personnel_no text);
create table intermediate.int_bonus__coefficient_sets as
    select '2020-01-01 00:00+03'::timestamptz as valid_from, null::timestamptz as valid_to,
        {", ".join(f"1::numeric as {c}" for c in CODES if c != "repeat_window_days")},
        30::numeric as repeat_window_days;
create table marts.dim_points_prices (work_type text, points numeric, valid_from timestamptz, valid_to timestamptz);
create table marts.dim_duty_tariffs (shift_type text, rate numeric, valid_from timestamptz, valid_to timestamptz);
create table marts.dim_service_tariffs (work_type text, client_rate numeric, engineer_cost numeric,
    valid_from timestamptz, valid_to timestamptz);
create table intermediate.int_bonus__ticket_points (ticket_id bigint, complexity_coef numeric, period_start date);
insert into intermediate.int_bonus__ticket_points values
    (1, 1.25, '2026-01-01'), (2, 1.0, '2026-06-01'), (3, 1.0, '2026-11-01');
create table intermediate.int_bonus__repeats (ticket_id bigint, repeated_at timestamptz, is_first_repeat boolean);
"""


def dbt(db_url: str, work: Path, *args: str) -> None:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", **dbt_env(db_url)}
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--project-dir",
            "dbt_project",
            "--profiles-dir",
            "dbt_project",
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"dbt {' '.join(args)} failed:\n{done.stdout[-5000:]}\n{done.stderr[-2000:]}"


def kpi(db_url: str) -> dict[date, tuple]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "select period_start, closed_tickets, weighted_closed, csat_count from marts.mart_engineer_kpi"
            " where personnel_no = 'E1' order by period_start"
        ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_a_late_change_reprocesses_its_month_and_leaves_the_others(fresh_db: str, tmp_path: Path) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(UPSTREAM)
    select = ["--select", "int_kpi__engineer_periods", "mart_engineer_kpi"]

    dbt(fresh_db, tmp_path, "run", *select, "--full-refresh")
    full = kpi(fresh_db)
    assert list(full) == [date(2026, m, 1) for m in range(1, 12)], "one row per month, January to November"
    assert full[date(2026, 1, 1)] == (1, 1.25, 0)
    assert full[date(2026, 6, 1)] == (1, 1.0, 0)
    assert full[date(2026, 3, 1)] == (0, 0, 0)
    with psycopg.connect(fresh_db) as conn:
        (processed_at,) = conn.execute(
            "select processed_at from dbt_state.incremental_runs where model = 'intermediate.int_kpi__engineer_periods'"
        ).fetchone()
    assert processed_at > datetime(2026, 11, 20, tzinfo=UTC), "the build recorded its run (its cutoff next time)"

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(
            "update marts.mart_engineer_kpi set csat_count = 99"
            " where period_start in ('2026-06-01', '2026-11-01')"
        )
        conn.execute(
            "update intermediate.int_bonus__ticket_points set complexity_coef = 2.0 where ticket_id = 1"
        )
        conn.execute("update marts.fct_tickets set _source_loaded_at = now() where ticket_id = 1")

    dbt(fresh_db, tmp_path, "run", *select)
    nightly = kpi(fresh_db)
    assert nightly[date(2026, 1, 1)] == (1, 2.0, 0), "the late change reprocessed January"
    assert nightly[date(2026, 6, 1)] == (1, 1.0, 99), "June (no changed record reaches it) was not recomputed"
    assert nightly[date(2026, 11, 1)] == (1, 1.0, 0), "the newest months are always recomputed"

    dbt(fresh_db, tmp_path, "run", *select, "--full-refresh")
    rebuilt = kpi(fresh_db)
    assert rebuilt == {**nightly, date(2026, 6, 1): (1, 1.0, 0)}


def test_a_changed_dimension_recomputes_every_period(fresh_db: str, tmp_path: Path) -> None:
    """An engineer renamed in 1C reaches every month of the KPI, and no fact moved: the load
    that wrote the new version of the card is what marks every period as touched."""
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(UPSTREAM)
    select = ["--select", "int_kpi__engineer_periods", "mart_engineer_kpi"]
    dbt(fresh_db, tmp_path, "run", *select, "--full-refresh")
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("update marts.mart_engineer_kpi set csat_count = 99 where period_start = '2026-06-01'")
        conn.execute("update marts.dim_engineers set full_name = 'Петров Иван' where personnel_no = 'E1'")
        # a load of 1C employees that wrote nothing new: not a change
        conn.execute("insert into raw_meta.loads values (1, 'onec', 'employees', now(), now(), 'success', 0, 0, 0, null)")

    dbt(fresh_db, tmp_path, "run", *select)
    with psycopg.connect(fresh_db) as conn:
        names = dict(conn.execute("select period_start, full_name from marts.mart_engineer_kpi").fetchall())
    assert names[date(2026, 6, 1)] == "Иванов Иван" and names[date(2026, 11, 1)] == "Петров Иван", \
        "a load without a new version touches no period of its own"

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("insert into raw_meta.loads values (2, 'onec', 'employees', now(), now(), 'success', 1, 0, 0, null)")
    dbt(fresh_db, tmp_path, "run", *select)
    with psycopg.connect(fresh_db) as conn:
        rows = conn.execute("select period_start, full_name, csat_count from marts.mart_engineer_kpi").fetchall()
    assert {r[1] for r in rows} == {"Петров Иван"}, "every month carries the new name"
    assert all(r[2] == 0 for r in rows), "June was recomputed too"


# --- every incremental table of this area, nightly vs a full rebuild --------------------------
#
# tests/orchestration/test_nightly.py runs the real nightly job twice across a simulated day on
# the tiny world and compares a list of tables with a full rebuild. The same run, here with
# Every table this area builds incrementally is also compared with a full rebuild after two
# nightly runs across a simulated day: tests/orchestration/test_nightly.py (its TABLES).


# --- a recomputed month left without rows loses its old rows ----------------------------------
#
# mart_contract_alerts is incremental by month; delete+insert alone deletes only the months
# present in the new batch, so a month whose only alert went away would keep it. The model
# writes one row without alert_id for such a month (removed by its post-hook).

ALERTS_UPSTREAM = """
create schema if not exists marts;
create schema if not exists intermediate;
create schema if not exists raw_meta;
create table raw_meta.loads (load_id bigint, source text, entity text, started_at timestamptz,
    finished_at timestamptz, status text, rows_rejected bigint, error text);
create table marts.mart_contract_usage (row_id text, contract_ref text, client_inn text, client_name text,
    contract_name text, period_start date, included_hours numeric(12, 2), used_hours numeric(12, 2),
    usage_ratio numeric(10, 4), traffic_light text, is_ratio_rated boolean);
insert into marts.mart_contract_usage values
    ('k1-03', 'K1', '7700000001', 'ООО Один', 'Договор 1', '2026-03-01', 10, 9, 0.9, 'blue', true),
    ('k1-04', 'K1', '7700000001', 'ООО Один', 'Договор 1', '2026-04-01', 10, 8, 0.8, 'blue', true);
create table intermediate.int_contracts__time_entries (time_entry_id bigint, contract_ref text,
    period_start date, logged_at timestamptz, hours numeric, counts_against_included boolean,
    _source_loaded_at timestamptz);
insert into intermediate.int_contracts__time_entries values
    (1, 'K1', '2026-03-01', '2026-03-03 12:00+03', 9, true, '2026-04-20 00:00+00'),
    (2, 'K1', '2026-04-01', '2026-04-03 12:00+03', 8, true, '2026-04-20 00:00+00');
"""


def alerts(db_url: str) -> dict[date, tuple]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "select period_start, used_hours, crossed_80_at, alert_text from marts.mart_contract_alerts"
            " order by period_start"
        ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_a_month_whose_last_alert_went_away_is_emptied(fresh_db: str, tmp_path: Path) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(ALERTS_UPSTREAM)
    select = ["--select", "mart_contract_alerts"]

    dbt(fresh_db, tmp_path, "run", *select, "--full-refresh")
    full = alerts(fresh_db)
    assert sorted(full) == [date(2026, 3, 1), date(2026, 4, 1)]
    assert full[date(2026, 4, 1)][1] == datetime(2026, 4, 3, 9, tzinfo=UTC), "80% crossed by the one entry"

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        # sentinel: March is not recomputed (nothing of March changed)
        conn.execute("update marts.mart_contract_alerts set alert_text = 'sentinel' where period_start = '2026-03-01'")
        # April's entry is re-loaded with fewer hours: usage 70%, no alert any more
        conn.execute(
            "update intermediate.int_contracts__time_entries set hours = 7, _source_loaded_at = now()"
            " where time_entry_id = 2"
        )
        conn.execute(
            "update marts.mart_contract_usage set used_hours = 7, usage_ratio = 0.7 where row_id = 'k1-04'"
        )

    dbt(fresh_db, tmp_path, "run", *select)
    nightly = alerts(fresh_db)
    assert date(2026, 4, 1) not in nightly, "April's alert went away with its usage"
    assert nightly[date(2026, 3, 1)][2] == "sentinel", "March was not recomputed"
    with psycopg.connect(fresh_db) as conn:
        empty = conn.execute("select count(*) from marts.mart_contract_alerts where alert_id is null").fetchone()[0]
    assert empty == 0, "the placeholder row of an emptied month is removed"

    dbt(fresh_db, tmp_path, "run", *select, "--full-refresh")
    rebuilt = alerts(fresh_db)
    assert list(rebuilt) == [date(2026, 3, 1)]
