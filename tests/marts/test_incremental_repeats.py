"""int_bonus__repeats incremental (docs/marts.md "Incremental repeats") equals a full rebuild.

The model's upstream relations are small hand-made tables (only the columns it reads). A
full build, then rounds of night changes: each round mutates tickets (old tickets moved to
another site, completed later or earlier, given or stripped of equipment, deleted, revived),
adds tickets and reopen events, removes reopen events, marks what changed as loaded now
(`_source_loaded_at`), runs the model incrementally and compares every row with a
`--full-refresh` of the same inputs. The first round is hand-made: an old ticket updated
tonight that creates one repeat pair and removes another.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from warehouse import dbt_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

UPSTREAM = """
create schema if not exists marts;
create schema if not exists intermediate;
create schema if not exists staging;
create schema if not exists raw_meta;
create table raw_meta.loads (load_id bigint, source text, entity text, started_at timestamptz,
    finished_at timestamptz, status text, rows_rejected bigint, error text);
create table marts.fct_tickets (ticket_id bigint primary key, created_at timestamptz, completed_at timestamptz,
    site_code text, work_type text, equipment_serials text[], is_deleted boolean, _source_loaded_at timestamptz);
create table marts.fct_events (event_id text, event_type text, ticket_id bigint, occurred_at timestamptz,
    _source_loaded_at timestamptz);
create table staging.stg_onec__bonus_coefficients (code text, value numeric, valid_from timestamptz,
    _last_loaded_at timestamptz);
insert into staging.stg_onec__bonus_coefficients values
    ('repeat_window_days', 30, '2020-01-01', '2026-01-01'), ('repeat_window_days', 20, '2026-03-01', '2026-01-01');
create table intermediate.int_bonus__coefficient_sets as
    select '2020-01-01 00:00+03'::timestamptz as valid_from, '2026-03-01 00:00+03'::timestamptz as valid_to,
        30::numeric as repeat_window_days
    union all
    select '2026-03-01 00:00+03', null, 20;
"""

COLUMNS = "ticket_id, repeat_kind, repeat_ticket_id, repeated_at, repeat_event_id, repeat_window_days, is_first_repeat"


def dbt(db_url: str, work: Path, *args: str) -> None:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", **dbt_env(db_url)}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args, "--select", "int_bonus__repeats",
         "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, f"dbt {' '.join(args)} failed:\n{done.stdout[-5000:]}\n{done.stderr[-2000:]}"


def rows(db_url: str) -> list[tuple]:
    with psycopg.connect(db_url) as conn:
        return conn.execute(
            f"select {COLUMNS} from intermediate.int_bonus__repeats order by ticket_id, repeat_event_id"
        ).fetchall()


SITES = ["S1", "S2", "S3", "S4"]
WORK = ["diagnostics", "maintenance"]
SERIALS = ["A", "B", "C"]


def random_ticket(rng: random.Random, ticket_id: int) -> tuple:
    created = rng.uniform(0, 150)  # days after 2026-01-01
    completed = created + rng.uniform(0.1, 5) if rng.random() < 0.8 else None
    serials = rng.sample(SERIALS, rng.choice([0, 0, 1, 1, 2]))
    return (ticket_id, created, completed, rng.choice(SITES + [None]) if rng.random() < 0.95 else None,
            rng.choice(WORK), serials, rng.random() < 0.05)


def ts(days: float | None) -> str:
    return "null" if days is None else f"timestamptz '2026-01-01 00:00+03' + interval '{days * 86400:.0f} seconds'"


def upsert_ticket(conn: psycopg.Connection, t: tuple) -> None:
    tid, created, completed, site, work, serials, deleted = t
    conn.execute(
        f"insert into marts.fct_tickets values (%s, {ts(created)}, {ts(completed)}, %s, %s, %s, %s, now())"
        " on conflict (ticket_id) do update set created_at = excluded.created_at,"
        " completed_at = excluded.completed_at, site_code = excluded.site_code, work_type = excluded.work_type,"
        " equipment_serials = excluded.equipment_serials, is_deleted = excluded.is_deleted,"
        " _source_loaded_at = excluded._source_loaded_at",
        (tid, site, work, serials, deleted),
    )


def add_reopen(conn: psycopg.Connection, rng: random.Random, tid: int) -> None:
    conn.execute(
        "insert into marts.fct_events select 'r' || %s || '-' || %s, 'ticket_reopened', ticket_id,"
        " completed_at + %s * interval '1 day', now() from marts.fct_tickets"
        " where ticket_id = %s and completed_at is not null",
        (tid, rng.randrange(10**6), rng.uniform(0, 40), tid),
    )
    conn.execute("update marts.fct_tickets set _source_loaded_at = now() where ticket_id = %s", (tid,))


def test_old_ticket_updated_tonight_and_random_nights_equal_a_full_rebuild(fresh_db: str, tmp_path: Path) -> None:
    rng = random.Random(20261122)
    tickets = {i: random_ticket(rng, i) for i in range(1, 301)}
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(UPSTREAM)
        # hand-made: T100 completed Jan 10 on S9 (unit X); T101 created Jan 20 on S9 with X
        # -> a repeat of T100. T102 completed Jan 5 on S8 (unit Y), T103 created Jan 12 on S8 (Y).
        tickets[100] = (100, 8.0, 9.0, "S9", "diagnostics", ["X"], False)
        tickets[101] = (101, 19.0, None, "S9", "diagnostics", ["X"], False)
        tickets[102] = (102, 3.0, 4.0, "S8", "diagnostics", ["Y"], False)
        tickets[103] = (103, 11.0, None, "S8", "diagnostics", ["Y"], False)
        tickets[104] = (104, 2.0, 3.0, "S8", "diagnostics", ["Y"], False)
        for t in tickets.values():
            upsert_ticket(conn, t)
        for tid in rng.sample(sorted(tickets), 30):
            add_reopen(conn, rng, tid)
        conn.execute("update marts.fct_tickets set _source_loaded_at = '2026-01-01'")
        conn.execute("update marts.fct_events set _source_loaded_at = '2026-01-01'")

    dbt(fresh_db, tmp_path, "run", "--full-refresh")
    first = rows(fresh_db)
    assert (100, "new_ticket", 101) in {r[:3] for r in first}
    assert (102, "new_ticket", 103) in {r[:3] for r in first}
    assert any(r[1] == "reopen" for r in first)

    # night 1 (hand-made): old ticket 104 (completed Jan 3) is updated: now completed Jan 6,
    # so T103 repeats 104, not 102 (the most recent completion). Old ticket 100 moves to site
    # S7: T101 is no longer a repeat of anything.
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        upsert_ticket(conn, (104, 2.0, 6.0, "S8", "diagnostics", ["Y"], False))
        upsert_ticket(conn, (100, 8.0, 9.0, "S7", "diagnostics", ["X"], False))
    dbt(fresh_db, tmp_path, "run")
    nightly = rows(fresh_db)
    pairs = {r[:3] for r in nightly}
    assert (104, "new_ticket", 103) in pairs and (102, "new_ticket", 103) not in pairs
    assert not any(r[0] == 100 and r[1] == "new_ticket" for r in nightly)
    assert not any(r[2] == 101 for r in nightly)
    dbt(fresh_db, tmp_path, "run", "--full-refresh")
    assert rows(fresh_db) == nightly

    # random nights
    next_id = 1000
    for night in range(3):
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            for tid in rng.sample(sorted(tickets), 25):
                old = tickets[tid]
                new = random_ticket(rng, tid)
                field = rng.randrange(6)  # change one attribute of an old ticket
                changed = list(old)
                changed[field + 1] = new[field + 1]
                if changed[2] is not None and changed[2] < changed[1]:
                    changed[2] = changed[1] + 1
                tickets[tid] = tuple(changed)
                upsert_ticket(conn, tickets[tid])
            for _ in range(15):
                tickets[next_id] = random_ticket(rng, next_id)
                upsert_ticket(conn, tickets[next_id])
                next_id += 1
            for tid in rng.sample(sorted(tickets), 5):
                add_reopen(conn, rng, tid)
            gone = conn.execute(
                "delete from marts.fct_events where event_id in"
                " (select event_id from marts.fct_events order by md5(event_id || %s) limit 3) returning ticket_id",
                (str(night),),
            ).fetchall()
            for (tid,) in gone:
                conn.execute("update marts.fct_tickets set _source_loaded_at = now() where ticket_id = %s", (tid,))
        dbt(fresh_db, tmp_path, "run")
        nightly = rows(fresh_db)
        dbt(fresh_db, tmp_path, "run", "--full-refresh")
        assert rows(fresh_db) == nightly, f"night {night}: incremental differs from a full rebuild"

    # no recorded run (e.g. the first run after this change): everything is recomputed
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("update intermediate.int_bonus__repeats set is_first_repeat = not is_first_repeat")
        conn.execute("delete from dbt_state.incremental_runs")
    dbt(fresh_db, tmp_path, "run")
    assert rows(fresh_db) == nightly
