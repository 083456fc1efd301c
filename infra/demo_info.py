"""Printed at the end of `make demo`: where to look and how to log in."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

from warehouse import warehouse_url

SERVICES = [
    ("Superset (dashboards)", os.environ.get("SUPERSET_URL", "http://127.0.0.1:8088")),
    ("Dagster UI", os.environ.get("DAGSTER_URL", "http://127.0.0.1:3000")),
    ("Approvals page", os.environ.get("APPROVALS_URL", "http://127.0.0.1:8090")),
    ("Source simulator", os.environ.get("SIMULATOR_URL", "http://127.0.0.1:8070")),
]

LOGINS = [
    ("admin", os.environ.get("SUPERSET_ADMIN_PASSWORD", "admin"), "Admin: everything"),
    ("manager", os.environ.get("DEMO_PASSWORD", "demo"), "Manager: all data, approves the Moscow teams' bonuses"),
    ("manager_ekb", os.environ.get("DEMO_PASSWORD", "demo"), "Manager: approves the Yekaterinburg teams"),
    ("manager_nsk", os.environ.get("DEMO_PASSWORD", "demo"), "Manager: approves the Novosibirsk teams"),
    ("head", os.environ.get("DEMO_PASSWORD", "demo"), "Head of service: approves every team"),
    ("engineer", os.environ.get("DEMO_PASSWORD", "demo"), "Engineer: own rows only"),
    ("finance", os.environ.get("DEMO_PASSWORD", "demo"), "Finance: bonus and contract dashboards"),
]


def _up(url: str) -> bool:
    u = urlsplit(url)
    try:
        with socket.create_connection((u.hostname, u.port or 80), timeout=0.5):
            return True
    except OSError:
        return False


def main() -> None:
    print("\nThe product is up. Where to look:\n")
    for name, url in SERVICES:
        state = "up" if _up(url) else "not running"
        print(f"  {name:<24} {url:<28} [{state}]")
    wh = urlsplit(warehouse_url())
    print(f"  {'Warehouse (PostgreSQL)':<24} {wh.hostname}:{wh.port}/{wh.path.lstrip('/')}   (make psql)")
    print("\nLogins (Superset and the approvals page share them):\n")
    for login, password, what in LOGINS:
        print(f"  {login:<11} / {password:<8} {what}")
    print("\nStop everything with: make stop\n")


if __name__ == "__main__":
    main()
