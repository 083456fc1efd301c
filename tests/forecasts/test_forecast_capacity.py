"""Capacity plan arithmetic on hand-computed cases, and scheduled hours from fct_shifts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest
from fc_world import create_marts

from forecasts.capacity import capacity_row
from forecasts.run import build_capacity, write_capacity
from forecasts.settings import ForecastSettings
from forecasts.store import ensure_schema

MSK = ZoneInfo("Europe/Moscow")
W = date(2026, 11, 2)


@pytest.mark.parametrize(
    "forecast, scheduled, typical, gap, extra",
    [
        (100.004, 60, 8, "40.00", 5),  # 40 / 8 = 5 exactly
        (101, 60, 8, "41.00", 6),  # 41 / 8 = 5.125 -> 6
        (84.01, 60, 12, "24.01", 3),  # a hundredth over two 12-hour shifts -> 3
        (50, 60, 8, "-10.00", 0),  # enough shifts
        (60, 60, 8, "0.00", 0),
        (70, 60, None, "10.00", None),  # no shift length known: the gap stays, no count
    ],
)
def test_capacity_row(forecast, scheduled, typical, gap, extra):
    row = capacity_row(W, forecast, scheduled, 3, typical)
    assert row.capacity_gap_hours == Decimal(gap)
    assert row.extra_shifts_needed == extra


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


SHIFTS = [  # id, personnel_no, type, planned_start, hours, status, is_duty, is_deleted
    ("a", "P1", "day", msk(2026, 11, 2, 9), 8, "planned", False, False),
    ("b", "P1", "day", msk(2026, 11, 3, 9), 8, "cancelled", False, False),  # no capacity
    ("c", "P1", "day", msk(2026, 11, 4, 9), 8, "planned", False, True),  # deleted
    ("d", "P2", "duty_weekend", msk(2026, 11, 7, 9), 12, "planned", True, False),
    ("e", "P1", "night", msk(2026, 11, 8, 23, 30), 8, "planned", False, False),  # Sunday 23:30 Moscow
    ("f", "P1", "day", msk(2026, 11, 5, 9), 8, "worked", False, False),
    ("g", "P1", "day", msk(2026, 11, 9, 1), 8, "planned", False, False),  # Sunday 22:00 UTC: next week
    ("h", "P2", "duty_day", msk(2026, 11, 6, 9), 12, "absent", True, False),  # no capacity
    ("i", "P1", "day", msk(2026, 11, 13, 9), 8, "planned", False, False),  # published through Fri 13 Nov
    ("j", "P1", "day", msk(2026, 10, 26, 9), 8, "worked", False, False),  # the usual roster: 4 weeks
    ("k", "P1", "day", msk(2026, 10, 27, 9), 8, "worked", False, False),  # before 2 Nov hold 16 h
]


@pytest.fixture(scope="module")
def conn(module_db):
    with psycopg.connect(module_db, autocommit=True) as c:
        create_marts(c, [("P1", 10, "Альфа", "MSK", "Москва"), ("P2", 20, "Бета", "EKB", "Екатеринбург")])
        for sid, pno, kind, start, hours, status, duty, deleted in SHIFTS:
            c.execute(
                "insert into marts.fct_shifts (shift_id, personnel_no, shift_type, planned_start, planned_end, "
                "status, planned_hours, is_duty, is_deleted) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (sid, pno, kind, start, start + timedelta(hours=hours), status, hours, duty, deleted),
            )
        ensure_schema(c)
        for series, level, key, week, yhat in [
            ("hours:company", "company", None, W, 50), ("hours:company", "company", None, W + timedelta(7), 5),
            ("hours:region:EKB", "region", "EKB", W, 30.5),
            ("hours:company", "company", None, W + timedelta(14), 30),
        ]:
            c.execute(
                "insert into forecasts.weekly_forecast values (%s, 'hours', %s, %s, 'x', %s, 1, %s, %s, %s, "
                "'last_week', 0.8, 'v', now())",
                (series, level, key, week, yhat, yhat * 0.8, yhat * 1.2),
            )
        yield c


def test_capacity_plan_from_scheduled_shifts(conn):
    rows = {(r[0], r[4]): r for r in build_capacity(conn, ForecastSettings())}
    # (scheduled_hours, shifts, published, roster_hours, basis, typical, gap, extra)
    # company, week of 2 Nov: a 8 + d 12 + e 8 + f 8 = 36 h in 4 shifts; regular shifts are 8 h;
    # 50 - 36 = 14 -> 2 shifts
    company = rows[("hours:company", W)]
    assert company[7:] == (Decimal("36.00"), 4, True, Decimal("4.00"), "schedule", Decimal("8.00"),
                           Decimal("14.00"), 2, Decimal("0.800"), company[-1])
    # next week: g + i = 16 h against 5 forecast hours -> no extra shift
    nxt = rows[("hours:company", W + timedelta(7))]
    assert nxt[7:15] == (Decimal("16.00"), 2, True, Decimal("4.00"), "schedule", Decimal("8.00"),
                         Decimal("-11.00"), 0)
    # the week of 16 Nov is not published (last shift: Friday 13 Nov): against the usual roster,
    # (16 + 0 + 0 + 0) / 4 = 4 h a week -> 30 - 4 = 26 -> ceil(26 / 8) = 4
    later = rows[("hours:company", W + timedelta(14))]
    assert later[7:15] == (Decimal("0.00"), 0, False, Decimal("4.00"), "usual_roster", Decimal("8.00"),
                           Decimal("26.00"), 4)
    # EKB has only duty shifts: their 12 h is the length; 30.5 - 12 = 18.5 -> 2 shifts
    ekb = rows[("hours:region:EKB", W)]
    assert ekb[7:15] == (Decimal("12.00"), 1, True, Decimal("0.00"), "schedule", Decimal("12.00"),
                         Decimal("18.50"), 2)


def test_capacity_plan_is_written(conn):
    assert write_capacity(conn, ForecastSettings()) == 4
    got = conn.execute(
        "select extra_shifts_needed, capacity_basis from forecasts.capacity_plan "
        "where series = 'hours:company' order by week_start"
    ).fetchall()
    assert got == [(2, "schedule"), (0, "schedule"), (4, "usual_roster")]


def test_an_older_forecasts_layout_is_replaced(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as c:
        c.execute("create schema forecasts; create table forecasts.capacity_plan (series text)")
        ensure_schema(c)
        cols = {r[0] for r in c.execute("select column_name from information_schema.columns "
                                        "where table_schema = 'forecasts' and table_name = 'capacity_plan'")}
        assert {"capacity_basis", "roster_hours", "extra_shifts_needed"} <= cols
        ensure_schema(c)  # a second call keeps what is there
