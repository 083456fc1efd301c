"""Contract-shaped marts (docs/contracts.md) with a synthetic company, for the forecast tests.

Only the columns the forecasts read plus a few neighbours; the real tables come from dbt.
The world: two regions, three teams (team 3 starts late: under 52 weeks of history), ticket
demand with a trend, a yearly sine and Russian holidays (no tickets on non-working days),
time entries per ticket, one unmatched contractor, day shifts and weekend duties with
planned shifts beyond the data's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import psycopg

from forecasts.calendar import _ru_holidays

MSK = ZoneInfo("Europe/Moscow")

DDL = """
create schema if not exists marts;
create table marts.dim_engineers (
    personnel_no text primary key, helpdesk_employee_id bigint, login text, email text,
    full_name text, team_id bigint, team_name text, region_code text, region_name text,
    hired_on date, left_on date, is_active boolean
);
create table marts.fct_tickets (
    ticket_id bigint primary key, created_at timestamptz, taken_at timestamptz,
    completed_at timestamptz, status_code text, work_type text, priority text,
    complexity int, assignee_employee_id bigint, personnel_no text, team_id bigint,
    client_inn text, site_code text
);
create table marts.fct_time_entries (
    time_entry_id bigint primary key, ticket_id bigint, employee_id bigint, personnel_no text,
    logged_at timestamptz, hours numeric, activity text, work_type text, client_inn text,
    contract_ref text
);
create table marts.fct_shifts (
    shift_id text primary key, personnel_no text, shift_type text, planned_start timestamptz,
    planned_end timestamptz, actual_start timestamptz, actual_end timestamptz, status text,
    planned_hours numeric, worked_hours numeric, is_duty boolean, is_deleted boolean
);
"""

ENGINEERS = [
    # personnel_no, team_id, team_name, region_code, region_name
    ("P001", 1, "Москва-1", "MSK", "Москва"),
    ("P002", 1, "Москва-1", "MSK", "Москва"),
    ("P003", 2, "Москва-2", "MSK", "Москва"),
    ("P004", 2, "Москва-2", "MSK", "Москва"),
    ("P005", 3, "Екатеринбург-1", "EKB", "Екатеринбург"),
    ("P006", 3, "Екатеринбург-1", "EKB", "Екатеринбург"),
]


@dataclass(frozen=True)
class World:
    start: date = date(2024, 9, 4)  # a Wednesday: the first week is partial
    end: date = date(2026, 10, 29)  # a Thursday: data until 15:00 local, the last week is partial
    team3_start: date = date(2026, 1, 14)
    per_day: tuple[float, float, float] = (9.0, 6.0, 5.0)  # tickets per working day per team
    shifts_until: date = date(2027, 1, 31)  # planned shifts beyond the data
    seed: int = 7


def create_marts(conn: psycopg.Connection, engineers: list[tuple] = ENGINEERS) -> None:
    conn.execute(DDL)
    with conn.cursor().copy("copy marts.dim_engineers (personnel_no, team_id, team_name, region_code, "
                            "region_name, is_active) from stdin") as cp:
        for row in engineers:
            cp.write_row((*row, True))


def working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _ru_holidays(d.year)


def build_world(url: str, world: World = World()) -> None:
    """Create and fill the contract-shaped marts in the database at `url`."""
    rng = np.random.default_rng(world.seed)
    tickets, entries, shifts = [], [], []
    ticket_id = entry_id = 0
    d = world.start
    origin = world.start
    while d <= world.end:
        t = (d - origin).days / 365.25
        season = 1 + 0.25 * np.sin(2 * np.pi * (d.timetuple().tm_yday / 365.25))
        trend = 1 + 0.10 * t
        for team, base in enumerate(world.per_day, start=1):
            if team == 3 and d < world.team3_start:
                continue
            lam = base * season * trend if working_day(d) else base * 0.05
            members = [e[0] for e in ENGINEERS if e[1] == team]
            for _ in range(rng.poisson(lam)):
                ticket_id += 1
                minute = int(rng.integers(8 * 60, 20 * 60))
                created = datetime.combine(d, time(minute // 60, minute % 60), MSK)
                if d == world.end and created.hour >= 15:
                    continue
                pno = members[int(rng.integers(len(members)))]
                tickets.append((ticket_id, created, pno, team))
                for _k in range(int(rng.integers(1, 3))):
                    entry_id += 1
                    hours = round(float(rng.choice([0.5, 1.0, 1.5, 2.0, 3.0])), 2)
                    logged = created + timedelta(minutes=int(rng.integers(10, 180)))
                    if logged.date() > world.end or (logged.date() == world.end and logged.hour >= 15):
                        continue
                    who = pno if rng.random() > 0.03 else None  # an unmatched contractor's hours
                    entries.append((entry_id, ticket_id, who, logged, hours))
        d += timedelta(days=1)
    d = world.start
    sid = 0
    while d <= world.shifts_until:
        for pno, team, *_ in ENGINEERS:
            if team == 3 and d < world.team3_start:
                continue
            if working_day(d):
                kind, start_h, length, duty = "day", 9, 8, False
            elif d.weekday() == 5 and pno.endswith(("1", "3", "5")):
                kind, start_h, length, duty = "duty_weekend", 9, 12, True
            else:
                continue
            sid += 1
            start = datetime.combine(d, time(start_h), MSK)
            end = start + timedelta(hours=length)
            past = d < world.end
            status = "worked" if past else "planned"
            if sid % 97 == 0:
                status = "cancelled"
            shifts.append((f"s{sid}", pno, kind, start, end, status, length, duty))
        d += timedelta(days=1)
    with psycopg.connect(url) as conn:
        create_marts(conn)
        with conn.cursor().copy("copy marts.fct_tickets (ticket_id, created_at, personnel_no, team_id) "
                                "from stdin") as cp:
            for row in tickets:
                cp.write_row(row)
        with conn.cursor().copy("copy marts.fct_time_entries (time_entry_id, ticket_id, personnel_no, "
                                "logged_at, hours) from stdin") as cp:
            for row in entries:
                cp.write_row(row)
        with conn.cursor().copy("copy marts.fct_shifts (shift_id, personnel_no, shift_type, planned_start, "
                                "planned_end, status, planned_hours, is_duty, is_deleted) from stdin") as cp:
            for sid_, pno, kind, start, end, status, length, duty in shifts:
                cp.write_row((sid_, pno, kind, start, end, status, length, duty, False))


def as_of(world: World = World()) -> datetime:
    return datetime.combine(world.end, time(15), MSK).astimezone(UTC)
