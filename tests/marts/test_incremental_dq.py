"""The nightly job across a simulated day leaves the incremental models of issue 9's nightly
cost list as a full rebuild would: int_bonus__repeats, dq_grey_zones, dq_unmatched_identities,
int_time_entries_enriched, agg_money_daily (docs/marts.md "Incremental repeats" and
"Incremental data quality").

The same run as tests/orchestration/test_nightly.py (the tiny world over HTTP, the Dagster
`nightly_pipeline` twice with a day in between), fingerprinting these tables; then
`dbt build --full-refresh` must not move them. Also checks that the second nightly ran the
repeats and grey zones incrementally (a recorded run) rather than rebuilding them.
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
from source_simulator.servers.testing import running_server
from warehouse import dbt_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

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
    "intermediate.int_bonus__repeats", "marts.dq_grey_zones", "marts.dq_unmatched_identities",
    "intermediate.int_time_entries_enriched", "marts.agg_money_daily", "marts.mart_bonus_lines",
]


def fingerprint(db_url: str) -> dict[str, tuple[int, str]]:
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
    return generate("tiny", out=tmp_path_factory.mktemp("incremental_dq_world")).path


def test_nightly_incremental_models_equal_a_full_rebuild(world, module_db, tmp_path):
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
        assert first["marts.dq_grey_zones"][0] > 0 and first["intermediate.int_bonus__repeats"][0] > 0

        httpx.post(f"{base}/_sim/clock", json={"advance_days": 1}, timeout=60).raise_for_status()
        run([sys.executable, "-c", RUN_NIGHTLY], env)
        nightly = fingerprint(module_db)
        with psycopg.connect(module_db) as conn:
            recorded = {r[0] for r in conn.execute("select model from dbt_state.incremental_runs")}
        assert {"intermediate.int_bonus__repeats", "marts.dq_grey_zones"} <= recorded

    dbt = [str(Path(sys.executable).parent / "dbt"), "build", "--full-refresh", "--exclude", "test_type:unit",
           "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT / "dbt_project"),
           "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    run(dbt, {**env, **dbt_env(module_db)})
    rebuilt = fingerprint(module_db)
    differing = {t: (nightly[t], rebuilt[t]) for t in TABLES if nightly[t] != rebuilt[t]}
    assert not differing, f"incremental nightly state differs from a full rebuild: {differing}"
