"""The extractors' edges against the simulator: a source dating rows in the future cannot move
a cursor past changes still to come (the rows are rejected with a reason and read again later),
an answer larger than the limit stops with an error naming the setting, and Retry-After is
honoured as seconds or as an HTTP date, up to its configured maximum."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from extractors.common.http import SourceError
from extractors.common.runner import EntityResult
from extractors.run import extract
from tools.testdb import create_database, drop_database

FAST = {"attempts": 12, "total_timeout_s": 120, "wait_initial_s": 0.01, "wait_max_s": 0.2, "wait_jitter_s": 0.01,
        "http_timeout_s": 20, "concurrency": 4}


def retry(**overrides):
    from extractors.common.settings import RetrySettings

    return RetrySettings(**{**FAST, "max_retry_after_s": 0.05, **overrides})


def shifts(sim, db, **retry_overrides) -> EntityResult | BaseException:
    [result] = extract(["schedule"], None, sim.config(db, retry=retry(**retry_overrides)))
    return result


def test_a_future_dated_row_is_rejected_holds_the_cursor_and_is_read_again(sim, module_db):
    sim.faults(modes=["future_dated"], rate=1.0, future_minutes=24 * 60)
    started = datetime.now(UTC)
    first = shifts(sim, module_db)
    assert isinstance(first, EntityResult) and first.ok, first
    with psycopg.connect(module_db) as conn:
        reasons = [r for (r,) in conn.execute("select reason from raw_schedule.rejects").fetchall()]
        in_raw = conn.execute("select count(*) from raw_schedule.shifts where updated_at > now()").fetchone()[0]
    assert reasons and all("'updated_at': dated in the future" in r and "read again on a later run" in r
                           for r in reasons), reasons
    assert in_raw == 0, "a row dated tomorrow reached raw"
    # the cursor stays at the run's start minus the overlap at most, not tomorrow
    cursor = datetime.fromisoformat(first.cursor_after)
    assert cursor <= started, (cursor, started)

    # a later run reads the row again; once its date is no longer ahead of the run (here: the
    # allowed clock skew covers it, as time passing would), it is kept
    second = shifts(sim, module_db, clock_skew_s=2 * 24 * 3600)
    assert isinstance(second, EntityResult) and second.ok, second
    with psycopg.connect(module_db) as conn:
        kept = conn.execute("select count(*) from raw_schedule.shifts where updated_at > now()").fetchone()[0]
    assert kept >= 1
    assert datetime.fromisoformat(second.cursor_after) <= datetime.now(UTC)
    sim.faults(modes=[])


@pytest.fixture
def fresh_db(warehouse_server_url: str) -> Iterator[str]:
    url = create_database(warehouse_server_url, prefix="t_extract_edges_fresh")
    yield url
    drop_database(url)


def test_an_answer_over_the_size_limit_stops_with_the_setting_named(sim, fresh_db):
    sim.faults(modes=[])
    result = shifts(sim, fresh_db, max_response_mb=0.001)
    assert isinstance(result, SourceError), result
    assert "larger than EXTRACT_MAX_RESPONSE_MB=0.001 MB" in str(result)
    with psycopg.connect(fresh_db) as conn:
        status, error = conn.execute("select status, error from raw_meta.loads where source = 'schedule'"
                                     " order by load_id desc limit 1").fetchone()
    assert status == "failed" and "EXTRACT_MAX_RESPONSE_MB" in error
    # the registry workbook, read whole by its own client, stops at the same limit
    [registry] = extract(["registry"], ["sites"], sim.config(fresh_db, retry=retry(max_response_mb=0.001)))
    assert isinstance(registry, SourceError) and "EXTRACT_MAX_RESPONSE_MB" in str(registry), registry


def test_retry_after_as_an_http_date_is_honoured(sim, fresh_db):
    # every request is refused once with "come back in 2 s", written as an HTTP date
    sim.faults(modes=["rate_limit"], rate=1.0, max_consecutive=1, retry_after=2, retry_after_date=True)
    t0 = time.monotonic()
    result = shifts(sim, fresh_db, max_retry_after_s=10)
    waited = time.monotonic() - t0
    assert isinstance(result, EntityResult) and result.ok, result
    assert sim.faults()["counts"].get("rate_limit", 0) >= 1
    # an HTTP date has whole seconds: "2 s from now" is at least one second away
    assert waited >= 1.0, waited
    sim.faults(modes=[])


def test_retry_after_is_honoured_only_up_to_the_maximum(sim, fresh_db):
    # the server asks for ten minutes; the setting allows a fraction of a second per wait
    sim.faults(modes=["rate_limit"], rate=1.0, max_consecutive=1, retry_after=600, retry_after_date=True)
    t0 = time.monotonic()
    result = shifts(sim, fresh_db, max_retry_after_s=0.2)
    assert isinstance(result, EntityResult) and result.ok, result
    assert time.monotonic() - t0 < 60
    sim.faults(modes=[])


