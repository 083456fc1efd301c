"""Nightly data tests read the rows the build could have changed; full runs read every row.

Real dbt and PostgreSQL; the tables the tests read are written by hand so that the rows' load
times are known: `marts.fct_events` with rows loaded before and after the model's previous
build (dbt_state.incremental_runs), and `raw_meta.loads` (a load still committing at that
build counts as changed). macros/data_test_scope.sql.

`unique` at night: the keys of the changed rows are checked against the whole table, and a
table whose key has a unique index is not read at all.
"""

from __future__ import annotations

import json

import pytest
from dbt_helpers import Dbt

import warehouse

TEST = "not_null_fct_events_event_id"
UNIQUE = "unique_fct_events_event_id"
NIGHTLY = ["--vars", '{"data_tests": "changed"}']

SETUP = """
create schema marts; create schema raw_meta; create schema dbt_state;
create table raw_meta.loads (load_id bigint primary key, source text, entity text,
                             started_at timestamptz, finished_at timestamptz);
create table dbt_state.incremental_runs (model text primary key, processed_at timestamptz not null);
create table marts.fct_events (event_id text, event_type text, _source_loaded_at timestamptz);
-- the model was last built at 10:00 (the nightly build about to be tested started after that)
insert into dbt_state.incremental_runs values ('marts.fct_events', '2026-11-20 10:00+00');
insert into raw_meta.loads values (1, 'helpdesk', 'issues', '2026-11-20 09:00+00', '2026-11-20 09:30+00');
-- an old row, broken long ago (tested then): outside the nightly scope
insert into marts.fct_events values (null, 'ticket_created', '2026-11-20 09:10+00');
insert into marts.fct_events values ('e2', 'ticket_created', '2026-11-21 02:00+00');
"""


def sql(db: str, statement: str) -> None:
    with warehouse.connect(db) as conn:
        conn.execute(statement)


def failures(dbt: Dbt, *extra: str, test: str = TEST) -> int:
    done = dbt("test", "--select", test, *extra, check=False)
    broken = ("Nothing to do", "Compilation Error", "Database Error", "Runtime Error")
    if any(b in done.stdout for b in broken) or (done.returncode and "Failure in test" not in done.stdout):
        pytest.fail(f"dbt test did not run cleanly:\n{done.stdout[-4000:]}")
    return 0 if done.returncode == 0 else 1


@pytest.fixture(scope="module")
def dbt_scope(module_db: str, tmp_path_factory: pytest.TempPathFactory) -> Dbt:
    sql(module_db, SETUP)
    return Dbt(module_db, tmp_path_factory.mktemp("scope_target"))


def test_full_runs_test_every_row_and_nightly_only_rows_changed_since_the_last_build(dbt_scope, module_db):
    assert failures(dbt_scope) == 1            # make run / full_pipeline / CI: the old null is caught
    assert failures(dbt_scope, *NIGHTLY) == 0  # nightly: the old row is not re-read

    # a row the nightly rebuilt (loaded after the last build) with a null is caught at night
    sql(module_db, "insert into marts.fct_events values (null, 'work_logged', '2026-11-21 02:05+00')")
    assert failures(dbt_scope, *NIGHTLY) == 1
    sql(module_db, "delete from marts.fct_events where _source_loaded_at = '2026-11-21 02:05+00'")
    assert failures(dbt_scope, *NIGHTLY) == 0


def test_the_nightly_scope_from_the_environment_keeps_the_parse(dbt_scope, module_db, monkeypatch):
    """The nightly job sets DBT_ENV_CUSTOM_ENV_DATA_TESTS=changed instead of --vars: same scope,
    and dbt reuses the parse of the previous (full) invocation instead of re-parsing everything."""
    monkeypatch.setenv("DBT_ENV_CUSTOM_ENV_DATA_TESTS", "all")
    assert failures(dbt_scope) == 1            # the old null: read in the `all` scope
    monkeypatch.setenv("DBT_ENV_CUSTOM_ENV_DATA_TESTS", "changed")
    done = dbt_scope("test", "--select", TEST, check=False)
    assert done.returncode == 0, done.stdout[-4000:]  # the old row is out of the nightly scope
    log = (dbt_scope.target / "logs" / "dbt.log").read_text()
    last = log[log.rindex("Running with dbt="):]
    assert "Unable to do partial parsing" not in last, last[:3000]
    assert "Partial parsing enabled, no changes found" in last, last[:3000]


def test_a_load_still_committing_at_the_last_build_is_in_the_nightly_scope(dbt_scope, module_db):
    # started 09:50, finished 10:20: its rows (loaded at 09:55) were not seen by the 10:00 build
    sql(module_db, """
        insert into raw_meta.loads values (2, 'helpdesk', 'time_entries', '2026-11-20 09:50+00', '2026-11-20 10:20+00');
        insert into marts.fct_events values (null, 'work_logged', '2026-11-20 09:55+00');
    """)
    try:
        assert failures(dbt_scope, *NIGHTLY) == 1
    finally:
        sql(module_db, "delete from marts.fct_events where _source_loaded_at = '2026-11-20 09:55+00';"
                       "delete from raw_meta.loads where load_id = 2")


def test_a_model_never_built_is_tested_whole(dbt_scope, module_db):
    sql(module_db, "delete from dbt_state.incremental_runs")
    try:
        assert failures(dbt_scope, *NIGHTLY) == 1
    finally:
        sql(module_db, "insert into dbt_state.incremental_runs values ('marts.fct_events', '2026-11-20 10:00+00')")


def test_nightly_unique_checks_the_changed_keys_against_the_whole_table(dbt_scope, module_db):
    # two old rows with the same id (both built before the last build): a full run catches it,
    # the nightly does not re-read it
    sql(module_db, """insert into marts.fct_events values ('e1', 'ticket_created', '2026-11-20 09:10+00'),
                                                          ('e1', 'ticket_created', '2026-11-20 09:20+00')""")
    try:
        assert failures(dbt_scope, test=UNIQUE) == 1
        assert failures(dbt_scope, *NIGHTLY, test=UNIQUE) == 0
    finally:
        sql(module_db, "delete from marts.fct_events where event_id = 'e1'")

    # a row the nightly rebuilt duplicating an UNCHANGED row (old load): caught at night
    sql(module_db, "insert into marts.fct_events values ('e3', 'ticket_created', '2026-11-20 09:10+00')")
    assert failures(dbt_scope, *NIGHTLY, test=UNIQUE) == 0
    sql(module_db, "insert into marts.fct_events values ('e3', 'work_logged', '2026-11-21 02:10+00')")
    try:
        assert failures(dbt_scope, *NIGHTLY, test=UNIQUE) == 1
        assert failures(dbt_scope, test=UNIQUE) == 1
    finally:
        sql(module_db, "delete from marts.fct_events where event_id = 'e3'")
    assert failures(dbt_scope, *NIGHTLY, test=UNIQUE) == 0


def _compiled(dbt: Dbt, test: str) -> str:
    [path] = dbt.target.glob(f"compiled/**/{test}.sql")
    return path.read_text()


def _scans_of_fct_events(plan: dict) -> list[dict]:
    found = [plan] if plan.get("Relation Name") == "fct_events" else []
    for child in plan.get("Plans", []):
        found += _scans_of_fct_events(child)
    return found


def test_nightly_unique_on_a_unique_index_does_not_read_the_table(dbt_scope, module_db):
    def scans(*extra: str) -> list[dict]:
        assert failures(dbt_scope, *extra, test=UNIQUE) == 0
        with warehouse.connect(module_db) as conn:
            [[plan]] = conn.execute("explain (analyze, format json) " + _compiled(dbt_scope, UNIQUE)).fetchall()
        return _scans_of_fct_events((plan[0] if isinstance(plan, list) else json.loads(plan)[0])["Plan"])

    # the nightly SQL has the cutoff as a literal (the planner can use an index on the column)
    assert failures(dbt_scope, *NIGHTLY, test=UNIQUE) == 0
    compiled = _compiled(dbt_scope, UNIQUE)
    assert "runs_at_start" not in compiled and "'2026-11-20 10:00:00+00'::timestamptz" in compiled

    sql(module_db, "create unique index fct_events_event_id_uq on marts.fct_events (event_id)")
    try:
        night = scans(*NIGHTLY)
        assert night and all(s.get("Actual Loops") == 0 for s in night)   # never executed
        full = scans()
        assert full and all(s.get("Actual Loops") == 0 for s in full)    # nor in a full run: the index is the check
    finally:
        sql(module_db, "drop index marts.fct_events_event_id_uq")
    # without a unique index the nightly test reads (the changed keys of) the table, a full run all of it
    assert any(s.get("Actual Loops", 0) > 0 for s in scans(*NIGHTLY))
    assert any(s.get("Actual Loops", 0) > 0 for s in scans())


VIEW_TEST = "unique_int_ticket_transitions_enriched_status_change_id"
VIEW_SETUP = """
create schema if not exists intermediate;
create table intermediate.int_ticket_status_transitions (status_change_id bigint, ticket_id bigint);
create table intermediate.int_tickets_enriched (ticket_id bigint, _source_loaded_at timestamptz);
create view intermediate.int_ticket_transitions_enriched as
    select tr.status_change_id, tr.ticket_id, t._source_loaded_at
    from intermediate.int_ticket_status_transitions as tr
    join intermediate.int_tickets_enriched as t on t.ticket_id = tr.ticket_id;
-- both tables the view reads were built at 10:00; ticket 1 is old, ticket 2 changed since
insert into dbt_state.incremental_runs values ('intermediate.int_ticket_status_transitions', '2026-11-20 10:00+00'),
                                              ('intermediate.int_tickets_enriched', '2026-11-20 11:00+00');
insert into intermediate.int_tickets_enriched values (1, '2026-11-20 09:10+00'), (2, '2026-11-21 02:00+00'),
                                                     (3, '2026-11-20 09:20+00');
insert into intermediate.int_ticket_status_transitions values (10, 1), (20, 2), (30, 3), (30, 3);
"""


def test_a_view_is_scoped_by_the_builds_of_the_tables_it_reads(dbt_scope, module_db):
    sql(module_db, VIEW_SETUP)
    # the old duplicate (30, ticket 3 unchanged): full runs only
    assert failures(dbt_scope, test=VIEW_TEST) == 1
    assert failures(dbt_scope, *NIGHTLY, test=VIEW_TEST) == 0
    # the changed ticket 2 gets a transition whose id an unchanged ticket has: caught at night
    sql(module_db, "insert into intermediate.int_ticket_status_transitions values (10, 2)")
    assert failures(dbt_scope, *NIGHTLY, test=VIEW_TEST) == 1
    sql(module_db, "delete from intermediate.int_ticket_status_transitions where ticket_id = 2 and status_change_id = 10")
    # a table the view reads has no recorded build: the view is tested whole
    sql(module_db, "delete from dbt_state.incremental_runs where model = 'intermediate.int_tickets_enriched'")
    assert failures(dbt_scope, *NIGHTLY, test=VIEW_TEST) == 1
