"""Okdesk mode against an account configured unlike the company: its own time zone, time entries
that change without moving the issue, a request-rate limit (real HTTP to the simulator's okdesk
dialect, real PostgreSQL)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from extractors.common.runner import EntityResult
from extractors.common.settings import CompanySettings
from extractors.helpdesk.client import since_minute
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.run import extract
from source_simulator.truth import truth_frames
from tests.extractors.conftest import Sim, assert_raw_matches_truth
from tools.simulator_server import running_server

COMPANY = "Asia/Vladivostok"  # the company works in Vladivostok ...
ACCOUNT = "Europe/Moscow"     # ... its Okdesk account was left in Moscow time (7 hours behind)


def _ok(results: list) -> dict[str, EntityResult]:
    failed = [r for r in results if not (isinstance(r, EntityResult) and r.ok)]
    assert not failed, failed
    return {r.entity: r for r in results}


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def zone_sim(extract_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    world = tmp_path_factory.mktemp("zone_world") / "world.sqlite"
    shutil.copy(extract_world, world)
    env = {"COMPANY_TZ": COMPANY, "SIM_HELPDESK_ACCOUNT_TZ": ACCOUNT}
    with running_server(world, "--helpdesk-dialect", "okdesk", env=env) as base:
        yield Sim(base, world)


def _issues_run(sim: Sim, db: str, account_tz: str | None) -> EntityResult:
    settings = HelpdeskSettings(url=f"{sim.base}/helpdesk", mode="okdesk", max_rps=0, account_tz=account_tz)
    cfg = sim.config(db, helpdesk=settings, company=CompanySettings(company_tz=COMPANY))
    return _ok(extract(sources=["helpdesk"], entities=["issues"], cfg=cfg))["issues"]


def test_filters_in_the_accounts_zone_lose_nothing_between_runs(zone_sim, fresh_db):
    _issues_run(zone_sim, fresh_db, ACCOUNT)
    now = zone_sim.advance_days(2)
    second = _issues_run(zone_sim, fresh_db, ACCOUNT)
    assert second.rows_inserted > 0  # two days of changes arrived ...
    assert_raw_matches_truth(fresh_db, zone_sim.world, now, ["raw_helpdesk.issues"])  # ... all of them


def test_filters_in_the_company_zone_would_lose_the_changes_of_the_gap(zone_sim, fresh_db):
    """Without HELPDESK_ACCOUNT_TZ every filter is written in Vladivostok time and read by the
    account as Moscow time: 7 hours later than meant. What changed in those 7 hours after the
    cursor (and not again since) is never read; so are rows the first load's own restarts
    (updated_since from the last page's minute, client.py) jump over."""
    first = _issues_run(zone_sim, fresh_db, None)
    now = zone_sim.advance_days(2)
    _issues_run(zone_sim, fresh_db, None)

    meant = since_minute(_ts(first.cursor_after), ZoneInfo(COMPANY))
    read_as = meant.replace(tzinfo=None).replace(tzinfo=ZoneInfo(ACCOUNT))  # the same wall time, Moscow
    assert read_as - meant == timedelta(hours=7)
    truth = {int(r["id"]): _ts(r["updated_at"]) for r in truth_frames(zone_sim.world, now)["hd_issues"]}
    in_gap = {i for i, t in truth.items() if meant <= t < read_as}
    assert in_gap, "the tiny world changes some issues within 7 hours of a run"
    with psycopg.connect(fresh_db) as conn:
        stored = {(r[0], r[1]) for r in conn.execute("select id, updated_at from raw_helpdesk.issues")}
    missing = {i for i, t in truth.items() if (i, t) not in stored}
    assert in_gap <= missing
    assert len(missing) > len(in_gap)  # the first load's restarts skipped more
    with pytest.raises(AssertionError, match="raw_helpdesk.issues: truth"):
        assert_raw_matches_truth(fresh_db, zone_sim.world, now, ["raw_helpdesk.issues"])
