"""A run that dies halfway leaves committed pages and an honest loads row; the next run converges."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import psycopg

from extractors.common.runner import EntityResult
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.run import extract


class Died(Exception):
    """The process 'dies': every request after the n-th fails for good."""


class DyingTransport(httpx.AsyncBaseTransport):
    def __init__(self, after: int):
        self.inner = httpx.AsyncHTTPTransport()
        self.left = after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.left -= 1
        if self.left < 0:
            raise Died("injected: the extractor died here")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_exception_after_n_pages_then_rerun_converges(sim, fresh_db, raw_matches_truth):
    small_pages = HelpdeskSettings(url=f"{sim.base}/helpdesk", batch_pages=1, issues_page_size=20, list_page_size=50)
    dying = sim.config(fresh_db, helpdesk=small_pages,
                       transport=lambda source: DyingTransport(12) if source == "helpdesk" else None)
    first = extract(sources=["helpdesk"], cfg=dying)
    assert any(isinstance(r, Died) for r in first)
    with psycopg.connect(fresh_db) as conn:
        statuses = dict(conn.execute("select entity, status from raw_meta.loads").fetchall())
        partial = conn.execute("select count(*) from raw_helpdesk.issues").fetchone()[0]
        error = conn.execute("select error from raw_meta.loads where status = 'failed' limit 1").fetchone()[0]
    assert "failed" in statuses.values() and "Died" in error
    assert partial > 0, "pages read before the failure were committed"

    again = extract(sources=["helpdesk"], cfg=sim.config(fresh_db, helpdesk=small_pages))
    assert all(isinstance(r, EntityResult) and r.ok for r in again), again
    raw_matches_truth(fresh_db, sim.world, sim.clock(), [t for t in _helpdesk_tables()])


def test_killed_subprocess_then_rerun_converges(sim, fresh_db, raw_matches_truth):
    env = {
        **os.environ, "WAREHOUSE_URL": fresh_db, "HELPDESK_URL": f"{sim.base}/helpdesk",
        "SCHEDULE_URL": f"{sim.base}/schedule", "ONEC_URL": f"{sim.base}/onec",
        "REGISTRY_PATH": f"{sim.base}/registry.xlsx", "EXTRACT_MAX_RPS": "10", "HELPDESK_BATCH_PAGES": "1",
    }
    proc = subprocess.Popen([sys.executable, "-m", "extractors", "run", "--source", "helpdesk"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if _rows(fresh_db, "raw_helpdesk.status_history") > 0:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the extraction ended before it could be killed: " + proc.stdout.read().decode()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with psycopg.connect(fresh_db) as conn:
        running = conn.execute("select count(*) from raw_meta.loads where status = 'running'").fetchone()[0]
    assert running > 0, "the killed run's loads stay 'running' (never claimed a success)"

    again = extract(sources=["helpdesk"], cfg=sim.config(fresh_db))
    assert all(isinstance(r, EntityResult) and r.ok for r in again), again
    raw_matches_truth(fresh_db, sim.world, sim.clock(), _helpdesk_tables())


def _rows(db_url: str, table: str) -> int:
    try:
        with psycopg.connect(db_url) as conn:
            return conn.execute(f"select count(*) from {table}").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        return 0


def _helpdesk_tables() -> list[str]:
    return [f"raw_helpdesk.{t}" for t in ("issues", "status_history", "time_entries", "employees", "companies",
                                          "maintenance_entities", "equipments")]
