"""Fixtures of the payroll tests: a migrated database with contract-shaped bonus marts."""

from __future__ import annotations

import pytest
from payroll_fixtures import create_marts

from bonus_export.migrate import migrate
from bonus_export.settings import Settings


@pytest.fixture
def payroll_db(fresh_db: str) -> str:
    create_marts(fresh_db)
    migrate(fresh_db)
    return fresh_db


@pytest.fixture
def payroll_settings(payroll_db: str, tmp_path) -> Settings:
    return Settings(
        warehouse_url=payroll_db,
        payroll_export_dir=tmp_path / "exports",
        superset_database_uri=f"sqlite:///{tmp_path / 'none.db'}",
        secret_key="test-secret",
        company_tz="Europe/Moscow",
    )
