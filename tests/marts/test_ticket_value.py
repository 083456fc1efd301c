"""An open ticket's value "if completed now" (mart_ticket_value) is the ticket_points line the
bonus writes when the ticket is completed at that moment (int_bonus__ticket_points, read by
the bonus lines and summary): same coefficients, same rounding.

A small world of tickets completed in the last week (random times, complexities, escalations,
deadlines before and after the completion, untaken tickets, a work type missing from the
price list), with the points rate, a complexity coefficient and a points price changing
during the week. The bonus line of each is built from the completed tickets; then, for each
completion moment, the tickets completed at it are put back to open and the live value is
read as of that moment (the session setting live_value.as_of).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from warehouse import dbt_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

MSK = timezone(timedelta(hours=3))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=MSK)
# the week's completion moments; the rate moves on Nov 16 and Nov 19, complexity_3 on Nov 18
MOMENTS = [NOW - timedelta(days=d, hours=h) for d, h in ((6, 3), (4, 0), (2, 5), (1, 2), (0, 1))]

COEFFICIENTS = {
    "points_rate_rub": "150", "complexity_1": "0.8", "complexity_2": "1.0", "complexity_3": "1.25",
    "complexity_4": "1.5", "complexity_5": "2.0", "sla_breach_factor": "0.5", "urgency_weight_max": "0.5",
    "escalation_bonus": "0.25", "repeat_window_days": "30", "repeat_penalty_share": "0.5",
    "hourly_work_share": "0.10", "kpi_sla_high_threshold": "0.95", "kpi_sla_high_multiplier": "1.10",
    "kpi_sla_low_threshold": "0.85", "kpi_sla_low_multiplier": "0.90", "load_w_sites": "0.2",
    "load_w_fleet": "0.2", "load_w_hours": "0.35", "load_w_complexity": "0.25",
}
# (valid_from, changed codes): each set is the previous one with these codes replaced
CHANGES = [
    (datetime(2020, 1, 1, tzinfo=MSK), {}),
    (datetime(2026, 11, 16, 0, 0, tzinfo=MSK), {"points_rate_rub": "175.5"}),
    (datetime(2026, 11, 18, 9, 0, tzinfo=MSK), {"complexity_3": "1.3"}),
    (datetime(2026, 11, 19, 0, 0, tzinfo=MSK), {"points_rate_rub": "180"}),
]
WORK_TYPES = ["diagnostics", "maintenance", "emergency_repair", "installation"]  # installation: unpriced

UPSTREAM = """
create schema if not exists marts;
create schema if not exists intermediate;
create table marts.fct_tickets (ticket_id bigint primary key, personnel_no text, client_inn text, site_code text,
    status_code text, priority text, work_type text, created_at timestamptz, taken_at timestamptz,
    completed_at timestamptz, deadline_at timestamptz, complexity int, is_escalated boolean, is_deleted boolean,
    _source_loaded_at timestamptz);
create table marts.fct_events (event_id text, event_type text, ticket_id bigint, occurred_at timestamptz,
    source_record_key text, _source_loaded_at timestamptz);
-- read by the warehouse's newest activity (the live value's default moment)
create table marts.fct_time_entries (logged_at timestamptz);
create table marts.fct_shifts (actual_start timestamptz, planned_start timestamptz, status text);
create table marts.dim_points_prices (work_type text, points numeric, valid_from timestamptz);
insert into marts.dim_points_prices values
    ('diagnostics', 3, '2020-01-01 00:00+03'), ('maintenance', 2, '2020-01-01 00:00+03'),
    ('emergency_repair', 5, '2020-01-01 00:00+03'), ('diagnostics', 3.5, '2026-11-17 00:00+03');
"""


def dbt(db_url: str, work: Path, *args: str) -> None:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", **dbt_env(db_url)}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args,
         "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, f"dbt {' '.join(args)} failed:\n{done.stdout[-5000:]}\n{done.stderr[-2000:]}"


def coefficient_sets() -> list[tuple]:
    rows, values = [], dict(COEFFICIENTS)
    for i, (start, changed) in enumerate(CHANGES):
        values.update(changed)
        end = CHANGES[i + 1][0] if i + 1 < len(CHANGES) else None
        rows.append((start, end, *(Decimal(values[c]) for c in COEFFICIENTS)))
    return rows


def random_tickets(rng: random.Random) -> list[tuple]:
    tickets = []
    for tid in range(1, 61):
        completed = MOMENTS[tid % len(MOMENTS)]
        created = completed - timedelta(minutes=rng.randrange(30, 72 * 60))
        taken = created + (completed - created) * rng.random() if rng.random() < 0.8 else None
        kind = rng.random()
        if kind < 0.15:
            deadline = None
        elif kind < 0.25:
            deadline = created  # deadline not after creation: u = 1
        elif kind < 0.35:
            deadline = completed  # completed exactly at the deadline: SLA kept
        else:
            deadline = created + timedelta(minutes=rng.randrange(60, 96 * 60))
        tickets.append((tid, f"E00{tid % 4 + 1}", rng.choice(WORK_TYPES), rng.choice([1, 2, 3, 3, 4, 5, None]),
                        rng.random() < 0.2, created, taken, completed, deadline))
    # hand-made: completed an hour past the deadline, and taken after the deadline (u clamped to 1)
    tickets.append((101, "E001", "diagnostics", 3, False, MOMENTS[2] - timedelta(hours=5),
                    MOMENTS[2] - timedelta(hours=4), MOMENTS[2], MOMENTS[2] - timedelta(hours=1)))
    tickets.append((102, "E002", "emergency_repair", 4, True, MOMENTS[3] - timedelta(hours=10),
                    MOMENTS[3] - timedelta(hours=1), MOMENTS[3], MOMENTS[3] - timedelta(hours=2)))
    return tickets


def test_value_if_completed_now_is_the_ticket_points_line_of_that_completion(fresh_db: str, tmp_path: Path) -> None:
    tickets = random_tickets(random.Random(20261120))
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(UPSTREAM)
        conn.execute(
            "create table intermediate.int_bonus__coefficient_sets (valid_from timestamptz, valid_to timestamptz, "
            + ", ".join(f"{c} numeric" for c in COEFFICIENTS) + ")"
        )
        with conn.cursor() as cur:
            cur.executemany(
                f"insert into intermediate.int_bonus__coefficient_sets values ({', '.join(['%s'] * (len(COEFFICIENTS) + 2))})",
                coefficient_sets(),
            )
            cur.executemany(
                "insert into marts.fct_tickets values (%s, %s, null, 'S1', 'completed', 'normal', %s, %s, %s, %s, %s, %s,"
                " %s, false, now())",
                [(tid, eng, wt, created, taken, completed, deadline, cx, esc)
                 for tid, eng, wt, cx, esc, created, taken, completed, deadline in tickets],
            )
            cur.executemany(
                "insert into marts.fct_events values (%s, 'ticket_completed', %s, %s, %s, now())",
                [(f"c{t[0]}", t[0], t[7], f"helpdesk:ticket:{t[0]}") for t in tickets],
            )

    dbt(fresh_db, tmp_path, "run", "--full-refresh", "--select", "int_bonus__ticket_points", "mart_ticket_value")
    with psycopg.connect(fresh_db) as conn:
        lines = dict(conn.execute("select ticket_id, amount_rub from intermediate.int_bonus__ticket_points").fetchall())
    assert len(lines) == len(tickets)
    assert len(set(lines.values())) > 20, "the world should exercise many different amounts"

    live: dict[int, Decimal] = {}
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        for moment in MOMENTS:
            completed_then = [t[0] for t in tickets if t[7] == moment]
            conn.execute("update marts.fct_tickets set completed_at = null, status_code = 'in_progress'"
                         " where ticket_id = any(%s)", (completed_then,))
            conn.execute("select set_config('live_value.as_of', %s, false)", (moment.isoformat(),))
            rows = conn.execute("select ticket_id, value_now_rub from marts.mart_ticket_value").fetchall()
            assert {r[0] for r in rows} == set(completed_then), "only the open tickets are valued"
            live.update(rows)
            conn.execute("update marts.fct_tickets set completed_at = %s, status_code = 'completed'"
                         " where ticket_id = any(%s)", (moment, completed_then))

    assert live == lines
    # Nov 18 07:00: diagnostics 3.5 points (from Nov 17), complexity_3 still 1.25, rate 175.50;
    # late -> 0.5; taken 1 h into a 4 h window -> w = 1.125: 2.4609375 -> 2.46 x 175.50 = 431.73
    assert lines[101] == Decimal("431.73")
    # Nov 19 10:00: emergency_repair 5, complexity_4 1.5, late, taken after the deadline -> u = 1,
    # escalated -> w = 1.75: 6.5625 -> 6.56 x 180 = 1180.80
    assert lines[102] == Decimal("1180.80")
