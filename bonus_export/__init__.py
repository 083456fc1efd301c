"""Bonus approvals and the payroll export; owns the `payroll` schema.

- `settings`: one pydantic-settings object (WAREHOUSE_URL, SUPERSET_DATABASE_URI,
  PAYROLL_EXPORT_DIR, APPROVALS_SECRET_KEY, COMPANY_TZ).
- `migrate`: alembic migrations of the payroll schema (version table in `payroll`).
- `approvals`: reading bonuses with their approval status and recording decisions.
- `accounts`: sign-in against Superset's account tables (one login).
- `export`: the payroll CSV export (exactly once, crash-safe).
- `web`: the approvals page (FastAPI + Jinja, port 8090).
"""
