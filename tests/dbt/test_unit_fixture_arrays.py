"""Why the unit tests give relations with array columns as `format: sql` fixtures.

dbt-postgres reads an input's column types from information_schema, where every array is just
`ARRAY`, and casts each fixture value to that type: `cast(null as ARRAY)` is a syntax error
(dbt-labs/dbt-adapters#675, open). So an input with an array column (`stg_helpdesk__issues`,
`int_tickets_enriched`, `int_time_entries_enriched`, `int_ticket_transitions_enriched`,
`fct_tickets`) is given as SQL typed by the relation itself:
`select * from json_populate_recordset(null::<schema>.<relation>, $$[...rows as JSON...]$$)`
(or `... where false` for no rows) instead of overriding dbt's column lookup.

A tiny project on a throw-away database: the dict fixture still fails (when it passes, dbt
fixed it and the dict form may come back), the SQL fixture passes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import warehouse

DBT = Path(sys.executable).parent / "dbt"

UNIT_TESTS = """
version: 2
unit_tests:
  - name: dict_fixture_of_an_array_relation
    model: ticket_equipment
    given:
      - input: ref('tickets')
        rows:
          - {ticket_id: 1}
    expect:
      rows:
        - {ticket_id: 1, units: null}
  - name: sql_fixture_of_an_array_relation
    model: ticket_equipment
    given:
      - input: ref('tickets')
        format: sql
        rows: |
          select * from json_populate_recordset(null::public.tickets, $$[
            {"ticket_id": 1, "equipment_ids": [5, 3]}
          ]$$)
    expect:
      rows:
        - {ticket_id: 1, units: 2}
"""


def _project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: arrays\nconfig-version: 2\nprofile: service_warehouse\n")
    (root / "profiles.yml").write_text(
        (Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml").read_text(encoding="utf-8"))
    (root / "models" / "tickets.sql").write_text(
        "{{ config(materialized='table') }}\nselect 1::bigint as ticket_id, array[5, 3]::bigint[] as equipment_ids\n")
    (root / "models" / "ticket_equipment.sql").write_text(
        "select ticket_id, cardinality(equipment_ids) as units from {{ ref('tickets') }}\n")
    (root / "models" / "_unit_tests.yml").write_text(UNIT_TESTS)
    return root


def _dbt(project: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **warehouse.dbt_env(db_url), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
           "DBT_TARGET_PATH": str(project / "target"), "DBT_LOG_PATH": str(project / "logs")}
    return subprocess.run([str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
                          env=env, capture_output=True, text=True, check=False)


def test_array_inputs_need_sql_fixtures(fresh_db: str, tmp_path: Path) -> None:
    project = _project(tmp_path / "arrays")
    built = _dbt(project, fresh_db, "run", "--select", "tickets")
    assert built.returncode == 0, built.stdout[-3000:]

    as_dict = _dbt(project, fresh_db, "test", "--select", "dict_fixture_of_an_array_relation")
    assert as_dict.returncode != 0
    assert "as ARRAY" in as_dict.stdout or 'near "ARRAY"' in as_dict.stdout, as_dict.stdout[-3000:]

    as_sql = _dbt(project, fresh_db, "test", "--select", "sql_fixture_of_an_array_relation")
    assert as_sql.returncode == 0, as_sql.stdout[-3000:]
    assert "PASS=1" in as_sql.stdout, as_sql.stdout[-3000:]
