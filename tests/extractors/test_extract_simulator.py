"""Extraction of the tiny world over real HTTP into a real database: truth, idempotence, increments."""

from __future__ import annotations

import psycopg

from extractors.common.runner import EntityResult
from extractors.run import extract

FEEDS = {"raw_helpdesk.issues", "raw_helpdesk.status_history", "raw_helpdesk.time_entries",
         "raw_helpdesk.maintenance_entities", "raw_schedule.shifts", "raw_onec.employees", "raw_onec.clients",
         "raw_onec.contracts", "raw_onec.sales"}


def _ok(results) -> dict[str, EntityResult]:
    failed = [r for r in results if not isinstance(r, EntityResult)]
    assert not failed, f"entities failed: {failed}"
    return {f"raw_{r.source}.{r.entity}": r for r in results}


def test_first_run_loads_every_record_once(sim, module_db, raw_matches_truth):
    results = _ok(extract(cfg=sim.config(module_db)))
    assert all(r.ok for r in results.values())
    raw_matches_truth(module_db, sim.world, sim.clock())
    with psycopg.connect(module_db) as conn:
        loads = conn.execute("select count(*), count(*) filter (where status = 'success') from raw_meta.loads").fetchone()
    assert loads[0] == loads[1] == len(results)


def test_unreadable_workbook_rows_are_the_expected_rejects(sim, module_db):
    from source_simulator.truth import truth_frames

    expected = {(r["sheet"], r["row_number"], r["column"])
                for r in truth_frames(sim.world, sim.clock())["registry_expected_rejects"]}
    with psycopg.connect(module_db) as conn:
        got = conn.execute("select sheet, row_number, column_name, reason from raw_registry.rejects").fetchall()
    assert {(s, n, c) for s, n, c, _ in got} == expected
    for sheet, row, column, reason in got:
        assert f"sheet '{sheet}', row {row}: column '{column}'" in reason


def test_second_run_without_changes_inserts_nothing(sim, module_db, raw_counts):
    from extractors.run import _first_load

    # increments stay in one process: only a feed without a cursor gets a process of its own
    assert not any(_first_load(module_db, "helpdesk", e) for e in ("issues", "status_history", "time_entries"))
    before = raw_counts(module_db)
    results = _ok(extract(cfg=sim.config(module_db)))
    assert {k: r.rows_inserted for k, r in results.items() if r.rows_inserted} == {}
    assert raw_counts(module_db) == before


def test_a_big_full_reload_runs_in_its_own_process_and_changes_nothing(sim, module_db, raw_counts, monkeypatch):
    """Full reloads (no change filter) whose last load saw BIG_RELOAD_ROWS rows (the equipment
    list on `large`: 61k rows a night) get a spawned process; what lands is the same."""
    from extractors import run as extractor_run

    wanted = [("helpdesk", "equipments"), ("helpdesk", "issues"), ("onec", "sales")]
    assert extractor_run._big_reloads(module_db, wanted) == []  # tiny: a few hundred rows
    monkeypatch.setattr(extractor_run, "BIG_RELOAD_ROWS", 1)
    assert extractor_run._big_reloads(module_db, wanted) == [("helpdesk", "equipments"), ("onec", "sales")]
    spawned = []
    real_worker_pool = extractor_run.ProcessPoolExecutor

    class CountingPool(real_worker_pool):
        def submit(self, fn, *args, **kwargs):
            spawned.append(args[:2])
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(extractor_run, "ProcessPoolExecutor", CountingPool)
    before = raw_counts(module_db)
    from tests.extractors.conftest import FAST_RETRY

    retry = FAST_RETRY.model_copy(update={"processes": 2})
    results = _ok(extract(cfg=sim.config(module_db, retry=retry)))
    assert sorted(spawned) == [("helpdesk", "equipments"), ("onec", "sales")]
    assert results["raw_helpdesk.equipments"].ok and results["raw_onec.sales"].ok
    assert {k: r.rows_inserted for k, r in results.items() if r.rows_inserted} == {}
    assert raw_counts(module_db) == before


def test_a_day_later_only_changes_are_inserted(sim, module_db, raw_matches_truth, raw_counts, truth_at):
    before_clock = sim.clock()
    before = raw_counts(module_db)
    old = truth_at(sim.world, before_clock)
    now = sim.advance_days(1)
    new = truth_at(sim.world, now)
    results = _ok(extract(cfg=sim.config(module_db)))
    raw_matches_truth(module_db, sim.world, now)
    after = raw_counts(module_db)
    changed = {}
    for table in new:
        fresh = set(new[table]) - set(old[table])
        key_len = len(new[table][0]) if new[table] else 1
        gone = {v[:key_len] for v in old[table]} - {v[:key_len] for v in new[table]}
        if table in FEEDS:  # versioned keys: a record's new version replaces the old one
            gone = set()
        expected = len(fresh) + len(gone)  # full reloads: vanished records get a marker row
        assert results[table].rows_inserted + results[table].rows_vanished == expected
        assert after[table] - before[table] == expected, f"{table}: {after[table] - before[table]} rows added, {expected} changed"
        if expected:
            changed[table] = expected
    assert changed.get("raw_helpdesk.issues"), "a day of the tiny world changes some tickets"


def test_split_run_reports_a_worker_failure_in_place_and_loads_the_rest(sim, fresh_db):
    """The help-desk feeds run in processes of their own: a feed that fails there comes back as
    that entity's failure, in its place, and every other entity still lands."""
    from extractors.common.settings import RetrySettings
    from extractors.helpdesk.settings import HelpdeskSettings
    from extractors.run import OWN_PROCESS

    retry = RetrySettings(attempts=2, total_timeout_s=20, wait_initial_s=0.01, wait_max_s=0.05, processes=4)
    cfg = sim.config(fresh_db, retry=retry,
                     helpdesk=HelpdeskSettings(url=f"{sim.base}/helpdesk", api_token="wrong"))
    results = extract(sources=["helpdesk", "onec"], cfg=cfg)
    names = [("helpdesk", e) for e in ("issues", "status_history", "time_entries", "employees", "companies",
                                         "maintenance_entities", "equipments")]
    assert len(results) == len(names) + 8
    for (source, entity), r in zip(names, results, strict=False):
        assert not isinstance(r, EntityResult), f"{source}.{entity} should fail with a wrong token"
        if (source, entity) in OWN_PROCESS:
            assert "401" in str(r), r  # the worker's error, described
    assert all(isinstance(r, EntityResult) and r.ok for r in results[len(names):]), results[len(names):]
