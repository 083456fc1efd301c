"""Settings of the test Superset, shared by conftest.py and the test modules of this area."""

ADMIN_PASSWORD = "admin-test"
DEMO_PASSWORD = "demo-test"
APPROVALS_URL = "http://127.0.0.1:18090"


def load_fixture(url: str) -> None:
    """Contract-shaped marts and raw rejects, then the forecasts and payroll tables made by
    their owners' code (forecasts.store, bonus_export's migration) with a few rows."""
    from pathlib import Path

    from bonus_export.migrate import migrate
    from forecasts.store import ensure_schema
    from warehouse import connect

    fixtures = Path(__file__).parent / "fixtures"
    with connect(url) as conn:
        conn.execute((fixtures / "contract_marts.sql").read_text(encoding="utf-8"))
        conn.execute((fixtures / "dashboard_aggs.sql").read_text(encoding="utf-8"))
        conn.commit()
        ensure_schema(conn)
    migrate(url)
    with connect(url) as conn:
        conn.execute((fixtures / "owners_rows.sql").read_text(encoding="utf-8"))
