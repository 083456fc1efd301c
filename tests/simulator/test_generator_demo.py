"""The demo profile's shape: volumes, seasonality, holidays, repeats, spread between engineers."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import date
from pathlib import Path
from statistics import mean

import holidays

from source_simulator import store
from source_simulator.generator.clock import MS_DAY, local_date, parse_iso


def _tickets_by_local_day(conn: sqlite3.Connection) -> dict[date, int]:
    counts: dict[date, int] = defaultdict(int)
    for (created,) in conn.execute("select created_at from hd_issues where valid_to is null"):
        counts[local_date(parse_iso(created))] += 1
    return counts


def test_demo_volume_weekly_seasonality_and_holidays(demo_short_world: Path):
    conn = store.connect(demo_short_world, readonly=True)
    counts = _tickets_by_local_day(conn)
    october = [d for d in counts if d.year == 2026 and d.month == 10]
    assert 1600 <= sum(counts[d] for d in october) <= 3000
    ru = holidays.RU(years=2026)
    weekdays = [counts[d] for d in counts if d.weekday() < 5 and d not in ru and d >= date(2026, 9, 1)]
    weekends = [counts[d] for d in counts if d.weekday() >= 5 and d >= date(2026, 9, 1)]
    assert mean(weekends) < 0.5 * mean(weekdays)
    unity_day = date(2026, 11, 4)          # a Wednesday, public holiday
    other_wednesdays = [counts[d] for d in counts if d.weekday() == 2 and d not in ru and d >= date(2026, 9, 1)]
    assert unity_day in ru and counts[unity_day] < 0.6 * min(other_wednesdays)
    regions = {r[0] for r in conn.execute("select tz from regions")}
    assert regions == {"Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk"}
    assert 30 <= conn.execute("select count(*) from onec_employees where valid_to is null").fetchone()[0] <= 50
    conn.close()


def test_repeats_are_the_exception(demo_short_world: Path):
    conn = store.connect(demo_short_world, readonly=True)
    first_done = {r[0]: parse_iso(r[1]) for r in conn.execute(
        "select issue_id, min(changed_at) from hd_status_history where status_code = 'completed' group by 1")}
    by_site: dict[int, list] = defaultdict(list)
    repeated: set[int] = set()
    for issue, site, eq, wt, created in conn.execute(
            "select id, service_object_id, equipment_ids, type_code, created_at from hd_issues "
            "where valid_to is null and service_object_id is not null order by created_at"):
        units, at = set(json.loads(eq)), parse_iso(created)
        prior = [(done, t1) for t1, units1, wt1, done in by_site[site]
                 if done is not None and done < at and at - done <= 30 * MS_DAY
                 and (units & units1 or (not units1 and wt == wt1))]
        if prior:
            repeated.add(max(prior)[1])
        by_site[site].append((issue, units, wt, first_done.get(issue)))
    share = len(repeated) / len(first_done)
    assert 0.02 < share < 0.2, share
    conn.close()


def test_engineers_differ_in_sla(demo_short_world: Path):
    """Some engineer-months earn the high KPI multiplier, some the low one."""
    conn = store.connect(demo_short_world, readonly=True)
    rates: dict[int, list[bool]] = defaultdict(list)
    for assignee, deadline, done in conn.execute("""
            select i.assignee_id, i.deadline_at, min(h.changed_at) from hd_issues i
            join hd_status_history h on h.issue_id = i.id and h.status_code = 'completed'
            where i.valid_to is null and i.deadline_at is not null
              and h.changed_at >= '2026-09-30T21:00:00' and h.changed_at < '2026-10-31T21:00:00'
            group by i.id"""):
        rates[assignee].append(done <= deadline)
    shares = [sum(v) / len(v) for v in rates.values() if len(v) >= 10]
    assert any(s >= 0.95 for s in shares) and any(s < 0.85 for s in shares), sorted(shares)
    conn.close()
