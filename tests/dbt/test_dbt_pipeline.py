"""dbt core on extracted data: the real extractors read the simulator's tiny world into a
throw-away database, `dbt build` (models + data tests + unit tests) must pass, and what the
warehouse says must equal the simulator's ground truth; then one more simulated day:
the incremental run must give exactly the tables a full refresh gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dbt_helpers import (
    BUILD_CORE,
    CORE_SELECTION,
    Dbt,
    advance_days,
    clock,
    expected_event_counts,
    extract_all,
    rows,
    scalar,
)

import warehouse
from source_simulator.truth import truth_frames

INCREMENTAL_TABLES = ("fct_tickets", "fct_events", "fct_time_entries")
COMPARED_TABLES = (*INCREMENTAL_TABLES, "fct_shifts", "fct_sales", "dim_engineers", "dim_clients",
                   "dim_sites", "dim_equipment", "dq_unmatched_identities", "dq_grey_zones")


def _ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC) if text else None


@pytest.fixture(scope="module")
def built(dbt: Dbt, sim_base: str, dbt_tiny_world: Path) -> dict[str, Any]:
    """Extract the tiny world at its default clock and build the core models once."""
    extract_all(dbt.db_url, sim_base)
    dbt(*BUILD_CORE)
    return {"now": clock(sim_base), "world": dbt_tiny_world}


def _dump(db_url: str, table: str) -> list[tuple[Any, ...]]:
    return sorted(rows(db_url, f"select * from marts.{table}"), key=repr)


def test_ticket_shift_and_event_counts_equal_the_ground_truth(dbt: Dbt, built: dict[str, Any]) -> None:
    truth = truth_frames(built["world"], now=built["now"])
    assert scalar(dbt.db_url, "select count(*) from marts.fct_tickets") == len(truth["hd_issues"])
    assert scalar(dbt.db_url, "select count(*) from marts.fct_shifts") == len(truth["sch_shifts"])
    assert scalar(dbt.db_url, "select count(*) from marts.fct_time_entries") == len(truth["hd_time_entries"])
    got = dict(rows(dbt.db_url, "select event_type, count(*) from marts.fct_events group by 1"))
    expected = expected_event_counts(truth)
    assert {k: got.get(k, 0) for k in expected} == expected
    assert set(got) == set(expected), "an event type without a catalogue entry"


def test_completion_taken_at_and_engineer_equal_the_ground_truth(dbt: Dbt, built: dict[str, Any]) -> None:
    truth = truth_frames(built["world"], now=built["now"])
    history: dict[int, list[tuple[datetime, int, str]]] = {}
    for h in truth["hd_status_history"]:
        history.setdefault(int(h["issue_id"]), []).append((_ts(h["changed_at"]), int(h["id"]), h["status_code"]))
    first = {
        (issue, status): min((c for c in changes if c[2] == status), default=(None,))[0]
        for issue, changes in history.items() for status in ("completed", "in_progress")
    }
    personnel = {int(e["id"]): e["personnel_no"] for e in truth["hd_employees"]}
    expected = {
        int(i["id"]): (first.get((int(i["id"]), "completed")), first.get((int(i["id"]), "in_progress")),
                       personnel.get(i["assignee_id"]) if i["assignee_id"] is not None else None)
        for i in truth["hd_issues"]
    }
    got = {
        tid: (done.astimezone(UTC) if done else None, taken.astimezone(UTC) if taken else None, pno)
        for tid, done, taken, pno in rows(
            dbt.db_url, "select ticket_id, completed_at, taken_at, personnel_no from marts.fct_tickets")
    }
    assert got == expected
    # the help-desk-only contractor has no personnel number: listed, with the money it carries
    unmatched = rows(dbt.db_url, "select source_key from marts.dq_unmatched_identities "
                                 "where source_system = 'helpdesk' and entity = 'engineer'")
    contractors = {str(e["id"]) for e in truth["hd_employees"] if not e["personnel_no"]}
    assert {k for (k,) in unmatched} == contractors


def test_identities_match_across_the_four_systems(dbt: Dbt, built: dict[str, Any]) -> None:
    truth = truth_frames(built["world"], now=built["now"])
    engineers = {e["personnel_no"] for e in truth["onec_employees"] if e["personnel_no"]}
    got = {p for (p,) in rows(dbt.db_url, "select personnel_no from marts.dim_engineers")}
    assert engineers <= got
    matched = dict(rows(dbt.db_url, "select helpdesk_employee_id, personnel_no from marts.dim_engineers "
                                    "where helpdesk_employee_id is not null"))
    assert matched == {int(e["id"]): e["personnel_no"] for e in truth["hd_employees"] if e["personnel_no"]}
    client_inns = {c["inn"] for c in truth["onec_clients"] if c["inn"]}
    assert client_inns <= {i for (i,) in rows(dbt.db_url, "select client_inn from marts.dim_clients")}
    sites = {s["site_code"] for s in truth["hd_sites"]}
    assert sites <= {s for (s,) in rows(dbt.db_url, "select site_code from marts.dim_sites")}


def test_incremental_run_after_a_day_equals_a_full_refresh(dbt: Dbt, built: dict[str, Any], sim_base: str) -> None:
    before = scalar(dbt.db_url, "select count(*) from marts.fct_events")
    advance_days(sim_base, 1)
    extract_all(dbt.db_url, sim_base)
    dbt(*BUILD_CORE)
    incremental = {t: _dump(dbt.db_url, t) for t in COMPARED_TABLES}
    assert len(incremental["fct_events"]) > before, "the simulated day brought no new events"
    dbt(*BUILD_CORE, "--full-refresh")
    full = {t: _dump(dbt.db_url, t) for t in COMPARED_TABLES}
    for table in COMPARED_TABLES:
        assert incremental[table] == full[table], f"{table}: incremental differs from full refresh"
    truth = truth_frames(built["world"], now=clock(sim_base))
    assert scalar(dbt.db_url, "select count(*) from marts.fct_tickets") == len(truth["hd_issues"])


def _raw_version(conn: Any, table: str, key: int, load_id: int, loaded_at: Any, change: dict[str, Any]) -> None:
    """Append a new version of raw row `key` of `table` (its latest payload with `change`)."""
    conn.execute(
        f"insert into {table} (id, payload, _payload_hash, _load_id, _loaded_at)"
        f" select id, payload || %s::jsonb, md5(random()::text), %s, %s from {table}"
        f" where id = %s order by _load_id desc limit 1",
        (json.dumps(change), load_id, loaded_at, key))


def _start_load(conn: Any, source: str, entity: str) -> tuple[int, Any]:
    return tuple(conn.execute(
        "insert into raw_meta.loads (run_id, source, entity) values ('test', %s, %s)"
        " returning load_id, started_at", (source, entity)).fetchone())


def test_incremental_run_sees_history_only_changes_late_commits_and_identity_moves(dbt: Dbt, built: dict[str, Any]) -> None:
    """What only the incremental design can get wrong: a ticket that changes only in its status
    history, a load still committing during the previous run (its rows carry a _loaded_at and a
    _load_id older than that run), an engineer whose e-mail stops matching (every ticket and
    time entry of theirs moves). The incremental run must still equal a full refresh."""
    db = dbt.db_url
    with warehouse.connect(db) as conn:
        ticket, reopen_before = conn.execute(
            "select ticket_id, reopen_count from marts.fct_tickets where status_code = 'closed'"
            " and not is_deleted order by ticket_id limit 1").fetchone()
        other = conn.execute(
            "select ticket_id from marts.fct_tickets where ticket_id <> %s and not is_deleted"
            " order by ticket_id desc limit 1", (ticket,)).fetchone()[0]
        employee = conn.execute(
            "select assignee_employee_id from marts.fct_tickets where personnel_no is not null"
            " group by 1 order by count(*) desc limit 1").fetchone()[0]
        next_id = conn.execute("select max(id) + 1 from raw_helpdesk.status_history").fetchone()[0]
        late, late_started = _start_load(conn, "helpdesk", "status_history")
        # a first row of the late load is committed before the run (so the run sees that load)
        conn.execute(
            "insert into raw_helpdesk.status_history (id, issue_id, payload, _payload_hash, _load_id, _loaded_at)"
            " select %s, issue_id, jsonb_set(jsonb_set(payload, '{id}', to_jsonb(%s::bigint)), '{changed_at}',"
            "   to_jsonb(to_char(now() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))),"
            "   md5(random()::text), %s, %s"
            " from raw_helpdesk.status_history where issue_id = %s order by id desc limit 1",
            (next_id, next_id, late, late_started, other))
    dbt(*BUILD_CORE)
    with warehouse.connect(db) as conn:
        # ... and a second one after it, loaded (transaction start) before the run: a reopen of
        # a closed ticket whose issue itself does not change
        conn.execute(
            "insert into raw_helpdesk.status_history (id, issue_id, payload, _payload_hash, _load_id, _loaded_at)"
            " select %s, issue_id, payload || jsonb_build_object('id', %s::bigint, 'status',"
            "   jsonb_build_object('code', 'opened'), 'changed_at',"
            "   to_char(((payload ->> 'changed_at')::timestamptz + interval '1 day') at time zone 'UTC',"
            "           'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')),"
            "   md5(random()::text), %s, %s"
            " from raw_helpdesk.status_history where issue_id = %s"
            " order by (payload ->> 'changed_at')::timestamptz desc limit 1",
            (next_id + 1, next_id + 1, late, late_started, ticket))
        conn.execute("update raw_meta.loads set finished_at = now(), status = 'success' where load_id = %s", (late,))
        load, started = _start_load(conn, "helpdesk", "employees")
        _raw_version(conn, "raw_helpdesk.employees", employee, load, started, {"email": "nobody@example.invalid"})
        conn.execute("update raw_meta.loads set finished_at = now(), status = 'success' where load_id = %s", (load,))
    dbt(*BUILD_CORE)
    incremental = {t: _dump(db, t) for t in COMPARED_TABLES}
    assert scalar(db, f"select reopen_count from marts.fct_tickets where ticket_id = {ticket}") == reopen_before + 1
    assert scalar(db, f"select count(*) from marts.fct_tickets where assignee_employee_id = {employee}"
                      " and personnel_no is not null") == 0
    dbt(*BUILD_CORE, "--full-refresh")
    full = {t: _dump(db, t) for t in COMPARED_TABLES}
    for table in COMPARED_TABLES:
        assert incremental[table] == full[table], f"{table}: incremental differs from full refresh"


def test_docs_generate_shows_lineage_from_sources_to_marts(dbt: Dbt, built: dict[str, Any]) -> None:
    dbt("docs", "generate", "--select", *CORE_SELECTION)
    manifest = json.loads((dbt.target / "manifest.json").read_text())
    catalog = json.loads((dbt.target / "catalog.json").read_text())
    assert "model.service_warehouse.fct_events" in catalog["nodes"]
    parents = manifest["parent_map"]

    def ancestors(node: str) -> set[str]:
        seen: set[str] = set()
        stack = [node]
        while stack:
            for p in parents.get(stack.pop(), []):
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    up = ancestors("model.service_warehouse.fct_events")
    assert "model.service_warehouse.stg_helpdesk__issues" in up
    assert "source.service_warehouse.raw_helpdesk.issues" in up
    assert "source.service_warehouse.raw_schedule.shifts" in up
    assert "source.service_warehouse.raw_helpdesk.issues" in parents["model.service_warehouse.stg_helpdesk__issues"]
