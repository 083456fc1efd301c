"""Webhooks end to end: the simulator POSTs each status change the clock reveals (with duplicates
and, behind a fault that loses answers, retries) to the real receiver; the extractor runs in
okdesk mode (statuses observed by polling); staging then has the world's exact status changes
for the period the webhook was on, and approximate ones only before it."""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from dbt_helpers import Dbt

from extractors.common.settings import RetrySettings
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.run import ExtractConfig, extract
from tools.simulator_server import running_server
from tools.webhook_receiver import running_receiver
from warehouse import libpq_url

TOKEN = "e2e-webhook-token"
FAST = RetrySettings(attempts=12, total_timeout_s=60, wait_initial_s=0.01, wait_max_s=0.2, wait_jitter_s=0.01,
                     max_retry_after_s=0.05, http_timeout_s=20, concurrency=4)


STAGING = ("build", "--select", "stg_helpdesk__webhook_status_changes", "stg_helpdesk__status_changes",
           "source:raw_helpdesk.webhook_events", "source:raw_helpdesk.status_history",
           "--exclude-resource-type", "unit_test")
DUMP = "select * from staging.stg_helpdesk__status_changes order by status_change_id"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _extract_helpdesk(db_url: str, base: str) -> None:
    cfg = ExtractConfig(db_url=db_url, retry=FAST,
                        helpdesk=HelpdeskSettings(url=f"{base}/helpdesk", mode="okdesk", max_rps=0))
    results = extract(sources=["helpdesk"], cfg=cfg)
    failed = [r for r in results if isinstance(r, BaseException) or r.status != "success"]
    assert not failed, failed


def _wait_delivered(base: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = httpx.get(f"{base}/_sim/webhooks").json()
        if status["pending_windows"] == 0:
            return status
        assert time.monotonic() < deadline, f"webhooks still pending: {status}"
        time.sleep(0.2)


def _world_changes(world: Path, after: str, upto: str) -> set[tuple]:
    with sqlite3.connect(world) as conn:
        rows = conn.execute(
            "select issue_id, status_code, changed_at, author_id from hd_status_history"
            " where changed_at > ? and changed_at <= ? and valid_to is null", (after, upto)).fetchall()
    return {(i, s, _utc(c), a) for i, s, c, a in rows}


def _rows(db_url: str, sql: str) -> list[tuple]:
    with psycopg.connect(libpq_url(db_url)) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


@pytest.fixture(scope="module")
def world(dbt_tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("webhook_world") / "world.sqlite"
    shutil.copy(dbt_tiny_world, path)
    return path


def test_webhooks_from_midway_give_exact_transitions_and_polling_the_rest(dbt: Dbt, world: Path) -> None:
    with running_receiver(dbt.db_url, TOKEN, lose=lambda n: n % 5 == 0) as (url, faults):
        env = {"SIM_HELPDESK_DIALECT": "okdesk", "SIM_HELPDESK_WEBHOOK_URL": f"{url}?token={TOKEN}",
               "SIM_HELPDESK_WEBHOOK_DUPLICATE_RATE": "0.3"}
        with running_server(world, env=env) as base:
            start = httpx.get(f"{base}/_sim/clock").json()["now"]
            _extract_helpdesk(dbt.db_url, base)  # before the webhook: every issue's first sight
            dbt(*STAGING)
            for _day in range(2):
                httpx.post(f"{base}/_sim/clock", json={"advance_days": 1}).raise_for_status()
            end = httpx.get(f"{base}/_sim/clock").json()["now"]
            sent = _wait_delivered(base)["counts"]
            _extract_helpdesk(dbt.db_url, base)
    changes = _world_changes(world, start, end)
    assert len(changes) >= 5, "the two simulated days changed too few statuses to prove anything"
    # every change arrived once, although some were sent twice and some answers were lost
    assert sent["duplicates"] > 0 and sent["retries"] > 0 and faults is not None and faults.lost > 0
    assert sent["failed"] == 0
    assert _rows(dbt.db_url, "select count(*) from raw_helpdesk.webhook_events") == [(len(changes),)]

    dbt(*STAGING)  # the nightly run: only the tickets with new rows or events
    nightly = _rows(dbt.db_url, DUMP)
    dbt(*STAGING, "--full-refresh")
    assert nightly == _rows(dbt.db_url, DUMP), "the nightly run differs from a full build"
    counted = _rows(dbt.db_url, "select ticket_id, status_code, changed_at, author_employee_id, is_approximate"
                                " from staging.stg_helpdesk__status_changes where vanished_at is null")
    after_start = {r[:4] for r in counted if r[2] > _utc(start)}
    assert after_start == changes
    assert all(not r[4] for r in counted if r[2] > _utc(start))
    # before the webhook only polling saw the statuses: approximate, one per issue seen then
    before = [r for r in counted if r[2] <= _utc(start)]
    assert before and all(r[4] for r in before)
    assert len({r[0] for r in before}) == len(before)


def test_webhooks_next_to_the_relay_history_equal_it_and_leave_it_alone(
        fresh_db: str, world: Path, tmp_path: Path) -> None:
    """The relay's own history and the webhooks saw the same changes: the webhook transitions
    equal the history rows, and the history counts (so the marts stay what the relay gives)."""
    db = Dbt(fresh_db, tmp_path / "dbt")
    relay_world = tmp_path / "world.sqlite"
    shutil.copy(world, relay_world)
    with running_receiver(fresh_db, TOKEN) as (url, _):
        env = {"SIM_HELPDESK_WEBHOOK_URL": f"{url}?token={TOKEN}", "SIM_HELPDESK_WEBHOOK_DUPLICATE_RATE": "0.3"}
        with running_server(relay_world, env=env) as base:
            start = httpx.get(f"{base}/_sim/clock").json()["now"]
            httpx.post(f"{base}/_sim/clock", json={"advance_days": 1}).raise_for_status()
            _wait_delivered(base)
            results = extract(sources=["helpdesk"], entities=["status_history"], cfg=ExtractConfig(
                db_url=fresh_db, retry=FAST, helpdesk=HelpdeskSettings(url=f"{base}/helpdesk")))
            assert all(getattr(r, "status", None) == "success" for r in results), results
    db(*STAGING)
    webhook = _rows(fresh_db, "select ticket_id, status_code, changed_at, author_employee_id"
                              " from staging.stg_helpdesk__webhook_status_changes order by 1, 3, 2")
    history = _rows(fresh_db, "select ticket_id, status_code, changed_at, author_employee_id"
                              " from staging.stg_helpdesk__status_changes where status_change_id > 0"
                              f" and changed_at > '{start}' order by 1, 3, 2")
    assert webhook and webhook == history
    counted = _rows(fresh_db, "select count(*) filter (where status_change_id < 0), count(*)"
                              " from staging.stg_helpdesk__status_changes where vanished_at is null")
    assert counted[0][0] == 0 and counted[0][1] > len(history)
