"""HELPDESK_MODE=okdesk: time entries read per changed issue, as plain Okdesk offers them."""

from __future__ import annotations

import psycopg

from extractors.common.runner import EntityResult
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.run import extract
from source_simulator.truth import truth_frames


def test_okdesk_mode_reads_time_entries_per_issue(sim, fresh_db):
    cfg = sim.config(fresh_db, helpdesk=HelpdeskSettings(url=f"{sim.base}/helpdesk", mode="okdesk"))
    results = extract(sources=["helpdesk"], entities=["issues", "time_entries"], cfg=cfg)
    assert all(isinstance(r, EntityResult) and r.ok for r in results), results
    truth = truth_frames(sim.world, sim.clock())
    want = sorted((r["id"], r["issue_id"]) for r in truth["hd_time_entries"])
    with psycopg.connect(fresh_db) as conn:
        got = sorted(conn.execute(
            "select id, (payload->>'issue_id')::bigint from raw_helpdesk.time_entries").fetchall())
        cursor = conn.execute("select cursor_after from raw_meta.loads where entity = 'time_entries'").fetchone()[0]
    assert got == want
    assert cursor.startswith("issues_load:")

    # nothing changed: no issue is re-read, nothing inserted
    again = extract(sources=["helpdesk"], entities=["issues", "time_entries"], cfg=cfg)
    assert [r.rows_inserted for r in again] == [0, 0]
    assert next(r for r in again if r.entity == "time_entries").rows_seen == 0
