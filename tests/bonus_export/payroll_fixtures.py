"""Contract-shaped bonus marts and Superset account tables for the payroll tests.

The marts are built by dbt elsewhere; here they are created with exactly the contract
columns (plus nothing the code may rely on), and calc_hash is computed as docs/rules.md defines it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from werkzeug.security import generate_password_hash

import warehouse

MARTS_DDL = """
create schema if not exists marts;
create table marts.dim_engineers (personnel_no text primary key, full_name text, email text, team_name text);
create table marts.mart_bonus_lines (
    personnel_no text not null, period_start date not null, line_kind text not null,
    source_event_id text not null, ticket_id bigint, points numeric, amount_rub numeric(14, 2) not null,
    coefficients jsonb, explanation text
);
create table marts.mart_bonus_summary (
    personnel_no text not null, period_start date not null, total_rub numeric(14, 2) not null,
    calc_hash text not null, primary key (personnel_no, period_start)
);
"""


@dataclass(frozen=True)
class Line:
    line_kind: str
    source_event_id: str
    amount_rub: str
    ticket_id: int | None = None
    points: str | None = None
    explanation: str = ""


def calc_hash(lines: list[Line]) -> str:
    """docs/rules.md: sha256 of `line_kind|source_event_id|amount` rows sorted in code-point order."""
    rows = sorted((ln.line_kind, ln.source_event_id, f"{Decimal(ln.amount_rub):.2f}") for ln in lines)
    return hashlib.sha256("\n".join("|".join(r) for r in rows).encode("utf-8")).hexdigest()


def create_marts(url: str) -> None:
    with warehouse.connect(url, autocommit=True) as conn:
        conn.execute(MARTS_DDL)


def add_engineer(url: str, personnel_no: str, full_name: str, team: str | None = None,
                 email: str | None = None) -> None:
    with warehouse.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into marts.dim_engineers values (%s, %s, %s, %s) "
            "on conflict (personnel_no) do update set full_name = excluded.full_name, "
            "email = excluded.email, team_name = excluded.team_name",
            (personnel_no, full_name, email, team),
        )


def set_bonus(url: str, personnel_no: str, period: str, lines: list[Line]) -> str:
    """Replace an engineer's lines for a period (as a dbt rebuild would); returns the calc_hash."""
    period_start = f"{period}-01"
    with warehouse.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("delete from marts.mart_bonus_lines where personnel_no = %s and period_start = %s",
                     (personnel_no, period_start))
        conn.execute("delete from marts.mart_bonus_summary where personnel_no = %s and period_start = %s",
                     (personnel_no, period_start))
        for ln in lines:
            conn.execute(
                "insert into marts.mart_bonus_lines values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (personnel_no, period_start, ln.line_kind, ln.source_event_id, ln.ticket_id, ln.points,
                 Decimal(ln.amount_rub), json.dumps({"points_rate_rub": 150}), ln.explanation),
            )
        h = calc_hash(lines)
        if lines:
            total = sum((Decimal(ln.amount_rub) for ln in lines), Decimal("0"))
            conn.execute("insert into marts.mart_bonus_summary values (%s, %s, %s, %s)",
                         (personnel_no, period_start, total, h))
    return h


# ---------------------------------------------------------------- Superset accounts
FAB_DDL = """
create table ab_role (id integer primary key, name varchar(64) unique not null);
create table ab_user (
    id integer primary key, first_name varchar(64) not null, last_name varchar(64) not null,
    username varchar(100) unique not null, password varchar(256), active boolean,
    email varchar(320) unique not null, last_login datetime, login_count integer, fail_login_count integer,
    created_on datetime, changed_on datetime, created_by_fk integer, changed_by_fk integer
);
create table ab_user_role (id integer primary key, user_id integer, role_id integer, unique (user_id, role_id));
"""

ACCOUNTS = {
    # username: (password, roles, active)
    "admin": ("admin-secret", ["Admin"], True),
    "manager": ("demo", ["Manager"], True),
    "head": ("demo", ["Head"], True),
    "engineer": ("demo", ["Engineer"], True),
    "finance": ("demo", ["Finance"], True),
    "retired": ("demo", ["Manager"], False),
}


def create_superset_accounts(path: Path) -> str:
    """A SQLite file with FAB's account tables; returns its SQLAlchemy URL."""
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(FAB_DDL)
        roles = sorted({r for _, rs, _ in ACCOUNTS.values() for r in rs} | {"Public", "Gamma"})
        conn.executemany("insert into ab_role (id, name) values (?, ?)", list(enumerate(roles, start=1)))
        role_id = {name: i for i, name in enumerate(roles, start=1)}
        for uid, (username, (password, user_roles, active)) in enumerate(ACCOUNTS.items(), start=1):
            conn.execute(
                "insert into ab_user (id, first_name, last_name, username, password, active, email) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                (uid, username.title(), "Demo", username, generate_password_hash(password), active,
                 f"{username}@example.test"),
            )
            for r in user_roles:
                conn.execute("insert into ab_user_role (user_id, role_id) values (?, ?)", (uid, role_id[r]))
    conn.close()
    return f"sqlite:///{path}"


# ---------------------------------------------------------------- the page, served for real
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_page(warehouse_url: str, superset_uri: str, tmp: Path, **env_extra: str) -> Iterator[str]:
    """`python -m bonus_export serve` on a free port (uvicorn); yields its base URL."""
    port = free_port()
    env = {**os.environ, "WAREHOUSE_URL": warehouse_url, "SUPERSET_DATABASE_URI": superset_uri,
           "APPROVALS_SECRET_KEY": "web-test-secret",
           "TEAM_MANAGERS_FILE": "",  # each test sets payroll.team_managers itself
           **env_extra}
    log_path = tmp / f"serve-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bonus_export", "serve", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                if proc.poll() is not None:
                    raise RuntimeError(f"the approvals page exited: {log_path.read_text()}")
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise RuntimeError(f"the approvals page did not answer: {log_path.read_text()}")
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=20)
