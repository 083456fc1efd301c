"""Nightly data tests read the recently loaded rows of the big tables; other runs read every row.

Real dbt and PostgreSQL, dbt's own `where:` config (the models' YAML): with
DBT_ENV_CUSTOM_ENV_DATA_TESTS=changed and DBT_ENV_CUSTOM_ENV_DATA_TESTS_SINCE (the nightly's dbt
asset sets both: the rows loaded since the previous build started, orchestration/defs/dbt.py)
the row-level tests of the big incremental tables read the rows whose `_source_loaded_at` /
`_last_loaded_at` is at or after that moment; without it they read everything. The table the
tests read, `marts.fct_events`, is written by hand so that the rows' load times are known.
Uniqueness of the big tables' keys is a unique index, not a test that reads the table.
"""

from __future__ import annotations

import json
import time

import pytest
from dbt_helpers import PROJECT, Dbt

import warehouse

TEST = "not_null_fct_events_event_id"

SETUP = """
create schema marts;
create table marts.fct_events (event_id text, event_type text, _source_loaded_at timestamptz);
-- an old row, broken long ago (a full run catches it): outside the nightly window
insert into marts.fct_events values (null, 'ticket_created', now() - interval '3 days');
insert into marts.fct_events values ('e2', 'ticket_created', now() - interval '1 hour');
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


def nightly(monkeypatch: pytest.MonkeyPatch, since_hours_ago: float) -> None:
    monkeypatch.setenv("DBT_ENV_CUSTOM_ENV_DATA_TESTS", "changed")
    monkeypatch.setenv("DBT_ENV_CUSTOM_ENV_DATA_TESTS_SINCE", f"{time.time() - 3600 * since_hours_ago:.6f}")


def test_full_runs_test_every_row_and_nightly_only_the_untested_rows(dbt_scope, module_db, monkeypatch):
    assert failures(dbt_scope) == 1            # make run / full_pipeline / CI: the old null is caught
    nightly(monkeypatch, since_hours_ago=2)     # the previous build started two hours ago
    assert failures(dbt_scope) == 0            # nightly: the old row is not re-read

    # a row the nightly loaded with a null is caught at night
    sql(module_db, "insert into marts.fct_events values (null, 'work_logged', now() - interval '5 minutes')")
    try:
        assert failures(dbt_scope) == 1
    finally:
        sql(module_db, "delete from marts.fct_events where event_type = 'work_logged'")
    assert failures(dbt_scope) == 0


def test_a_missed_night_is_tested_by_the_next_one(dbt_scope, module_db, monkeypatch):
    """A row loaded 30 hours ago, after the previous build (a night whose dbt step failed), is
    still in the next nightly's scope: the scope is what no build has tested, not a window."""
    sql(module_db, "insert into marts.fct_events values (null, 'work_logged', now() - interval '30 hours')")
    try:
        nightly(monkeypatch, since_hours_ago=20)
        assert failures(dbt_scope) == 0
        nightly(monkeypatch, since_hours_ago=50)
        assert failures(dbt_scope) == 1
    finally:
        sql(module_db, "delete from marts.fct_events where event_type = 'work_logged'")


def _compiled(dbt: Dbt, test: str) -> str:
    [path] = dbt.target.glob(f"compiled/**/{test}.sql")
    return path.read_text()


def test_the_nightly_filter_is_plain_sql_on_the_load_column(dbt_scope, monkeypatch):
    """dbt's own `where` subquery with a constant bound: an index on the load column serves it."""
    assert failures(dbt_scope) == 1
    assert "_source_loaded_at" not in _compiled(dbt_scope, TEST)
    since = f"{time.time() - 7200:.6f}"
    monkeypatch.setenv("DBT_ENV_CUSTOM_ENV_DATA_TESTS", "changed")
    monkeypatch.setenv("DBT_ENV_CUSTOM_ENV_DATA_TESTS_SINCE", since)
    assert failures(dbt_scope) == 0
    compiled = _compiled(dbt_scope, TEST)
    assert f"where _source_loaded_at >= to_timestamp({since})) dbt_subquery" in compiled


def test_switching_the_scope_reparses_only_the_big_tables_yaml(dbt_scope, monkeypatch):
    """The env var is read when the YAML is parsed: switching it makes dbt's partial parsing
    re-read the YAML files that use it (one per big model), not the whole project."""
    log = dbt_scope.target / "logs" / "dbt.log"

    def parse(scope: str) -> tuple[str, float]:
        monkeypatch.setenv("DBT_ENV_CUSTOM_ENV_DATA_TESTS", scope)
        start = time.perf_counter()
        dbt_scope("parse")
        elapsed = time.perf_counter() - start
        text = log.read_text()
        return text[text.rindex("Running with dbt="):], elapsed

    parse("all")
    same, _ = parse("all")
    assert "Partial parsing enabled, no changes found" in same, same[:3000]
    switched, seconds = parse("changed")
    assert "Unable to do partial parsing" not in switched, switched[:3000]
    updated = sorted(line.rsplit("/", 1)[-1] for line in switched.splitlines() if "Partial parsing: updated file" in line)
    assert "fct_events.yml" in updated and "dim_engineers.yml" not in updated, updated
    uses_scope = sorted(p.name for p in (PROJECT / "models").rglob("*.yml")
                        if "DBT_ENV_CUSTOM_ENV_DATA_TESTS" in p.read_text())
    assert updated == uses_scope
    perf = json.loads((dbt_scope.target / "perf_info.json").read_text())
    print(f"re-parse after switching the scope: {len(updated)} YAML files, "
          f"{perf['parse_project_elapsed']:.1f} s of parsing, dbt parse {seconds:.1f} s")


def _manifest(dbt: Dbt) -> dict:
    return json.loads((dbt.target / "manifest.json").read_text())


# the big tables and their row keys
KEYS = {
    "stg_helpdesk__issues": "ticket_id", "stg_helpdesk__status_changes": "status_change_id",
    "stg_helpdesk__time_entries": "time_entry_id", "stg_schedule__shifts": "shift_id",
    "int_tickets_enriched": "ticket_id", "int_time_entries_enriched": "time_entry_id",
    "int_shifts_enriched": "shift_id", "int_ticket_status_transitions": "status_change_id",
    "fct_events": "event_id", "fct_tickets": "ticket_id", "fct_time_entries": "time_entry_id",
    "fct_shifts": "shift_id", "mart_bonus_lines": "line_id",
}


def test_big_tables_keys_are_unique_indexes_not_whole_table_tests(dbt_scope):
    """The big tables' keys are guaranteed by PostgreSQL (a unique index in the model's config,
    or a primary key in its enforced contract), and no `unique` test re-reads a table for a
    column such an index already guards."""
    dbt_scope("parse")
    nodes = _manifest(dbt_scope)["nodes"].values()
    models = {n["name"]: n for n in nodes if n["resource_type"] == "model"}
    unique_tests = {(n["attached_node"], n["column_name"]) for n in nodes
                    if n["resource_type"] == "test" and (n.get("test_metadata") or {}).get("name") == "unique"}

    def guaranteed(m: dict) -> set[tuple[str, ...]]:
        cfg = m["config"]
        keys = {tuple(i["columns"]) for i in cfg.get("indexes") or [] if i.get("unique")}
        if (cfg.get("contract") or {}).get("enforced"):
            keys |= {tuple(c["columns"]) for c in m.get("constraints") or [] if c["type"] in ("primary_key", "unique")}
            keys |= {(c,) for c, col in m["columns"].items()
                     if any(k["type"] in ("primary_key", "unique") for k in col.get("constraints") or [])}
        return keys

    for name, key in KEYS.items():
        assert (key,) in guaranteed(models[name]), f"{name}: nothing in PostgreSQL keeps {key} unique"
    for m in models.values():
        for cols in guaranteed(m):
            if len(cols) == 1:
                assert (m["unique_id"], cols[0]) not in unique_tests, \
                    f"{m['name']}.{cols[0]}: a unique test re-reads a table its unique index guards"


def test_the_nightly_scope_starts_where_the_previous_build_started(module_db):
    """The dbt asset's scope (orchestration/defs/dbt.py): before any build every row; after one,
    the rows loaded since it started, or since the start of a load still running then (its rows
    may have been committed after the build read the raw tables); a load left `running` and
    superseded by a later load of its entity was killed and does not hold the scope back."""
    from orchestration.defs.dbt import data_tests_scope

    db = module_db
    sql(db, "create schema if not exists dbt_state; drop table if exists dbt_state.incremental_runs")
    assert data_tests_scope("changed", db) == {"DBT_ENV_CUSTOM_ENV_DATA_TESTS": "all"}   # no state
    sql(db, """
        create table dbt_state.incremental_runs (model text primary key, processed_at timestamptz not null);
        create schema if not exists raw_meta;
        create table raw_meta.loads (load_id bigint primary key, source text, entity text,
                                     started_at timestamptz, finished_at timestamptz);
    """)
    assert data_tests_scope("changed", db) == {"DBT_ENV_CUSTOM_ENV_DATA_TESTS": "all"}   # no build yet
    sql(db, """
        insert into dbt_state.incremental_runs values
            ('marts.fct_events', '2026-12-06 23:00+00'), ('marts.fct_tickets', '2026-12-06 23:01+00');
        insert into raw_meta.loads values
            (1, 'helpdesk', 'issues', '2026-12-06 22:00+00', '2026-12-06 22:10+00');
    """)

    def since(tag="changed"):
        return data_tests_scope(tag, db)

    assert since() == {"DBT_ENV_CUSTOM_ENV_DATA_TESTS": "changed",
                       "DBT_ENV_CUSTOM_ENV_DATA_TESTS_SINCE": "1796598000.000000"}   # 23:00 UTC
    assert since(None) == since("all") == {"DBT_ENV_CUSTOM_ENV_DATA_TESTS": "all"}
    # a load that started before the build and finished after it
    sql(db, "insert into raw_meta.loads values (2, 'schedule', 'shifts', '2026-12-06 22:30+00', '2026-12-06 23:20+00')")
    assert since()["DBT_ENV_CUSTOM_ENV_DATA_TESTS_SINCE"] == "1796596200.000000"       # 22:30 UTC
    # a load killed while running (never finished), superseded before the build by a later load
    sql(module_db, """
        update raw_meta.loads set finished_at = '2026-12-06 22:50+00' where load_id = 2;
        insert into raw_meta.loads values (3, 'onec', 'sales', '2026-12-06 20:00+00', null),
                                          (4, 'onec', 'sales', '2026-12-06 21:00+00', '2026-12-06 21:05+00');
    """)
    assert since()["DBT_ENV_CUSTOM_ENV_DATA_TESTS_SINCE"] == "1796598000.000000"
