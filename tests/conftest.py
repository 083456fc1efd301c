"""Fixtures shared by every test area: the warehouse and throw-away databases.

Tests run against real PostgreSQL: the private cluster (started here if needed) or the
server of `WAREHOUSE_URL`. Each test module that needs a clean slate gets a database of
its own, dropped afterwards.
"""

from __future__ import annotations

import os

import pytest

from tools.testdb import create_database, drop_database, ensure_server

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")


def pytest_sessionstart(session: pytest.Session) -> None:
    """The Dagster definitions read a prepared dbt manifest (`make dbt-parse`); a test run right
    after editing a model re-parses first, as `make test` would."""
    from orchestration.dbt_manifest import manifest_is_stale, prepare_manifest

    if manifest_is_stale():
        prepare_manifest()


@pytest.fixture(scope="session")
def warehouse_server_url() -> str:
    return ensure_server()


@pytest.fixture(scope="module")
def module_db(warehouse_server_url: str, request):
    """An empty database for one test module."""
    url = create_database(warehouse_server_url, prefix=f"t_{request.module.__name__.split('.')[-1]}"[:40])
    yield url
    drop_database(url)


@pytest.fixture
def fresh_db(warehouse_server_url: str):
    """An empty database for one test."""
    url = create_database(warehouse_server_url)
    yield url
    drop_database(url)
