"""End to end on the tiny world: simulator -> real HTTP -> extractors -> dbt -> marts, compared
to the kopeck with `bonus_reference` recomputed from the simulator's ground truth.

One module-scoped chain (about three minutes on two cores):
1. generate tiny (seed 42), clock = default + 3 days (October settled), serve it, extract,
   `dbt run`, then `dbt test` of the marts (data tests on real data and every marts unit
   test) -> bonus lines and summaries equal the reference, calc_hash included;
2. change `hourly_work_share` in the 1C store, re-extract, `dbt run` -> exactly the
   engineer-periods with hourly work lines change (lines and calc_hash), as the reference says;
3. a late repeat: a new ticket on the site of an October ticket, one hour after the clock ->
   a repeat_penalty line in November; October's lines and calc_hashes are unchanged.
Also on step 1's warehouse: every ticket completed in the clock's last week, valued as open at
its completion moment by mart_ticket_value, is worth exactly its ticket_points line.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from bonus_reference import BonusLine, compute_bonus, summarise
from bonus_reference.inputs import event_id
from bonus_reference.periods import period_of
from bonus_reference.rules import sla_counts
from bonus_reference.simulator_truth import world_from_truth
from bonus_reference.tickets import completion
from bonus_reference.verify import differences

from warehouse import dbt_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

Key = tuple[str, date]
MART_PATHS = [
    f"path:models/{p}"
    for p in ("marts/kpi", "marts/bonus", "marts/contracts", "marts/quality", "intermediate/bonus", "intermediate/kpi",
              "intermediate/contracts")
]


@dataclass
class Snapshot:
    lines: dict[tuple[str, date, str, str], Decimal]
    summary: dict[Key, tuple[Decimal, str]]


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _run(cmd: list[str], env: dict[str, str], what: str) -> str:
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        raise AssertionError(f"{what} failed (exit {r.returncode}):\n{r.stdout[-6000:]}\n{r.stderr[-3000:]}")
    return r.stdout


class Chain:
    def __init__(self, world: Path, db_url: str, work: Path) -> None:
        self.world, self.db_url, self.work = world, db_url, work
        self.env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
        self.truths = 0

    def extract(self, now: datetime) -> None:
        from tools.simulator_server import running_server

        with running_server(self.world, "--now", _iso(now)) as base:
            env = {
                **self.env, "WAREHOUSE_URL": self.db_url, "COMPANY_TZ": "Europe/Moscow",
                "HELPDESK_URL": f"{base}/helpdesk", "HELPDESK_API_TOKEN": "demo-helpdesk-token",
                "HELPDESK_MODE": "feeds",
                "SCHEDULE_URL": f"{base}/schedule", "SCHEDULE_TOKEN": "demo-schedule-token",
                "ONEC_URL": f"{base}/onec", "ONEC_USER": "odata", "ONEC_PASSWORD": "odata",
                "REGISTRY_PATH": f"{base}/registry.xlsx",
            }
            _run([sys.executable, "-m", "extractors", "run"], env, "extraction from the simulator")

    def dbt(self, *args: str) -> str:
        env = {**self.env, **dbt_env(self.db_url)}
        return _run(
            [str(ROOT / ".venv" / "bin" / "dbt"), *args, "--project-dir", "dbt_project",
             "--profiles-dir", "dbt_project", "--target-path", str(self.work / "target"),
             "--log-path", str(self.work / "logs")],
            env, f"dbt {' '.join(args)}",
        )

    def truth_dir(self, now: datetime) -> Path:
        """The truth as of `now`, written afresh (the store may have been edited since)."""
        self.truths += 1
        out = self.work / f"truth-{self.truths}"
        _run([sys.executable, "-m", "source_simulator", "truth", "--world", str(self.world),
              "--now", _iso(now), "--out", str(out)], self.env, "simulator truth")
        return out

    def truth(self, now: datetime) -> list[BonusLine]:
        return compute_bonus(world_from_truth(self.truth_dir(now), "Europe/Moscow"))

    def query(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.db_url) as conn:
            return conn.execute(sql).fetchall()

    def snapshot(self) -> Snapshot:
        with psycopg.connect(self.db_url) as conn:
            lines = {
                (r[0], r[1], r[2], r[3]): r[4]
                for r in conn.execute(
                    "select personnel_no, period_start, line_kind, source_event_id, amount_rub from marts.mart_bonus_lines"
                )
            }
            summary = {
                (r[0], r[1]): (r[2], r[3])
                for r in conn.execute("select personnel_no, period_start, total_rub, calc_hash from marts.mart_bonus_summary")
            }
        return Snapshot(lines, summary)


def reference_snapshot(lines: list[BonusLine]) -> Snapshot:
    return Snapshot(
        {(ln.personnel_no, ln.period_start, ln.line_kind, ln.source_event_id): ln.amount_rub for ln in lines},
        {k: (s.total_rub, s.calc_hash) for k, s in summarise(lines).items()},
    )


def assert_same(warehouse: Snapshot, reference: Snapshot) -> None:
    only_wh = sorted(set(warehouse.lines) - set(reference.lines))
    only_ref = sorted(set(reference.lines) - set(warehouse.lines))
    differ = sorted(k for k in set(warehouse.lines) & set(reference.lines) if warehouse.lines[k] != reference.lines[k])
    assert not only_wh and not only_ref and not differ, (
        f"bonus lines differ from the reference: only in the warehouse {only_wh[:5]}, only in the "
        f"reference {only_ref[:5]}, different amounts {[(k, warehouse.lines[k], reference.lines[k]) for k in differ[:5]]}"
    )
    assert warehouse.summary == reference.summary


@pytest.fixture(scope="module")
def chain(module_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    from source_simulator.generator import generate

    work = tmp_path_factory.mktemp("marts_e2e")
    world = generate("tiny", out=work / "sim").path
    yield Chain(world, module_db, work)


@pytest.fixture(scope="module")
def clock(chain: Chain) -> datetime:
    with sqlite3.connect(chain.world) as conn:
        now = conn.execute("select value from meta where key = 'now'").fetchone()[0]
    return datetime.fromisoformat(now) + timedelta(days=3)


@pytest.fixture(scope="module")
def baseline(chain: Chain, clock: datetime) -> Snapshot:
    chain.extract(clock)
    chain.dbt("run")
    # the marts' data tests and unit tests, on real data (the core's own tests are the core's)
    chain.dbt("test", "--select", *MART_PATHS)
    return chain.snapshot()


def test_bonus_equals_the_reference_to_the_kopeck(chain: Chain, clock: datetime, baseline: Snapshot) -> None:
    reference = reference_snapshot(chain.truth(clock))
    kinds = {k[2] for k in baseline.lines}
    assert {"ticket_points", "repeat_penalty", "duty_shift", "hourly_work_share", "kpi_multiplier"} <= kinds
    assert len(baseline.summary) >= 5
    assert_same(baseline, reference)
    # the same check as `python -m bonus_reference verify` / `make marts-verify`
    assert differences(chain.db_url, chain.truth_dir(clock), "Europe/Moscow") == []


def test_bonus_rules_are_kept_by_the_marts_contracts(chain: Chain, baseline: Snapshot) -> None:
    """mart_bonus_lines and mart_bonus_summary have enforced contracts whose constraints keep
    the line rules (mart_bonus_*.yml): a bad line or summary is refused at write time with
    PostgreSQL's error and the table keeps its rows. No data test duplicates them."""
    row = chain.query("select personnel_no, period_start, line_kind, source_event_id, line_id, amount_rub, explanation"
                      " from marts.mart_bonus_lines limit 1")[0]
    cols = "personnel_no, period_start, line_kind, source_event_id, line_id, amount_rub, explanation"
    bad = {
        "violates not-null constraint": (row[0], row[1], row[2], "x:1", "x:1", None, "x"),
        "violates check constraint .*_line_kind_check": (row[0], row[1], "bogus_kind", "x:2", "x:2", 1, "x"),
        # the line's natural key, then its line_id (primary key)
        "duplicate key value violates unique constraint .*_period_start_personnel_no_line_kind":
            (row[0], row[1], row[2], row[3], "x:3", 1, "x"),
        "duplicate key value violates unique constraint .*_pkey": (row[0], row[1], row[2], "x:4", row[4], 1, "x"),
    }
    count = chain.query("select count(*) from marts.mart_bonus_lines")[0][0]
    for error, values in bad.items():
        with psycopg.connect(chain.db_url) as conn, pytest.raises(psycopg.errors.IntegrityError, match=error):
            conn.execute(f"insert into marts.mart_bonus_lines ({cols}) values (%s, %s, %s, %s, %s, %s, %s)", values)
    assert chain.query("select count(*) from marts.mart_bonus_lines")[0][0] == count

    summary = chain.query("select personnel_no, period_start from marts.mart_bonus_summary limit 1")[0]
    for error, sql in {
        "violates check constraint .*_total_rub_check":
            "update marts.mart_bonus_summary set total_rub = -1 where personnel_no = %s and period_start = %s",
        "duplicate key value violates unique constraint .*_pkey":
            "insert into marts.mart_bonus_summary (personnel_no, period_start, total_rub, calc_hash)"
            " values (%s, %s, 0, 'x')",
    }.items():
        with psycopg.connect(chain.db_url) as conn, pytest.raises(psycopg.errors.IntegrityError, match=error):
            conn.execute(sql, summary)

    # the tests that only repeated a constraint are gone; the cross-table ones stay
    listed = chain.dbt("ls", "--resource-type", "test", "--select", "mart_bonus_lines", "mart_bonus_summary",
                       "--output", "name")
    names = {n.strip() for n in listed.splitlines() if n.strip() and " " not in n.strip()}
    assert not {n for n in names if n.startswith(("not_null_mart_bonus", "unique_", "accepted_values_mart_bonus"))}, names
    assert any(n.startswith("marts_total_equals_sum_of_lines") for n in names), names
    assert any(n.startswith("relationships_mart_bonus_lines_personnel_no") for n in names), names


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_kpi_sla_and_closed_tickets_match_the_truth(chain: Chain, clock: datetime, baseline: Snapshot) -> None:
    """closed_tickets and sla_resolution met/total per engineer and month, from the truth's status history."""
    world = world_from_truth(chain.truth_dir(clock), "Europe/Moscow")
    expected_sla = {k: v for k, v in sla_counts(world).items()}
    closed: Counter[Key] = Counter()
    for t in world.tickets:
        done = completion(t)
        if done is not None and t.personnel_no is not None:
            closed[(t.personnel_no, period_of(done.changed_at, "Europe/Moscow"))] += 1
    rows = chain.query(
        "select personnel_no, period_start, closed_tickets, sla_resolution_met, sla_resolution_total "
        "from marts.mart_engineer_kpi where closed_tickets > 0"
    )
    assert {(r[0], r[1]): r[2] for r in rows} == dict(closed)
    assert {(r[0], r[1]): (r[3], r[4]) for r in rows if r[4] > 0} == expected_sla


def test_contract_hours_match_the_truth(chain: Chain, clock: datetime, baseline: Snapshot) -> None:
    """used hours (all but hourly_work) per contract and month: the client's contract in force on
    the entry's local date (latest start), summed by hand from the truth CSVs."""
    d = chain.truth_dir(clock)
    msk = ZoneInfo("Europe/Moscow")
    inn_of_company = {r["id"]: r["inn"] for r in _csv(d / "hd_companies.csv")}
    inn_of_client = {r["ref_key"]: r["inn"] for r in _csv(d / "onec_clients.csv")}
    contracts = [
        (inn_of_client.get(r["owner_key"]), r["ref_key"], date.fromisoformat(r["start_date"]),
         date.fromisoformat(r["end_date"][:10]) if r["end_date"] and not r["end_date"].startswith("0001") else None)
        for r in _csv(d / "onec_contracts.csv") if r["deletion_mark"] != "1"
    ]
    company_of_issue = {r["id"]: r["company_id"] for r in _csv(d / "hd_issues.csv")}
    used: defaultdict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for e in _csv(d / "hd_time_entries.csv"):
        if e["activity"] == "hourly_work":
            continue
        inn = inn_of_company.get(company_of_issue.get(e["issue_id"], ""))
        day = datetime.fromisoformat(e["logged_at"]).astimezone(msk).date()
        in_force = [c for c in contracts if c[0] == inn and c[2] <= day and (c[3] is None or day <= c[3])]
        if in_force:
            ref = max(in_force, key=lambda c: (c[2], c[1]))[1]
            used[(ref, day.replace(day=1))] += Decimal(e["spent_time"])
    rows = chain.query("select contract_ref::text, period_start, used_hours from marts.mart_contract_usage where used_hours > 0")
    assert used, "the tiny world should book hours on contracts"
    assert {(r[0], r[1]): r[2] for r in rows} == dict(used)


def test_value_now_of_last_weeks_tickets_is_their_ticket_points_line(chain: Chain, clock: datetime, baseline: Snapshot) -> None:
    """Every ticket completed in the week before the clock, put back to open and valued at its
    completion moment (mart_ticket_value with live_value.as_of, in a transaction rolled back),
    is worth exactly its ticket_points line in mart_bonus_lines."""
    with psycopg.connect(chain.db_url) as conn:
        week = conn.execute(
            "select l.ticket_id, l.amount_rub, t.completed_at from marts.mart_bonus_lines as l"
            " join marts.fct_tickets as t on t.ticket_id = l.ticket_id"
            " where l.line_kind = 'ticket_points' and t.completed_at > %s",
            (clock - timedelta(days=7),),
        ).fetchall()
        assert len(week) >= 5, "the tiny world should complete tickets in its last week"
        valued = {}
        for ticket_id, _, completed_at in week:
            conn.execute("savepoint open_again")
            conn.execute("update marts.fct_tickets set completed_at = null where ticket_id = %s", (ticket_id,))
            conn.execute("select set_config('live_value.as_of', %s, true)", (completed_at.isoformat(),))
            row = conn.execute("select value_now_rub from marts.mart_ticket_value where ticket_id = %s",
                               (ticket_id,)).fetchone()
            valued[ticket_id] = row and row[0]
            conn.execute("rollback to savepoint open_again")
        conn.rollback()
    assert valued == {ticket_id: amount for ticket_id, amount, _ in week}


def test_changing_one_coefficient_changes_exactly_its_bonuses(chain: Chain, clock: datetime, baseline: Snapshot) -> None:
    """hourly_work_share 0.10 -> 0.15 in 1C: only engineer-periods with hourly work change."""
    with sqlite3.connect(chain.world) as conn:
        changed = conn.execute(
            "update onec_bonus_coefficients set value = '0.15' where code = 'hourly_work_share' and valid_to is null"
        ).rowcount
    assert changed >= 1
    chain.extract(clock)
    chain.dbt("run")
    after = chain.snapshot()
    assert_same(after, reference_snapshot(chain.truth(clock)))

    with_hourly = {(k[0], k[1]) for k, amount in baseline.lines.items() if k[2] == "hourly_work_share" and amount != 0}
    assert with_hourly, "the tiny world should have hourly work"
    changed_hash = {k for k in baseline.summary if after.summary.get(k, (None, None))[1] != baseline.summary[k][1]}
    assert changed_hash == with_hourly
    for k, amount in baseline.lines.items():
        if k[2] == "hourly_work_share":
            # 0.15 / 0.10 of the unrounded amount, rounded again: within a kopeck of x1.5
            assert abs(after.lines[k] - amount * Decimal("1.5")) <= Decimal("0.01")
        elif k[2] not in ("kpi_multiplier", "floor_adjustment"):
            assert after.lines[k] == amount, k


def test_late_repeat_is_booked_in_the_open_period(chain: Chain, clock: datetime, baseline: Snapshot) -> None:
    before = chain.snapshot()
    late = clock + timedelta(hours=1)
    with psycopg.connect(chain.db_url) as conn:
        # A paid October ticket T1 without a repeat yet, and one of its units (or, without
        # equipment, its work type) that no later-completed ticket of the site shares: a new
        # ticket on that unit is then a repeat of T1 and of no other ticket.
        row = conn.execute(
            """
            with candidates as (
                select tp.ticket_id, tp.personnel_no, tp.amount_rub, tp.completed_at,
                       t.site_code, t.work_type, coalesce(t.equipment_serials, '{}') as serials
                from intermediate.int_bonus__ticket_points as tp
                join marts.fct_tickets as t using (ticket_id)
                where tp.personnel_no is not null and tp.amount_rub > 0 and t.site_code is not null
                  and tp.period_start = date '2026-10-01'
                  and tp.completed_at > %(late)s::timestamptz - interval '25 days'
                  and not exists (select 1 from intermediate.int_bonus__repeats r where r.ticket_id = tp.ticket_id)
            )
            select c.ticket_id, c.personnel_no, c.amount_rub, c.site_code, c.work_type, u.serial
            from candidates as c
            cross join lateral unnest(
                case when cardinality(c.serials) > 0 then c.serials else array[null::text] end
            ) as u (serial)
            where not exists (
                select 1 from marts.fct_tickets as o
                where o.site_code = c.site_code and o.ticket_id <> c.ticket_id
                  and o.completed_at >= c.completed_at and o.completed_at < %(late)s
                  and ((u.serial is not null and u.serial = any(o.equipment_serials))
                       or (coalesce(cardinality(o.equipment_serials), 0) = 0 and o.work_type = c.work_type))
            )
            order by c.completed_at desc, c.ticket_id
            limit 1
            """,
            {"late": late},
        ).fetchone()
    assert row is not None, "the tiny world should have a recently completed, unrepeated October ticket"
    t1, engineer, t1_amount, site_code, work_type, serial = row
    serials = [serial] if serial else []
    with sqlite3.connect(chain.world) as conn:
        site_id = conn.execute("select id from hd_sites where site_code = ? and valid_to is null", (site_code,)).fetchone()[0]
        company_id = conn.execute("select company_id from hd_sites where id = ?", (site_id,)).fetchone()[0]
        equipment_ids = [
            r[0] for r in conn.execute(
                f"select id from hd_equipment where valid_to is null and serial_number in ({','.join('?' * len(serials))})",
                list(serials),
            )
        ] if serials else []
        t2 = conn.execute("select max(id) + 1 from hd_issues").fetchone()[0]
        at = _iso(late)
        conn.execute(
            """insert into hd_issues (id, valid_from, valid_to, title, created_at, updated_at, source, company_id,
                   service_object_id, equipment_ids, type_code, priority_code, status_code, escalated, vip_contact)
               values (?, ?, null, 'Повторная неисправность', ?, ?, 'phone', ?, ?, ?, ?, 'normal', 'opened', 0, 0)""",
            (t2, at, at, at, company_id, site_id, json.dumps(equipment_ids), work_type),
        )
        hid = conn.execute("select max(id) + 1 from hd_status_history").fetchone()[0]
        conn.execute(
            """insert into hd_status_history (id, valid_from, valid_to, issue_id, status_code, changed_at, updated_at)
               values (?, ?, null, ?, 'opened', ?, ?)""",
            (hid, at, t2, at, at),
        )
    now = clock + timedelta(hours=2)
    chain.extract(now)
    chain.dbt("run")
    after = chain.snapshot()
    assert_same(after, reference_snapshot(chain.truth(now)))

    november = date(2026, 11, 1)
    penalty_key = (engineer, november, "repeat_penalty", event_id("ticket_created", "helpdesk", t2))
    assert after.lines[penalty_key] == -(t1_amount * Decimal("0.5")).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    october = {k: v for k, v in before.lines.items() if k[1] == date(2026, 10, 1)}
    assert {k: v for k, v in after.lines.items() if k[1] == date(2026, 10, 1)} == october
    assert {k: v for k, v in after.summary.items() if k[1] < november} == {
        k: v for k, v in before.summary.items() if k[1] < november
    }
