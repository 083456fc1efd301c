"""Throw-away databases for tests, on the private cluster or on `WAREHOUSE_URL`'s server."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import psycopg

from warehouse import libpq_url, private_cluster, warehouse_url, with_database

ROOT = Path(__file__).resolve().parent.parent


def ensure_server() -> str:
    """Start the private cluster unless WAREHOUSE_URL points elsewhere; return the base URL."""
    if private_cluster():
        subprocess.run([str(ROOT / "infra" / "warehouse.sh"), "start"], check=True)
    url = warehouse_url()
    try:
        psycopg.connect(libpq_url(url), connect_timeout=10).close()
    except psycopg.OperationalError as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError(f"the warehouse at {url.split('@')[-1]} does not answer: {exc}") from exc
    return url


def create_database(base_url: str, prefix: str = "t") -> str:
    """Create an empty database next to `base_url`'s and return its URL."""
    name = re.sub(r"[^a-z0-9_]", "_", f"{prefix}_{uuid.uuid4().hex[:10]}".lower())
    with psycopg.connect(libpq_url(base_url), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return with_database(base_url, name)


def drop_database(url: str, attempts: int = 5) -> None:
    """Drop a test database, terminating its connections (retried: under load a backend
    that is still exiting can make the first attempt fail)."""
    import time

    name = url.rsplit("/", 1)[1].split("?")[0]
    base = with_database(url, "postgres")
    for attempt in range(attempts):
        try:
            with psycopg.connect(libpq_url(base), autocommit=True) as conn:
                conn.execute(f'drop database if exists "{name}" with (force)')
            return
        except psycopg.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(1 + attempt)
