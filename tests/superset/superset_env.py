"""Settings of the test Superset, shared by conftest.py and the test modules of this area."""

from pathlib import Path

ADMIN_PASSWORD = "admin-test"
DEMO_PASSWORD = "demo-test"
APPROVALS_URL = "http://127.0.0.1:18090"


def load_fixture(url: str, target_path: Path) -> None:
    """Contract-shaped marts and raw rejects, then the forecasts and payroll tables made by
    their owners' code (forecasts.store, bonus_export's migration) with a few rows, then the
    dbt views the dashboards read (models/marts/bi and what they need below the marts),
    built by dbt itself over those tables (`dbt run` into `target_path`)."""
    import os
    import subprocess
    import sys

    from bonus_export.migrate import migrate
    from forecasts.store import ensure_schema
    from warehouse import connect, dbt_env

    fixtures = Path(__file__).parent / "fixtures"
    with connect(url) as conn:
        conn.execute((fixtures / "contract_marts.sql").read_text(encoding="utf-8"))
        conn.execute((fixtures / "dashboard_aggs.sql").read_text(encoding="utf-8"))
        conn.commit()
        ensure_schema(conn)
    migrate(url)
    with connect(url) as conn:
        conn.execute((fixtures / "owners_rows.sql").read_text(encoding="utf-8"))
    project = Path(__file__).resolve().parents[2] / "dbt_project"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--quiet", "--project-dir", str(project),
         "--profiles-dir", str(project), "--target-path", str(target_path),
         "--select", "path:models/marts/bi", "stg_meta__rejects", "dim_codes", "mart_contract_projection"],
        env={**os.environ, **dbt_env(url), "APPROVALS_URL": APPROVALS_URL, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"},
        capture_output=True, text=True, timeout=900, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dbt run of the bi views failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
