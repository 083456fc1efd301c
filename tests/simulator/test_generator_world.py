"""The tiny world's invariants: what the sources would show is consistent with itself."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

from source_simulator.generator import catalog


def _all(conn: sqlite3.Connection, sql: str, *args) -> list[sqlite3.Row]:
    return conn.execute(sql, args).fetchall()


def test_meta_describes_the_clock_and_horizon(tiny_conn):
    meta = {r["key"]: r["value"] for r in _all(tiny_conn, "select key, value from meta")}
    assert meta["profile"] == "tiny"
    assert meta["start"] == "2026-09-01"
    assert meta["now"] == "2026-10-31T21:00:00.000Z"          # 2026-11-01 00:00 Moscow
    assert meta["horizon_end"] == "2026-12-01T21:00:00.000Z"  # + 31 days


def test_tiny_is_hand_checkable(tiny_conn):
    now = {"now": "2026-10-31T21:00:00.000Z"}
    count = lambda sql: tiny_conn.execute(sql, now).fetchone()[0]  # noqa: E731
    assert count("select count(*) from regions") == 1
    assert count("select count(*) from teams") == 2
    assert 4 <= count("select count(distinct personnel_no) from onec_employees") <= 6
    assert count("select count(*) from onec_clients") == 3
    assert count("select count(distinct id) from hd_sites") == 6
    assert 15 <= count("select count(distinct id) from hd_equipment") <= 25
    tickets = count("select count(distinct id) from hd_issues where created_at < :now")
    assert 150 <= tickets <= 500, tickets


def test_versions_of_a_record_do_not_overlap(tiny_conn):
    for table, key in [("hd_issues", "id"), ("hd_employees", "id"), ("sch_shifts", "id"),
                       ("onec_contracts", "ref_key"), ("onec_sales", "ref_key"),
                       ("hd_time_entries", "id"), ("reg_sites", "site_code")]:
        rows = _all(tiny_conn, f"select {key} k, valid_from, valid_to from {table} order by {key}, valid_from")
        by_key = defaultdict(list)
        for r in rows:
            by_key[r["k"]].append(r)
        for k, versions in by_key.items():
            for a, b in zip(versions, versions[1:], strict=False):
                assert a["valid_to"] == b["valid_from"], (table, k)
                assert a["valid_from"] < b["valid_from"], (table, k)
            assert versions[-1]["valid_to"] is None, (table, k)


def test_every_issue_version_has_the_status_of_its_last_history_row(tiny_conn):
    history = defaultdict(list)
    for r in _all(tiny_conn, "select issue_id, status_code, changed_at from hd_status_history order by changed_at"):
        history[r["issue_id"]].append((r["changed_at"], r["status_code"]))
    issues = _all(tiny_conn, "select id, valid_from, updated_at, status_code, completed_at, rate from hd_issues")
    assert issues
    for v in issues:
        assert v["updated_at"] == v["valid_from"]
        before = [s for t, s in history[v["id"]] if t <= v["valid_from"]]
        assert before and before[-1] == v["status_code"], v["id"]
    # every status change is also a version of the ticket
    version_moments = {(v["id"], v["valid_from"]) for v in issues}
    for issue_id, changes in history.items():
        for t, _ in changes:
            assert (issue_id, t) in version_moments


def test_completed_tickets_have_a_completion_row_and_latest_completed_at(tiny_conn):
    completions = defaultdict(list)
    for r in _all(tiny_conn, "select issue_id, changed_at from hd_status_history where status_code = 'completed' "
                  "order by changed_at"):
        completions[r["issue_id"]].append(r["changed_at"])
    rows = _all(tiny_conn, "select id, valid_from, completed_at, status_code from hd_issues "
                "where status_code in ('completed', 'closed')")
    assert rows
    for v in rows:
        done = [t for t in completions[v["id"]] if t <= v["valid_from"]]
        assert done, v["id"]
        assert v["completed_at"] == done[-1]


def test_time_entries_belong_to_existing_employees_and_issues(tiny_conn):
    orphans = _all(tiny_conn, """
        select t.id from hd_time_entries t
        where not exists (select 1 from hd_issues i where i.id = t.issue_id and i.valid_from <= t.valid_from)
           or not exists (select 1 from hd_employees e where e.id = t.employee_id and e.valid_from <= t.valid_from)
    """)
    assert orphans == []
    activities = {r[0] for r in _all(tiny_conn, "select distinct activity from hd_time_entries")}
    assert activities <= set(catalog.ACTIVITIES)
    assert {"travel", "onsite", "remote", "hourly_work"} <= activities
    bad_hours = _all(tiny_conn, "select spent_time from hd_time_entries where cast(spent_time as real) <= 0 "
                     "or spent_time not like '%.__'")
    assert bad_hours == []


def test_grey_zones_and_edge_cases_are_present(tiny_conn):
    one = lambda sql: tiny_conn.execute(sql).fetchone()[0]  # noqa: E731
    # completed without ever passing in_progress
    assert one("""select count(distinct h.issue_id) from hd_status_history h where h.status_code = 'completed'
                  and not exists (select 1 from hd_status_history p where p.issue_id = h.issue_id
                                  and p.status_code = 'in_progress')""") >= 1
    # reopen: completed/closed followed by opened/in_progress
    assert one("""select count(*) from hd_status_history a join hd_status_history b
                  on a.issue_id = b.issue_id and b.id = (select min(id) from hd_status_history c
                     where c.issue_id = a.issue_id and c.changed_at > a.changed_at)
                  where a.status_code in ('completed', 'closed') and b.status_code in ('opened', 'in_progress')""") >= 1
    assert one("select count(distinct id) from hd_issues where complexity is null") >= 1
    assert one("select count(distinct id) from hd_issues where deadline_at <= created_at") >= 1
    assert one("select count(distinct id) from hd_issues where status_code = 'delayed' "
               "and delayed_to > updated_at") >= 1
    assert one("""select count(*) from hd_time_entries t join hd_issues i on i.id = t.issue_id
                  and i.status_code = 'closed' and i.valid_from < t.logged_at
                  and (i.valid_to is null or i.valid_to > t.logged_at)""") >= 1, "time logged on a closed ticket"
    assert one("select count(distinct id) from hd_issues where escalated = 1") >= 1
    assert one("select count(distinct id) from hd_issues where deadline_at is null") >= 1
    assert {r[0] for r in _all(tiny_conn, "select distinct rate from hd_issues")} == {None, "bad", "normal", "good"}
    # breaches: completion after the deadline
    assert one("""select count(distinct id) from hd_issues where status_code = 'completed'
                  and completed_at > deadline_at""") >= 1
    # time entries corrected later (a second version)
    assert one("select count(*) from (select id from hd_time_entries group by id having count(*) > 1)") >= 1
    # an open ticket at the default clock
    assert one("""select count(*) from hd_issues where valid_from <= '2026-10-31T21:00:00.000Z'
                  and (valid_to is null or valid_to > '2026-10-31T21:00:00.000Z')
                  and status_code in ('opened', 'in_progress', 'delayed')""") >= 1


def test_identity_quirks(tiny_conn):
    hd = {r["id"]: r for r in _all(tiny_conn, "select * from hd_employees where valid_to is null")}
    onec = {r["personnel_no"]: r for r in _all(tiny_conn, "select * from onec_employees where valid_to is null")}
    shifts_emails = {r[0] for r in _all(tiny_conn, "select distinct email from sch_shifts")}
    unmatched = [e for e in hd.values() if e["email"].lower() not in {o["email"].lower() for o in onec.values()}]
    assert unmatched, "a help-desk employee unknown to 1C and the schedule"
    assert all(e["email"].lower() not in shifts_emails for e in unmatched)
    case_diff = [e for e in hd.values() if e["email"] != e["email"].lower()]
    assert case_diff, "an e-mail whose case differs between systems"
    assert any(e["active"] == 0 for e in hd.values()), "a leaver is inactive in the help desk"
    assert any(o["deletion_mark"] == 1 for o in onec.values()), "a leaver marked for deletion in 1C"
    first_versions = _all(tiny_conn, "select min(valid_from) v from hd_employees group by id")
    assert any(r["v"] > "2026-09-01" for r in first_versions), "a joiner mid-history"
    # the help desk's unmatched contractor has tickets (money at stake in data quality)
    assert any(tiny_conn.execute("select 1 from hd_issues where assignee_id = ?", (e["id"],)).fetchone()
               for e in unmatched)


def test_shift_versions(tiny_conn):
    shifts = defaultdict(list)
    for r in _all(tiny_conn, "select * from sch_shifts order by id, valid_from"):
        shifts[r["id"]].append(r)
    statuses = set()
    for versions in shifts.values():
        first = versions[0]
        assert first["status"] == "planned" and first["deleted"] == 0
        assert first["valid_from"] < first["planned_start"]   # published ahead
        for v in versions:
            assert v["updated_at"] == v["valid_from"]
            statuses.add((v["status"], v["deleted"]))
            if v["status"] == "worked":
                assert v["actual_start"] and v["actual_end"] and v["actual_start"] < v["actual_end"]
                assert v["valid_from"] >= v["actual_end"]
            else:
                assert v["actual_start"] is None
    assert {("planned", 0), ("worked", 0), ("absent", 0), ("cancelled", 0), ("planned", 1)} <= statuses
    types = {r[0] for r in _all(tiny_conn, "select distinct shift_type from sch_shifts")}
    assert types == set(catalog.SHIFT_TYPES)
    assert tiny_conn.execute("select count(*) from sch_shifts where planned_start > "
                             "'2026-11-10T00:00:00.000Z' and status = 'planned'").fetchone()[0] > 0


def test_every_coefficient_and_mid_history_changes(tiny_conn):
    codes = {r[0] for r in _all(tiny_conn, "select code from onec_bonus_coefficients")}
    assert codes == set(catalog.COEFFICIENTS)
    inside = "period > '2026-09-01T00:00:00' and period < '2026-11-01T00:00:00'"
    for table in ("onec_bonus_coefficients", "onec_points", "onec_duty_tariffs", "onec_service_tariffs"):
        assert tiny_conn.execute(f"select count(*) from {table} where {inside}").fetchone()[0] == 1, table
    work_types = {r[0] for r in _all(tiny_conn, "select work_type from onec_points")}
    assert "consultation" not in work_types
    assert work_types == set(catalog.WORK_TYPES) - {"consultation"}
    assert {r[0] for r in _all(tiny_conn, "select shift_type from onec_duty_tariffs")} == \
        {"duty_day", "duty_night", "duty_weekend"}
    periods = [r[0] for r in _all(tiny_conn, "select period from onec_points")]
    assert all(len(p) == 19 and "T" in p and not p.endswith("Z") for p in periods)


def test_contracts_and_sales(tiny_conn):
    contracts = _all(tiny_conn, "select * from onec_contracts order by ref_key, valid_from")
    by_ref = defaultdict(list)
    for c in contracts:
        by_ref[c["ref_key"]].append(c)
    assert any(len(v) > 1 and len({x["data_version"] for x in v}) == len(v) for v in by_ref.values()), "amended"
    owners = defaultdict(set)
    for c in contracts:
        owners[c["owner_key"]].add(c["ref_key"])
    assert any(len(refs) > 1 for refs in owners.values()), "a renewed client"
    assert any(c["end_date"] is None for c in contracts), "an open-ended contract"
    hd_links = {r[0] for r in _all(tiny_conn, "select crm_1c_id from hd_companies where crm_1c_id is not null")}
    assert hd_links == {r[0] for r in _all(tiny_conn, "select ref_key from onec_clients")}
    sales = _all(tiny_conn, "select * from onec_sales")
    assert sales and all(s["client_key"] in hd_links for s in sales)


def test_issue_references_exist(tiny_conn):
    sites = {r[0] for r in _all(tiny_conn, "select id from hd_sites")}
    units = {r[0]: r[1] for r in _all(tiny_conn, "select id, min(valid_from) from hd_equipment group by id")}
    issues = {r[0]: r[1] for r in _all(tiny_conn, "select id, created_at from hd_issues")}
    parents = 0
    for r in _all(tiny_conn, "select service_object_id, equipment_ids, created_at, parent_id from hd_issues"):
        assert r[0] is None or r[0] in sites
        for unit in json.loads(r[1]):
            assert units[unit] <= r[2], "equipment exists when the ticket is created"
        if r[3] is not None:
            parents += 1
            assert issues[r[3]] <= r[2], "a parent ticket is older than its sub-ticket"
    assert parents >= 1
