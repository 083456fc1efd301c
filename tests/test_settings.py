"""The shared settings: demo runs with nothing set, production refuses a missing secret."""

from __future__ import annotations

import subprocess

import pytest

from warehouse import settings
from warehouse.settings import DEMO_DEFAULTS, MissingSetting, setting, shared

UNSET = ["APP_ENV", "COMPANY_TZ", "WAREHOUSE_URL", *DEMO_DEFAULTS]


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_demo_runs_on_the_local_defaults(bare_env: pytest.MonkeyPatch) -> None:
    s = shared()
    assert s.app_env == "demo"
    assert s.company_tz == "Europe/Moscow"
    assert s.warehouse_url == "postgresql://warehouse:warehouse@127.0.0.1:55432/warehouse"
    assert setting("HELPDESK_API_TOKEN") == "demo-helpdesk-token"


def test_a_set_variable_wins(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("COMPANY_TZ", "Asia/Novosibirsk")
    assert shared().company_tz == "Asia/Novosibirsk"


def test_production_refuses_a_missing_secret_by_name(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("APP_ENV", "production")
    bare_env.setenv("WAREHOUSE_URL", "postgresql://prod@db/warehouse")
    with pytest.raises(MissingSetting, match="HELPDESK_API_TOKEN"):
        setting("HELPDESK_API_TOKEN")
    bare_env.delenv("WAREHOUSE_URL")
    with pytest.raises(MissingSetting, match="WAREHOUSE_URL"):
        shared()


def test_production_keeps_the_company_zone_default(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("APP_ENV", "production")
    bare_env.setenv("WAREHOUSE_URL", "postgresql://prod@db/warehouse")
    assert shared().company_tz == "Europe/Moscow"


def test_an_unknown_environment_is_refused(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("APP_ENV", "staging")
    with pytest.raises(ValueError, match="APP_ENV"):
        shared()


def test_each_default_is_written_once() -> None:
    """The company zone's and the warehouse URL's defaults appear in Python only in warehouse/settings.py."""
    for literal in ('"Europe/Moscow"', '"postgresql://warehouse:warehouse@127.0.0.1:55432/warehouse"'):
        found = subprocess.run(
            ["git", "grep", "-l", "-F", literal, "--", "*.py", ":!tests", ":!source_simulator"],
            capture_output=True, text=True, cwd=settings.__file__.rsplit("/warehouse/", 1)[0],
        ).stdout.split()
        assert found == ["warehouse/settings.py"], literal


def test_the_warehouse_url_is_read_in_one_place(bare_env: pytest.MonkeyPatch) -> None:
    """Every part finds the warehouse where warehouse/settings.py says: no other module reads
    WAREHOUSE_URL from the environment (Dagster's resource binds it by name, orchestration/resources.py)."""
    found = subprocess.run(
        ["git", "grep", "-n", "-E", r"""(environ(\.get\(|\[)|getenv\(|setting\()["']WAREHOUSE_URL""",
         "--", "*.py", ":!tests"],
        capture_output=True, text=True, cwd=settings.__file__.rsplit("/warehouse/", 1)[0],
    ).stdout.splitlines()
    assert [line.split(":", 1)[0] for line in found] == ["warehouse/settings.py"] * len(found) and found, found
    from bonus_export.settings import Settings

    bare_env.setenv("WAREHOUSE_URL", "postgresql://u:p@db.example:5432/wh")
    assert Settings().warehouse_url == "postgresql://u:p@db.example:5432/wh"
    bare_env.delenv("WAREHOUSE_URL")
    assert Settings().warehouse_url == settings.WAREHOUSE_URL_DEFAULT
