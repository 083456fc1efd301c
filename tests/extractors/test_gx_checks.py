"""The GX raw suites run in PostgreSQL: a nightly checks the rows its loads appended, and a bad
row it loaded fails its table's `gx_raw_suite` check with a description that names the rule and
the row; a full check reads the current versions in SQL, with no pandas frame of a raw table."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import psycopg
import pytest

from orchestration.resources import WarehouseResource
from orchestration.sources import assets, gx_suites
from orchestration.sources.assets import CHANGED_SCOPE_TAG, build_sources_defs
from orchestration.sources.resources import SourceResource

NIGHTLY = {CHANGED_SCOPE_TAG: "changed"}


def _defs(sim, db: str) -> dg.Definitions:
    return build_sources_defs({
        "warehouse": WarehouseResource(url=db),
        "helpdesk_source": SourceResource(source="helpdesk", values={"url": f"{sim.base}/helpdesk"}),
        "schedule_source": SourceResource(source="schedule", values={"url": f"{sim.base}/schedule"}),
        "onec_source": SourceResource(source="onec", values={"url": f"{sim.base}/onec"}),
        "registry_source": SourceResource(source="registry", values={"path": f"{sim.base}/registry.xlsx"}),
    })


def _gx(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.asset_key.to_user_string(): e for ev in result.all_events
            if ev.event_type_value == "ASSET_CHECK_EVALUATION"
            for e in [ev.event_specific_data] if e.check_name == "gx_raw_suite"}


# what a source might send that the extractor stores as received: appended with the load's id
BAD_ROWS = {
    # an issue whose status code is in no dictionary
    ("helpdesk", "issues"): """
        insert into raw_helpdesk.issues (id, updated_at, payload, _payload_hash, _load_id)
        select id, updated_at, jsonb_set(payload, '{status,code}', '"teleported"'), md5(random()::text), %(load)s
        from raw_helpdesk.issues order by id limit 1""",
    # a status change with no status
    ("helpdesk", "status_history"): """
        insert into raw_helpdesk.status_history (id, issue_id, updated_at, payload, _payload_hash, _load_id)
        select id, issue_id, updated_at, payload - 'status', md5(random()::text), %(load)s
        from raw_helpdesk.status_history order by id limit 1""",
    # a full reload that stored one key twice
    ("onec", "clients"): """
        insert into raw_onec.clients (ref_key, data_version, deletion_mark, payload, _payload_hash, _load_id)
        select ref_key, data_version, deletion_mark, payload, _payload_hash, %(load)s
        from (select * from raw_onec.clients order by ref_key limit 1) c cross join generate_series(1, 2)""",
}


def test_a_bad_row_loaded_by_the_nightly_fails_its_check(sim, fresh_db, monkeypatch):
    defs = _defs(sim, fresh_db)
    job = defs.get_job_def("extract_all")
    first = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert first.success
    assert all(e.passed for e in _gx(first).values())

    real = assets.extract_entity

    def extract_then_spoil(source, entity, cfg):
        result = real(source, entity, cfg)
        if (source, entity) in BAD_ROWS:
            with psycopg.connect(fresh_db, autocommit=True) as conn:
                conn.execute(BAD_ROWS[source, entity], {"load": result.load_id})
        return result

    monkeypatch.setattr(assets, "extract_entity", extract_then_spoil)
    sim.advance_days(1)
    nightly = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), tags=NIGHTLY, raise_on_error=False)
    checks = _gx(nightly)
    assert len(checks) == 18
    failed = {k for k, e in checks.items() if not e.passed}
    assert failed == {"raw_helpdesk/issues", "raw_helpdesk/status_history", "raw_onec/clients"}

    issues = checks["raw_helpdesk/issues"]
    assert "loaded by this run" in issues.description
    assert "codes in their dictionaries: 1 row(s)" in issues.description
    assert "status=teleported" in issues.description
    assert "mandatory fields present" not in issues.description
    history = checks["raw_helpdesk/status_history"].description
    assert "mandatory fields present: 1 row(s)" in history and "missing=status" in history
    clients = checks["raw_onec/clients"]
    assert "keys unique per version: 1 row(s)" in clients.description
    assert clients.metadata["dup_versions"].value == 1

    # the nightly read only what it loaded: far fewer issue rows than the full check's current versions
    assert 0 < issues.metadata["rows"].value < _gx(first)["raw_helpdesk/issues"].metadata["rows"].value
    # the same bad rows, seen by a full check (current versions) of a run with no loads of its own
    assert not gx_suites.validate(fresh_db, "raw_helpdesk.issues").success


def test_a_full_check_reads_sql_not_a_pandas_frame(sim, fresh_db, monkeypatch):
    job = _defs(sim, fresh_db).get_job_def("extract_all")
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success

    frames = []
    monkeypatch.setattr(pd.DataFrame, "__init__", lambda self, *a, **k: frames.append(a) or pytest.fail(
        "a pandas DataFrame was built"))
    for table in ("raw_helpdesk.issues", "raw_helpdesk.time_entries", "raw_onec.contracts"):
        outcome = gx_suites.validate(fresh_db, table)
        assert outcome.success, outcome.describe(table)
        assert outcome.rows > 0 and outcome.scope == "current versions"
    assert not frames


def test_the_nightly_job_scopes_the_checks_to_its_loads():
    from orchestration.definitions import defs
    from orchestration.defs.dbt import DATA_TESTS_TAG

    assert CHANGED_SCOPE_TAG == DATA_TESTS_TAG
    assert defs.resolve_job_def("nightly_pipeline").tags.get(CHANGED_SCOPE_TAG) == "changed"
    assert CHANGED_SCOPE_TAG not in defs.resolve_job_def("full_pipeline").tags
