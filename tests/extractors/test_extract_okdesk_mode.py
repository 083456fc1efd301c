"""HELPDESK_MODE=okdesk against the simulator's okdesk dialect (only documented Okdesk methods):
time entries per changed issue, status changes derived from the polled issue versions, no call of
a method Okdesk does not have (real HTTP, real PostgreSQL)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from extractors.common.http import SourceError
from extractors.common.runner import EntityResult
from extractors.common.settings import RetrySettings
from extractors.helpdesk.client import HelpdeskClient, okdesk_retry
from extractors.helpdesk.extract import poll_change_id
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.run import ALL_SPECS, extract
from source_simulator.truth import truth_frames
from tests.extractors.conftest import FAST_RETRY, Sim
from tools.simulator_server import running_server

HD = "/helpdesk/api/v1"
MSK = ZoneInfo("Europe/Moscow")
NOT_IN_OKDESK = (f"GET {HD}/issues/status_history", f"GET {HD}/time_entries/list")
# every source but the help desk's status history and time entries is compared with the truth
# as the other tests do (per-issue time entries carry no updated_at; status history is derived)
SAME_AS_RELAY = ["raw_helpdesk.issues", "raw_helpdesk.employees", "raw_helpdesk.companies",
                 "raw_helpdesk.maintenance_entities", "raw_helpdesk.equipments", "raw_schedule.shifts",
                 "raw_onec.employees", "raw_onec.clients", "raw_onec.contracts", "raw_onec.sales"]


@pytest.fixture(scope="module")
def okdesk_sim(extract_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    world = tmp_path_factory.mktemp("okdesk_world") / "world.sqlite"
    shutil.copy(extract_world, world)
    with running_server(world, "--helpdesk-dialect", "okdesk") as base:
        yield Sim(base, world)


def _settings(sim: Sim, **kw: object) -> HelpdeskSettings:
    # unpaced: the rate limit has a test of its own; 439 per-issue calls at 5/s would take 90 s
    return HelpdeskSettings(url=f"{sim.base}/helpdesk", mode="okdesk", max_rps=0, **kw)


def _requests(sim: Sim) -> dict[str, int]:
    return httpx.get(f"{sim.base}/_sim/requests").json()["counts"]


def _ok(results: list) -> dict[str, EntityResult]:
    failed = [r for r in results if not (isinstance(r, EntityResult) and r.ok)]
    assert not failed, failed
    return {f"raw_{r.source}.{r.entity}": r for r in results}


def _changes(db: str) -> list[tuple]:
    with psycopg.connect(db) as conn:
        return conn.execute(
            "select id, issue_id, payload->'status'->>'code', payload->'previous_status'->>'code',"
            " (payload->>'changed_at')::timestamptz, payload->>'observed_by', _load_id"
            " from raw_helpdesk.status_history order by issue_id, updated_at").fetchall()


def _current_issues(sim: Sim, now: str) -> dict[int, tuple[str, datetime]]:
    return {int(r["id"]): (r["status_code"], datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00")))
            for r in truth_frames(sim.world, now)["hd_issues"]}


def test_full_extraction_calls_only_documented_methods(okdesk_sim, module_db, raw_matches_truth):
    httpx.delete(f"{okdesk_sim.base}/_sim/requests")
    results = _ok(extract(cfg=okdesk_sim.config(module_db, helpdesk=_settings(okdesk_sim))))
    assert len(results) == len(ALL_SPECS)  # every entity of every source
    now = okdesk_sim.clock()
    raw_matches_truth(module_db, okdesk_sim.world, now, SAME_AS_RELAY)

    calls = _requests(okdesk_sim)
    assert not [k for k in calls if k in NOT_IN_OKDESK], calls
    issues = _current_issues(okdesk_sim, now)
    # one time-entries call per issue on a first load, and every entry of the world is in raw
    assert calls[f"GET {HD}/issues/{{issue_id}}/time_entries"] == len(issues) == 287
    truth = truth_frames(okdesk_sim.world, now)
    with psycopg.connect(module_db) as conn:
        entries = sorted(conn.execute("select id, issue_id from raw_helpdesk.time_entries").fetchall())
    assert entries == sorted((r["id"], r["issue_id"]) for r in truth["hd_time_entries"])

    # the first sight of each issue is its first observed status, at its updated_at
    changes = _changes(module_db)
    assert [(c[1], c[2], c[4]) for c in changes] == [(i, *issues[i]) for i in sorted(issues)]
    assert {c[5] for c in changes} == {"poll"} and {c[3] for c in changes} == {None}
    assert all(c[0] == poll_change_id(c[1], c[4]) < 0 for c in changes)


def test_status_changes_between_runs_are_observed_once(okdesk_sim, module_db):
    before_clock = okdesk_sim.clock()
    old = _current_issues(okdesk_sim, before_clock)
    stored = _changes(module_db)
    now = okdesk_sim.advance_days(2)
    new = _current_issues(okdesk_sim, now)
    httpx.delete(f"{okdesk_sim.base}/_sim/requests")
    results = _ok(extract(sources=["helpdesk"], cfg=okdesk_sim.config(module_db, helpdesk=_settings(okdesk_sim))))

    moved = {i: (new[i][0], old[i][0] if i in old else None, new[i][1])
             for i in new if i not in old or new[i][0] != old[i][0]}
    assert len([i for i in moved if i in old]) >= 5, "two days of the tiny world change some statuses"
    added = [c for c in _changes(module_db) if c not in stored]
    assert {c[1]: (c[2], c[3], c[4]) for c in added} == moved
    assert len(added) == len(moved) == results["raw_helpdesk.status_history"].rows_inserted
    # an issue whose version moved without a status change gets no row
    assert any(i in old and new[i][1] != old[i][1] and new[i][0] == old[i][0] for i in new)
    assert not [k for k in _requests(okdesk_sim) if k in NOT_IN_OKDESK]


def test_a_rerun_and_a_rederivation_write_nothing_twice(okdesk_sim, module_db, monkeypatch):
    before = _changes(module_db)
    again = _ok(extract(sources=["helpdesk"], cfg=okdesk_sim.config(module_db, helpdesk=_settings(okdesk_sim))))
    assert again["raw_helpdesk.status_history"].rows_inserted == 0
    # no issue changed: only the sweep's issues are re-read, and their entries are stored already
    assert again["raw_helpdesk.time_entries"].rows_seen > 0
    assert again["raw_helpdesk.time_entries"].rows_inserted == again["raw_helpdesk.time_entries"].rows_vanished == 0
    # derived from every stored issue version again (as a run that lost its cursor would), in
    # batches of 50: the same ids and payloads, so nothing is inserted
    from extractors.helpdesk import extract as helpdesk_extract

    monkeypatch.setattr(helpdesk_extract, "DERIVE_BATCH", 50)
    with psycopg.connect(module_db) as conn:
        conn.execute("update raw_meta.loads set cursor_after = 'issues_load:0'"
                     " where entity = 'status_history' and cursor_after is not null")
    redo = _ok(extract(sources=["helpdesk"], entities=["status_history"],
                       cfg=okdesk_sim.config(module_db, helpdesk=_settings(okdesk_sim))))
    assert redo["raw_helpdesk.status_history"].rows_seen == len(before)
    assert redo["raw_helpdesk.status_history"].rows_inserted == 0
    assert _changes(module_db) == before


def test_an_oversize_page_gets_okdesks_error(okdesk_sim):
    # the settings refuse a page over 100 (HELPDESK_LIST_PAGE_SIZE le=100): forced here to see
    # what an account answers, and that a refusal is not retried
    settings = _settings(okdesk_sim).model_copy(update={"list_page_size": 101})

    async def first_page() -> None:
        async with HelpdeskClient(settings, MSK, FAST_RETRY) as client:
            async for _ in client.id_pages("/employees/list"):
                break

    httpx.delete(f"{okdesk_sim.base}/_sim/requests")
    with pytest.raises(SourceError, match="должно быть меньше или равно 100") as err:
        asyncio.run(first_page())
    assert err.value.status == 400
    assert _requests(okdesk_sim) == {f"GET {HD}/employees/list": 1}


def test_feeds_mode_against_okdesk_fails_naming_the_missing_method(okdesk_sim, fresh_db):
    cfg = okdesk_sim.config(fresh_db, helpdesk=HelpdeskSettings(url=f"{okdesk_sim.base}/helpdesk", mode="feeds"))
    results = extract(sources=["helpdesk"], entities=["status_history"], cfg=cfg)
    assert len(results) == 1 and not (isinstance(results[0], EntityResult) and results[0].ok)
    assert "/issues/status_history" in str(results[0]) and "404" in str(results[0])


def test_okdesk_mode_paces_its_requests():
    okdesk = HelpdeskSettings(mode="okdesk")
    assert okdesk.max_rps == 5
    assert okdesk_retry(okdesk, RetrySettings()).max_rps == 5
    assert okdesk_retry(okdesk, RetrySettings(max_rps=2)).max_rps == 2  # the lower wins
    assert okdesk_retry(okdesk.model_copy(update={"max_rps": 0}), RetrySettings()).max_rps == 0
    assert okdesk_retry(HelpdeskSettings(mode="feeds"), RetrySettings()).max_rps == 0  # our relay: unpaced
    client = HelpdeskClient(okdesk, MSK, RetrySettings())
    assert client.http.limiter is not None and client.http.limiter.max_rate == 5
    asyncio.run(client.__aexit__(None, None, None))
