"""The nightly job, run twice across a simulated day, leaves the warehouse as a full rebuild would.

Real parts only: the tiny world served over HTTP by the simulator, the Dagster job the nightly
schedule runs (`nightly_pipeline`: extraction with cursors, dbt build with incremental models),
executed in a fresh process with the settings pointing at this test's database. After the second
run (a day later), the facts and marts are fingerprinted, `dbt build --full-refresh` rebuilds
everything from raw, and the fingerprints must not move.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest

from source_simulator.generator import generate
from tools.simulator_server import running_server
from warehouse import dbt_env

ROOT = Path(__file__).resolve().parents[2]

RUN_NIGHTLY = """
import sys
import dagster as dg
from orchestration.definitions import defs

result = defs.resolve_job_def("nightly_pipeline").execute_in_process(
    instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
print("failed steps:", failed)
sys.exit(0 if result.success else 1)
"""

TABLES = [
    "marts.fct_tickets", "marts.fct_events", "marts.fct_time_entries", "marts.fct_shifts",
    "marts.mart_engineer_kpi", "marts.mart_bonus_lines", "marts.mart_bonus_summary",
    "marts.mart_contract_usage", "marts.mart_engineer_load_index",
    # the dashboards' aggregates (their _batch_at, the time a row was written, is left out)
    "marts.agg_tickets_daily", "marts.agg_tickets_monthly", "marts.agg_money_daily",
    "marts.agg_money_monthly", "marts.dash_open_tickets", "marts.agg_bonus_monthly",
    # incremental by touched period / by changed records
    "marts.mart_engineer_kpi_weekly", "marts.mart_sla_by_work_type", "marts.mart_contract_alerts",
    "marts.mart_client_profitability", "intermediate.int_kpi__ticket_open_spans",
    "intermediate.int_kpi__engineer_periods",
    "intermediate.int_bonus__repeats", "marts.dq_grey_zones", "marts.dq_unmatched_identities",
    "intermediate.int_bonus__base_lines", "intermediate.int_bonus__ticket_points",
    "intermediate.int_contracts__time_entries", "intermediate.int_time_entries_enriched",
    # incremental dimensions and data-quality state
    "marts.dq_shift_activity", "marts.dq_source_freshness", "marts.dim_dates", "marts.dim_work_types",
    # the rest of the incremental models (docs/incremental.md): staging, core, weekly aggregates
    "staging.stg_helpdesk__issues", "staging.stg_helpdesk__status_changes", "staging.stg_helpdesk__time_entries",
    "staging.stg_schedule__shifts", "staging.stg_onec__sales", "intermediate.int_ticket_status_transitions",
    "intermediate.int_tickets_enriched", "intermediate.int_shifts_enriched", "marts.agg_tickets_weekly",
    "marts.agg_tickets_weekly_total",
]


def fingerprint(db_url: str) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every row of each table."""
    out = {}
    with psycopg.connect(db_url) as conn:
        for table in TABLES:
            count, digest = conn.execute(
                f"select count(*), md5(coalesce(string_agg(md5((to_jsonb(t) - '_batch_at')::text),"
                f" '' order by md5((to_jsonb(t) - '_batch_at')::text)), ''))"
                f" from {table} t"
            ).fetchone()
            out[table] = (count, digest)
    return out


def run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, f"{cmd[:3]} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return generate("tiny", out=tmp_path_factory.mktemp("nightly_world")).path


def test_nightly_job_twice_across_a_day_equals_a_full_rebuild(world, module_db, tmp_path):
    with running_server(world) as base:
        env = {
            **os.environ,
            "WAREHOUSE_URL": module_db,
            "HELPDESK_URL": f"{base}/helpdesk",
            "SCHEDULE_URL": f"{base}/schedule",
            "ONEC_URL": f"{base}/onec",
            "REGISTRY_PATH": f"{base}/registry.xlsx",
            "DAGSTER_HOME": str(tmp_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        }
        run([sys.executable, "-c", RUN_NIGHTLY], env)
        first = fingerprint(module_db)
        assert first["marts.fct_tickets"][0] > 0 and first["marts.mart_bonus_summary"][0] > 0
        assert first["marts.dq_grey_zones"][0] > 0 and first["intermediate.int_bonus__repeats"][0] > 0

        httpx.post(f"{base}/_sim/clock", json={"advance_days": 1}, timeout=60).raise_for_status()
        run([sys.executable, "-c", RUN_NIGHTLY], env)
        nightly = fingerprint(module_db)
        assert nightly["marts.fct_events"][0] > first["marts.fct_events"][0], "the second day brought no events"

        with psycopg.connect(module_db) as conn:
            loads = conn.execute("select count(*) from raw_meta.loads where status = 'success'").fetchone()[0]
            recorded = {r[0] for r in conn.execute("select model from dbt_state.incremental_runs")}
        assert loads > 0
        # the second night ran the repeats and grey zones incrementally (a recorded run), not rebuilt
        assert {"intermediate.int_bonus__repeats", "marts.dq_grey_zones"} <= recorded

    dbt = [str(Path(sys.executable).parent / "dbt"), "build", "--full-refresh", "--exclude", "test_type:unit",
           "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT / "dbt_project")]
    run(dbt, {**env, **dbt_env(module_db)})
    rebuilt = fingerprint(module_db)
    differing = {t: (nightly[t], rebuilt[t]) for t in TABLES if nightly[t] != rebuilt[t]}
    assert not differing, f"incremental nightly state differs from a full rebuild: {differing}"
