"""The help desk's webhook receiver over real HTTP and a real warehouse: each event stored once,
whatever the sender repeats; no token, no storing."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from tools.webhook_receiver import running_receiver
from warehouse import libpq_url

TOKEN = "test-webhook-token"


def status_event(issue_id: int, code: str, old: str | None, at: str) -> dict:
    return {"event": {"event_type": "new_ticket_status", "author": {"id": 7, "type": "employee"}},
            "issue": {"id": issue_id, "status": {"code": code, "name": code},
                      "old_status": None if old is None else {"code": old, "name": old}, "updated_at": at}}


def stored(db_url: str) -> list[tuple]:
    with psycopg.connect(libpq_url(db_url)) as conn:
        return conn.execute("select event_type, issue_id, payload->'issue'->'status'->>'code', event_at"
                            " from raw_helpdesk.webhook_events order by event_at, issue_id").fetchall()


@pytest.fixture
def db(fresh_db: str) -> str:
    return fresh_db


def test_each_event_stored_once_under_duplicates(db: str) -> None:
    events = [status_event(1, "opened", None, "2026-11-02T09:00:00+03:00"),
              status_event(1, "in_progress", "opened", "2026-11-02T09:30:00+03:00"),
              status_event(2, "opened", None, "2026-11-02T10:00:00+03:00")]
    with running_receiver(db, TOKEN) as (url, _):
        answers = [httpx.post(url, params={"token": TOKEN}, json=e) for e in [*events, *events, events[1]]]
        # the same moment written in another offset is the same event
        again = status_event(1, "in_progress", "opened", "2026-11-02T06:30:00Z")
        answers.append(httpx.post(url, headers={"X-Webhook-Token": TOKEN}, json=again))
    assert [a.status_code for a in answers] == [200] * 8
    assert [a.json()["stored"] for a in answers] == [True] * 3 + [False] * 5
    rows = stored(db)
    assert [(r[1], r[2]) for r in rows] == [(1, "opened"), (1, "in_progress"), (2, "opened")]


def test_a_retry_after_a_lost_answer_stores_nothing_twice(db: str) -> None:
    events = [status_event(10 + i, "opened", None, f"2026-11-03T0{i}:00:00+03:00") for i in range(5)]
    # every other POST is stored but its answer is lost: the sender retries until it sees 200
    with running_receiver(db, TOKEN, lose=lambda n: n % 2 == 1) as (url, faults):
        for e in events:
            for _attempt in range(5):
                if httpx.post(url, params={"token": TOKEN}, json=e).status_code == 200:
                    break
    assert faults is not None and faults.lost == 5
    assert [r[1] for r in stored(db)] == [10, 11, 12, 13, 14]


def test_a_wrong_or_missing_token_is_refused_and_nothing_is_stored(db: str) -> None:
    event = status_event(3, "opened", None, "2026-11-02T11:00:00+03:00")
    with running_receiver(db, TOKEN) as (url, _):
        wrong = httpx.post(url, params={"token": "guess"}, json=event)
        header = httpx.post(url, headers={"X-Webhook-Token": TOKEN + "x"}, json=event)
        missing = httpx.post(url, json=event)
        bad = httpx.post(url, params={"token": TOKEN}, content=b"not json")
        nameless = httpx.post(url, params={"token": TOKEN}, json={"issue": {"id": 3}})
    assert (wrong.status_code, header.status_code, missing.status_code) == (403, 403, 403)
    assert wrong.json() == {"error": "missing or wrong token"}
    assert (bad.status_code, nameless.status_code) == (422, 422)
    assert stored(db) == []
