"""Run the payroll schema migrations (alembic, version table `payroll.alembic_version`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from warehouse import sqlalchemy_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(warehouse_url: str, revision: str = "head") -> None:
    """Bring the payroll schema of `warehouse_url` up to `revision` (idempotent)."""
    engine = create_engine(sqlalchemy_url(warehouse_url, driver="psycopg"), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def current_revision(warehouse_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(sqlalchemy_url(warehouse_url, driver="psycopg"), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            ctx = MigrationContext.configure(connection, opts={"version_table_schema": "payroll"})
            return ctx.get_current_revision()
    finally:
        engine.dispose()
