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


# ---------------------------------------------------------------- production refuses demo values
GOOD_PRODUCTION = {
    "APP_ENV": "production",
    "WAREHOUSE_URL": "postgresql://wh:Str0ng-and-long@db.internal/warehouse",
    "SUPERSET_SECRET_KEY": "k" * 48,
    "SUPERSET_ADMIN_PASSWORD": "a-real-admin-password",
    "HELPDESK_URL": "https://company.okdesk.ru",
    "HELPDESK_API_TOKEN": "real-token-1",
}


def refused(env: dict[str, str], required: list[str], optional: list[str] = ()) -> list[str]:
    try:
        settings.check_startup("the service", required=required, optional=optional, env=env)
    except settings.UnsafeSetting as exc:
        assert all(name in str(exc) for name in exc.names)
        return exc.names
    return []


def test_production_starts_on_real_values() -> None:
    assert refused(GOOD_PRODUCTION, list(GOOD_PRODUCTION)) == []


@pytest.mark.parametrize(("name", "value"), [
    ("SUPERSET_ADMIN_PASSWORD", "admin"),
    ("SUPERSET_SECRET_KEY", "short-key"),
    ("SUPERSET_SECRET_KEY", "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET"),
    ("SUPERSET_SECRET_KEY", ""),
    ("WAREHOUSE_URL", "postgresql://warehouse:warehouse@db.internal/warehouse"),
    ("HELPDESK_API_TOKEN", "demo-helpdesk-token"),
])
def test_production_refuses_a_demo_value_naming_its_variable(name: str, value: str) -> None:
    assert refused({**GOOD_PRODUCTION, name: value}, list(GOOD_PRODUCTION)) == [name]


def test_production_names_every_unsafe_variable_at_once() -> None:
    env = {**GOOD_PRODUCTION, "SUPERSET_ADMIN_PASSWORD": "demo", "SUPERSET_SECRET_KEY": "x"}
    assert refused(env, list(GOOD_PRODUCTION)) == ["SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_PASSWORD"]


def test_an_optional_variable_is_checked_only_when_set() -> None:
    assert refused(GOOD_PRODUCTION, [], ["SUPERSET_DATABASE_URI"]) == []
    env = {**GOOD_PRODUCTION, "SUPERSET_DATABASE_URI": "postgresql://superset:admin@db/superset"}
    assert refused(env, [], ["SUPERSET_DATABASE_URI"]) == ["SUPERSET_DATABASE_URI"]


def test_the_simulator_token_never_goes_to_a_real_url_even_in_demo() -> None:
    """Setting only HELPDESK_URL would send the simulator's token to a real help desk."""
    env = {"HELPDESK_URL": "https://company.okdesk.ru"}
    assert refused(env, ["HELPDESK_API_TOKEN", "HELPDESK_URL"]) == ["HELPDESK_API_TOKEN"]
    # the simulator on any local port is fine
    assert refused({"HELPDESK_URL": "http://127.0.0.1:18070/helpdesk"}, ["HELPDESK_API_TOKEN"]) == []


def test_demo_starts_with_nothing_set() -> None:
    names = ["WAREHOUSE_URL", "SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_PASSWORD", *DEMO_DEFAULTS]
    assert refused({}, names) == []
