"""The schedule service of the simulator server against docs/rules.md "Schedule service" (real HTTP)."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar

from source_simulator.servers import sample_world
from source_simulator.store import as_of_clause
from tools.simulator_server import running_server

AUTH = {"Authorization": "Bearer demo-schedule-token"}
SHIFT_FIELDS = {"id", "personnel_no", "email", "shift_type", "planned_start", "planned_end", "actual_start",
                "actual_end", "status", "updated_at", "deleted"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_world.build(tmp_path_factory.mktemp("sch") / "world.sqlite")


@pytest.fixture(scope="module")
def api(world: Path):
    with running_server(world) as base, httpx.Client(base_url=f"{base}/schedule/api/v1", timeout=30) as client:
        yield client


def visible(world: Path, extra: str = "", **params: object) -> dict[str, sqlite3.Row]:
    conn = sqlite3.connect(world)
    conn.row_factory = sqlite3.Row
    rows = conn.execute(f"select * from sch_shifts where {as_of_clause()} {extra}",
                        {"now": sample_world.NOW, **params}).fetchall()
    conn.close()
    return {r["id"]: r for r in rows}


def walk(api: httpx.Client, limit: int, **params: object) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(1000):
        query = {"limit": limit, **params}
        if cursor:
            query["cursor"] = cursor
        response = api.get("/shifts", params=query, headers=AUTH)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("cursor paging did not end")


@pytest.mark.parametrize("limit", [1, 7, 1000])
def test_cursor_walk_returns_every_shift_once(api: httpx.Client, world: Path, limit: int) -> None:
    items = walk(api, limit)
    expected = visible(world)
    assert sorted(i["id"] for i in items) == sorted(expected)
    keys = [(i["updated_at"], i["id"]) for i in items]
    assert keys == sorted(keys)


def test_shift_shape_and_tombstones(api: httpx.Client, world: Path) -> None:
    items = walk(api, 1000)
    for item in items:
        assert set(item) == SHIFT_FIELDS and UUID.match(item["id"])
        assert isinstance(item["deleted"], bool)
        datetime.fromisoformat(item["planned_start"])
    tombstones = [i for i in items if i["deleted"]]
    assert tombstones and all(i["status"] == "cancelled" for i in tombstones)
    assert len(tombstones) == sum(1 for r in visible(world).values() if r["deleted"])
    worked = next(i for i in items if i["status"] == "worked")
    assert worked["actual_start"] and worked["actual_end"]
    planned = [i for i in items if i["status"] == "planned"]
    assert planned and all(i["actual_start"] is None for i in planned)


def test_updated_since(api: httpx.Client, world: Path) -> None:
    since = "2026-02-01T12:00:00+03:00"
    items = walk(api, 5, updated_since=since)
    expected = visible(world, "and updated_at >= :since", since="2026-02-01T09:00:00.000Z")
    assert 0 < len(expected) < len(visible(world))
    assert sorted(i["id"] for i in items) == sorted(expected)


def test_exact_multiple_of_limit_ends_with_null_cursor(api: httpx.Client, world: Path) -> None:
    total = len(visible(world))
    first = api.get("/shifts", params={"limit": total}, headers=AUTH).json()
    assert len(first["items"]) == total and first["next_cursor"] is None


def test_errors(api: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic b2RhdGE6b2RhdGE="}):
        response = api.get("/shifts", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized" and response.json()["detail"]
        assert response.headers["www-authenticate"].startswith("Bearer")
    bad_cursor = api.get("/shifts", params={"cursor": "garbage"}, headers=AUTH)
    assert bad_cursor.status_code == 400 and bad_cursor.json()["error"] == "invalid_cursor"
    bad_since = api.get("/shifts", params={"updated_since": "yesterday"}, headers=AUTH)
    assert bad_since.status_code == 400 and "updated_since" in bad_since.json()["detail"]
    bad_limit = api.get("/shifts", params={"limit": 0}, headers=AUTH)
    assert bad_limit.status_code == 400 and set(bad_limit.json()) == {"error", "detail"}
    assert api.get("/calendar.ics", params={"personnel_no": "1001"}).status_code == 401


def test_calendar_feed_parses(api: httpx.Client, world: Path) -> None:
    response = api.get("/calendar.ics", params={"personnel_no": "1001", "from": "2026-01-01", "to": "2026-02-28"},
                       headers=AUTH)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    expected = {r["id"] for r in visible(world, "and personnel_no = '1001' and deleted = 0 "
                                                "and planned_start < '2026-02-28T21:00:00.000Z'").values()}
    assert expected
    assert {str(e["uid"]).removesuffix("@schedule") for e in events} == expected
    for e in events:
        start = e.decoded("dtstart")
        assert isinstance(start, datetime) and start.tzinfo is not None
        assert e.decoded("dtend") > start
        assert date(2026, 1, 1) <= start.astimezone(UTC).date() <= date(2026, 2, 28)
    # the token can be given as a query parameter (calendar apps cannot send headers)
    by_query = api.get("/calendar.ics", params={"personnel_no": "1001", "token": "demo-schedule-token"})
    assert by_query.status_code == 200
    missing = api.get("/calendar.ics", headers=AUTH)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_parameter"
