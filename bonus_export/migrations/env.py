"""Alembic environment: the payroll schema, its version table inside it, one migrator at a time."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

SCHEMA = "payroll"
# Any constant: serialises concurrent migrators (the page and the CLI starting together).
LOCK_KEY = 804_202_608


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    connection.execute(text("select pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    connection.execute(text(f"create schema if not exists {SCHEMA}"))
    context.configure(connection=connection, version_table_schema=SCHEMA, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover - offline SQL generation is not used
    raise SystemExit("the payroll migrations run online only: python -m bonus_export migrate")
run_migrations_online()
