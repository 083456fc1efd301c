"""Nightly data tests read the recently loaded rows of the big tables; other runs read every row.

Real dbt and PostgreSQL, dbt's own `where:` config (the models' YAML): with
DBT_ENV_CUSTOM_ENV_DATA_TESTS=changed (the nightly job sets it) the row-level tests of the big
incremental tables read the rows whose `_source_loaded_at` / `_last_loaded_at` is within
`data_tests_window_hours` (dbt_project.yml) of now; without it they read everything. The table
the tests read, `marts.fct_events`, is written by hand so that the rows' load times are known.
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


def test_full_runs_test_every_row_and_nightly_only_recent_rows(dbt_scope, module_db, monkeypatch):
    assert failures(dbt_scope) == 1            # make run / full_pipeline / CI: the old null is caught
    monkeypatch.setenv("DBT_ENV_CUSTOM_ENV_DATA_TESTS", "changed")
    assert failures(dbt_scope) == 0            # nightly: the old row is not re-read

    # a row the nightly loaded with a null is caught at night
    sql(module_db, "insert into marts.fct_events values (null, 'work_logged', now() - interval '5 minutes')")
    try:
        assert failures(dbt_scope) == 1
    finally:
        sql(module_db, "delete from marts.fct_events where event_type = 'work_logged'")
    assert failures(dbt_scope) == 0


def test_the_nightly_window_is_a_setting(dbt_scope, module_db, monkeypatch):
    """A row loaded 30 hours ago (a night missed) is outside the default 26-hour window; a
    longer window (`data_tests_window_hours`) reaches it."""
    monkeypatch.setenv("DBT_ENV_CUSTOM_ENV_DATA_TESTS", "changed")
    sql(module_db, "insert into marts.fct_events values (null, 'work_logged', now() - interval '30 hours')")
    try:
        assert failures(dbt_scope) == 0
        assert failures(dbt_scope, "--vars", '{"data_tests_window_hours": 48}') == 1
    finally:
        sql(module_db, "delete from marts.fct_events where event_type = 'work_logged'")


def _compiled(dbt: Dbt, test: str) -> str:
    [path] = dbt.target.glob(f"compiled/**/{test}.sql")
    return path.read_text()


def test_the_nightly_filter_is_plain_sql_on_the_load_column(dbt_scope, monkeypatch):
    """dbt's own `where` subquery: an index on the load column serves it (now() is stable)."""
    assert failures(dbt_scope) == 1
    assert "_source_loaded_at" not in _compiled(dbt_scope, TEST)
    monkeypatch.setenv("DBT_ENV_CUSTOM_ENV_DATA_TESTS", "changed")
    assert failures(dbt_scope) == 0
    compiled = _compiled(dbt_scope, TEST)
    assert "where _source_loaded_at >= now() - make_interval(secs => 3600 * 26)) dbt_subquery" in compiled


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
