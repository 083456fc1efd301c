"""Where the warehouse is: one place that resolves `WAREHOUSE_URL` for every part.

Unset, `WAREHOUSE_URL` means the private cluster that `make` starts (infra/warehouse.sh):
PostgreSQL on 127.0.0.1:55432, database and user `warehouse`. Each part creates the
schemas it owns (extractors: raw_*, dbt: staging/marts, forecasts: forecasts,
bonus_export: payroll); nothing is created by hand.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg

from warehouse.settings import company_tz
from warehouse.settings import private_cluster as private_cluster
from warehouse.settings import warehouse_url as warehouse_url


def libpq_url(url: str) -> str:
    """`postgresql+driver://` -> `postgresql://` (what libpq understands)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    return psycopg.connect(libpq_url(url or warehouse_url()), **kwargs)


def sqlalchemy_url(url: str | None = None, driver: str = "psycopg2") -> str:
    """The same URL for SQLAlchemy (`postgresql+psycopg2://`, as Superset and Dagster want)."""
    return f"postgresql+{driver}://" + libpq_url(url or warehouse_url()).split("://", 1)[1]


def url_parts(url: str | None = None) -> dict[str, str]:
    """host, port, user, password, dbname of a URL (for dbt's profile and psql)."""
    u = urlsplit(libpq_url(url or warehouse_url()))
    return {
        "host": u.hostname or "127.0.0.1",
        "port": str(u.port or 5432),
        "user": unquote(u.username or ""),
        "password": unquote(u.password or ""),
        "dbname": u.path.lstrip("/") or "postgres",
    }


def with_database(url: str, dbname: str) -> str:
    """`url` pointing at another database on the same server."""
    u = urlsplit(url)
    return urlunsplit((u.scheme, u.netloc, "/" + dbname, u.query, u.fragment))


def dbt_env(url: str | None = None) -> dict[str, str]:
    """Environment variables read by dbt_project/profiles.yml and the company_tz macro."""
    p = url_parts(url)
    return {
        "COMPANY_TZ": company_tz(),
        "WAREHOUSE_HOST": p["host"],
        "WAREHOUSE_PORT": p["port"],
        "WAREHOUSE_USER": p["user"],
        "WAREHOUSE_PASSWORD": p["password"],
        "WAREHOUSE_DBNAME": p["dbname"],
    }

