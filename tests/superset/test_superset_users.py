"""Users are created once by the users command (`make users`); in production no load resets a
password, so a password a user changed survives every restart and every asset load."""

from __future__ import annotations

from pathlib import Path

import pytest
from superset_env import DEMO_PASSWORD

from superset_assets import BUNDLE_DIR, SECURITY_FILE
from superset_assets.client import SupersetClient, SupersetError
from superset_assets.loader import create_users, load

USERS = """
users:
  - username: auditor
    first_name: Анна
    last_name: Проверяющая
    email: auditor@company.ru
    roles: [Finance]
"""


def can_log_in(url: str, username: str, password: str) -> bool:
    try:
        SupersetClient(url, username, password).close()
    except SupersetError:
        return False
    return True


def test_the_users_command_creates_a_user_once_and_never_resets_it(
    admin: SupersetClient, superset_url: str, superset_warehouse: str, loaded, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    users = tmp_path / "users.yaml"
    users.write_text(USERS, encoding="utf-8")
    first = {"SUPERSET_PASSWORD_AUDITOR": "first-real-password"}
    assert create_users(admin, users, SECURITY_FILE, superset_warehouse, env=first) == ["auditor"]
    assert can_log_in(superset_url, "auditor", "first-real-password")
    # run again with another password: the user exists, its password stays
    again = {"SUPERSET_PASSWORD_AUDITOR": "second-real-password"}
    assert create_users(admin, users, SECURITY_FILE, superset_warehouse, env=again) == []
    assert can_log_in(superset_url, "auditor", "first-real-password")
    assert not can_log_in(superset_url, "auditor", "second-real-password")
    # the Finance role's dashboards open for the new user
    auditor = SupersetClient(superset_url, "auditor", "first-real-password")
    slugs = {d["slug"] for d in auditor.list_all("dashboard", ["slug"])}
    assert {"bonuses", "contracts"} <= slugs and "manager" not in slugs


def test_a_production_load_leaves_every_password_as_it_is(
    admin: SupersetClient, superset_url: str, superset_warehouse: str, loaded, monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager_id = admin.get("/api/v1/security/users/",
                           params={"q": "(filters:!((col:username,opr:eq,value:'manager')))"})["result"][0]["id"]
    admin.put(f"/api/v1/security/users/{manager_id}", {"password": "changed-by-the-manager"})
    monkeypatch.setenv("APP_ENV", "production")
    try:
        load(admin, BUNDLE_DIR, SECURITY_FILE, wh_url=superset_warehouse, demo_password=DEMO_PASSWORD)
        assert can_log_in(superset_url, "manager", "changed-by-the-manager")
        assert not can_log_in(superset_url, "manager", DEMO_PASSWORD)
    finally:
        # the other tests of this session log in with the demo password
        admin.put(f"/api/v1/security/users/{manager_id}", {"password": DEMO_PASSWORD})
