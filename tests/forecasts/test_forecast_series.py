"""Series preparation from contract-shaped marts, on a hand-made week-by-week case."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from fc_world import create_marts

from forecasts.run import read_actuals, write_actuals
from forecasts.series import load_series
from forecasts.settings import ForecastSettings

MSK = ZoneInfo("Europe/Moscow")
ENGINEERS = [("P1", 10, "Альфа", "MSK", "Москва"), ("P2", 20, "Бета", "EKB", "Екатеринбург")]


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


TICKETS = [  # (id, created_at, personnel_no, team_id)
    (1, msk(2026, 3, 4, 12, 0), "P1", 10),  # Wednesday: the first week is partial -> left out
    (2, msk(2026, 3, 9, 0, 30), "P1", 10),  # Monday 00:30 Moscow = Sunday 21:30 UTC -> week of 9 March
    (3, msk(2026, 3, 15, 23, 30), "P2", 20),  # Sunday 23:30 Moscow -> still week of 9 March
    (4, msk(2026, 3, 23, 10, 0), "P1", 10),
    (5, msk(2026, 3, 23, 11, 0), "P2", None),  # no team: region from its engineer, no team series
    (6, msk(2026, 3, 30, 10, 0), "P1", 10),
    (7, msk(2026, 4, 6, 10, 0), "P1", 10),  # the week of as_of is not complete -> left out
]
ENTRIES = [  # (id, personnel_no, logged_at, hours)
    (1, "P1", msk(2026, 3, 4, 15, 0), 9.0),  # partial first week
    (2, "P1", msk(2026, 3, 10, 10, 0), 2.5),
    (3, None, msk(2026, 3, 10, 11, 0), 1.0),  # an unmatched contractor: company only
    (4, "P2", msk(2026, 3, 24, 10, 0), 3.0),
    (5, "P1", msk(2026, 4, 1, 10, 0), 1.25),
]
AS_OF = msk(2026, 4, 8, 12, 0)
SETTINGS = ForecastSettings(min_train_weeks=4, min_team_weeks=3, as_of=AS_OF)


@pytest.fixture(scope="module")
def conn(module_db):
    with psycopg.connect(module_db, autocommit=True) as c:
        create_marts(c, ENGINEERS)
        for row in TICKETS:
            c.execute("insert into marts.fct_tickets (ticket_id, created_at, personnel_no, team_id) "
                      "values (%s, %s, %s, %s)", row)
        for row in ENTRIES:
            c.execute("insert into marts.fct_time_entries (time_entry_id, personnel_no, logged_at, hours) "
                      "values (%s, %s, %s, %s)", row)
        yield c


@pytest.fixture(scope="module")
def found(conn):
    return load_series(conn, SETTINGS)


def values(found, name):
    s = {x.name: x for x in found.series}[name]
    return {ts.date().isoformat(): v for ts, v in s.values.items()}


def test_weeks_are_complete_iso_weeks_in_the_company_zone(found):
    assert found.last_week == date(2026, 3, 30)
    assert values(found, "tickets:company") == {
        "2026-03-09": 2.0, "2026-03-16": 0.0, "2026-03-23": 2.0, "2026-03-30": 1.0,
    }


def test_regions_and_teams(found):
    assert values(found, "tickets:region:MSK") == {"2026-03-09": 1, "2026-03-16": 0, "2026-03-23": 1, "2026-03-30": 1}
    assert values(found, "tickets:region:EKB") == {"2026-03-09": 1, "2026-03-16": 0, "2026-03-23": 1, "2026-03-30": 0}
    assert values(found, "tickets:team:10") == {"2026-03-09": 1, "2026-03-16": 0, "2026-03-23": 1, "2026-03-30": 1}
    assert values(found, "tickets:team:20") == {"2026-03-09": 1, "2026-03-16": 0, "2026-03-23": 0, "2026-03-30": 0}
    labels = {x.name: x.label for x in found.series}
    assert labels["tickets:team:10"] == "Альфа" and labels["tickets:region:EKB"] == "Екатеринбург"


def test_hours_count_unmatched_people_for_the_company_only(found):
    assert values(found, "hours:company") == {"2026-03-09": 3.5, "2026-03-16": 0, "2026-03-23": 3.0, "2026-03-30": 1.25}
    assert values(found, "hours:region:MSK") == {"2026-03-09": 2.5, "2026-03-16": 0, "2026-03-23": 0, "2026-03-30": 1.25}


def test_short_series_are_skipped_with_a_reason(found):
    skipped = dict(found.skipped)
    assert skipped["hours:region:EKB"] == "2 complete weeks of history, 4 needed"
    assert skipped["hours:team:20"] == "2 complete weeks of history, 3 needed"
    names = {x.name for x in found.series}
    assert not names & set(skipped)


def test_actuals_round_trip_through_the_forecasts_schema(conn, found):
    write_actuals(conn, found)
    back = read_actuals(conn)
    assert (back.as_of, back.last_week, back.skipped) == (found.as_of, found.last_week, found.skipped)
    again = {s.name: s for s in back.series}
    assert set(again) == {s.name for s in found.series}
    company = again["tickets:company"]
    assert company.key is None and company.level == "company"
    assert company.values.tolist() == [2.0, 0.0, 2.0, 1.0]
    holiday = conn.execute(
        "select holiday_workdays from forecasts.weekly_actuals where series = 'tickets:company' "
        "and week_start = '2026-03-09'"
    ).fetchone()
    assert holiday == (1,)  # 9 March 2026: Women's Day observed on the Monday


def test_missing_marts_are_named(fresh_db):
    with psycopg.connect(fresh_db) as c, pytest.raises(RuntimeError, match="table marts.fct_tickets"):
        load_series(c, SETTINGS)
