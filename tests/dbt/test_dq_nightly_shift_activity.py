"""dq_grey_zones' shift check in a nightly: a late change that moves a shift's only activity away.

dq_shift_activity keeps every worked shift's first help-desk event and a nightly re-probes only
the shifts whose answer may have changed (docs/marts.md "Incremental data quality"). The hard
case is an event that LEAVES a shift: here a time entry, the only help-desk activity of a worked
shift, is reassigned in the source to another engineer a day later. The nightly must then list
the shift as shift_without_ticket_activity, and the data-quality marts must equal a full rebuild.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from dbt_helpers import Dbt, extract_all, rows, scalar

from tools.simulator_server import running_server

DQ = ["dq_grey_zones", "dq_shift_activity", "dq_source_freshness", "dq_unmatched_identities"]
SELECT = ["--select", "+dq_grey_zones", "+dq_source_freshness", "+dq_unmatched_identities"]


def digest(db_url: str, table: str) -> tuple[int, str]:
    return tuple(rows(db_url, (
        f"select count(*), md5(coalesce(string_agg(md5((to_jsonb(t) - '_batch_at')::text),"
        f" '' order by md5((to_jsonb(t) - '_batch_at')::text)), '')) from marts.{table} t")))[0]


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_reassigned_only_activity_flags_the_shift_in_a_nightly(
        dbt: Dbt, dbt_tiny_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "world.sqlite"
    shutil.copy(dbt_tiny_world, world)

    with running_server(world) as base:
        now = datetime.fromisoformat(httpx.get(f"{base}/_sim/clock").json()["now"].replace("Z", "+00:00"))
        extract_all(dbt.db_url, base)
    dbt("run", *SELECT, "--vars", '{"data_tests": "changed"}')

    # a worked shift whose only help-desk activity is one time entry
    found = rows(dbt.db_url, """
        select s.shift_id, s.personnel_no, split_part(s.first_activity_record_key, ':', 3)::bigint
        from marts.dq_shift_activity as s
        where s.first_activity_record_key like 'helpdesk:time_entry:%'
          and (select count(distinct e.source_record_key) from marts.fct_events as e
               where e.personnel_no = s.personnel_no and e.source_system = 'helpdesk'
                 and e.occurred_at >= s.actual_start and e.occurred_at < s.actual_end) = 1
        order by s.shift_id limit 1""")
    # the tiny world (seed 42) is deterministic and has such shifts: without one the test proves nothing
    assert found, "the tiny world has no worked shift whose only help-desk activity is one time entry"
    shift_id, personnel_no, entry_id = found[0]
    assert scalar(dbt.db_url, f"select count(*) from marts.dq_grey_zones where source_key = '{shift_id}'") == 0
    other = scalar(dbt.db_url, f"""
        select min(employee_id) from intermediate.int_helpdesk_employees_matched
        where personnel_no is not null and personnel_no <> '{personnel_no}'""")

    # the source reassigns the entry an hour after the first extraction (a new version)
    changed_at = iso(now + timedelta(hours=1))
    with sqlite3.connect(world) as conn:
        old = conn.execute("select * from hd_time_entries where id = ? and valid_to is null", (entry_id,)).fetchone()
        cols = [d[0] for d in conn.execute("select * from hd_time_entries limit 0").description]
        new = dict(zip(cols, old, strict=True))
        conn.execute("update hd_time_entries set valid_to = ? where row_id = ?", (changed_at, new["row_id"]))
        new.update(row_id=None, valid_from=changed_at, valid_to=None, updated_at=changed_at, employee_id=other)
        conn.execute(f"insert into hd_time_entries ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
                     [new[c] for c in cols])

    with running_server(world) as base:
        httpx.post(f"{base}/_sim/clock", json={"now": iso(now + timedelta(days=1))}, timeout=60).raise_for_status()
        extract_all(dbt.db_url, base)
    dbt("run", *SELECT, "--vars", '{"data_tests": "changed"}')

    recorded = {r[0] for r in rows(dbt.db_url, "select model from dbt_state.incremental_runs")}
    assert {f"marts.{m}" for m in DQ if m != "dq_unmatched_identities"} <= recorded
    # the second run re-probed some shifts only (rows of both runs), the reassigned one among them
    assert scalar(dbt.db_url, "select count(distinct _batch_at) from marts.dq_shift_activity") == 2
    assert scalar(dbt.db_url, f"""
        select first_activity_at is null and worked from marts.dq_shift_activity where shift_id = '{shift_id}'""")
    assert scalar(dbt.db_url, f"""
        select count(*) from marts.dq_grey_zones
        where check_name = 'shift_without_ticket_activity' and source_key = '{shift_id}'""") == 1
    nightly = {t: digest(dbt.db_url, t) for t in DQ}

    dbt("run", "--full-refresh", *SELECT, "--vars", '{"data_tests": "changed"}')
    rebuilt = {t: digest(dbt.db_url, t) for t in DQ}
    assert nightly == rebuilt
