"""Production mode, as an operator starts each service: a demo password, a default or short
secret key, or the simulator's token against a real URL stops the service before it does
anything, and the error names the variable to fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUPERSET_VENV = Path(os.environ.get("SUPERSET_VENV") or ROOT / ".local" / "superset-venv")
# A production environment with nothing unsafe but the one variable each test spoils.
PRODUCTION = {
    "APP_ENV": "production",
    "WAREHOUSE_URL": "postgresql://wh:Str0ng-wh-password@127.0.0.1:1/warehouse",
    "SUPERSET_SECRET_KEY": "s" * 48,
    "SUPERSET_ADMIN_PASSWORD": "a-real-admin-password",
    "APPROVALS_SECRET_KEY": "a" * 48,
    "HELPDESK_URL": "https://company.okdesk.ru", "HELPDESK_API_TOKEN": "real-helpdesk-token",
    "HELPDESK_WEBHOOK_TOKEN": "real-webhook-token",
    "SCHEDULE_URL": "https://schedule.company.ru", "SCHEDULE_TOKEN": "real-schedule-token",
    "ONEC_URL": "https://1c.company.ru/base", "ONEC_USER": "odata", "ONEC_PASSWORD": "real-1c-password",
    "REGISTRY_PATH": "/srv/registry.xlsx",
}
PY = sys.executable


def start(argv: list[str], spoil: dict[str, str], tmp_path: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELPDESK_", "SCHEDULE_", "ONEC_", "REGISTRY_"))}
    env.update({**PRODUCTION, "SUPERSET_HOME": str(tmp_path), "SUPERSET_URL": "http://127.0.0.1:1", **spoil})
    return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def assert_refused(done: subprocess.CompletedProcess, variable: str) -> None:
    out = done.stdout + done.stderr
    assert done.returncode != 0, out[-2000:]
    assert "refuses to start" in out and variable in out, out[-3000:]
    # only the spoiled variable is named
    named = [name for name in PRODUCTION if f"- {name} " in out]
    assert named == [variable], out[-3000:]


@pytest.mark.parametrize(("service", "argv", "variable", "value"), [
    ("extractors", [PY, "-m", "extractors", "run", "--source", "helpdesk"], "HELPDESK_API_TOKEN",
     "demo-helpdesk-token"),
    ("extractors", [PY, "-m", "extractors", "run", "--source", "onec"], "ONEC_PASSWORD", "odata"),
    ("extractors", [PY, "-m", "extractors", "run"], "WAREHOUSE_URL",
     "postgresql://warehouse:warehouse@db.company.ru/warehouse"),
    ("webhook receiver", [PY, "-m", "extractors.helpdesk.webhooks", "--port", "1"], "HELPDESK_WEBHOOK_TOKEN",
     "demo-webhook-token"),
    ("approvals page", [PY, "-m", "bonus_export", "serve", "--port", "1"], "APPROVALS_SECRET_KEY", "too-short"),
    ("Dagster", [PY, "-c", "import orchestration.definitions"], "SCHEDULE_TOKEN", "demo-schedule-token"),
    ("asset loader", [PY, "-m", "superset_assets.loader", "load", "--wait", "1"], "SUPERSET_ADMIN_PASSWORD", "admin"),
    ("users command", [PY, "-m", "superset_assets.loader", "users", "--wait", "1"], "SUPERSET_ADMIN_PASSWORD",
     "admin"),
])
def test_production_refuses_to_start_naming_the_variable(service, argv, variable, value, tmp_path):
    assert_refused(start(argv, {variable: value}, tmp_path), variable)


def test_superset_refuses_a_short_secret_key(tmp_path: Path) -> None:
    if not (SUPERSET_VENV / "bin" / "superset").exists():
        pytest.fail(f"Superset is not installed at {SUPERSET_VENV}: run `make superset-venv`")
    done = start([str(ROOT / "infra/superset/run.sh"), "init"],
                 {"SUPERSET_SECRET_KEY": "tests-only-secret-key", "SUPERSET_VENV": str(SUPERSET_VENV)}, tmp_path)
    assert_refused(done, "SUPERSET_SECRET_KEY")
    assert not (tmp_path / "superset.db").exists(), "Superset created its metadata before refusing"


def test_users_need_their_own_passwords_in_production(tmp_path: Path) -> None:
    """`make users` creates each user with the password of its variable: unset or a demo one is refused."""
    done = start([PY, "-c", "from superset_assets.loader import new_user_passwords;"
                  "from superset_assets.security import SecuritySpec; from superset_assets import SECURITY_FILE;"
                  "new_user_passwords(SecuritySpec.read(SECURITY_FILE))"],
                 {"SUPERSET_PASSWORD_MANAGER": "a-real-password", "SUPERSET_PASSWORD_FINANCE": "demo"}, tmp_path)
    out = done.stderr
    assert done.returncode != 0
    assert "- SUPERSET_PASSWORD_FINANCE is a demo password" in out, out[-2000:]
    assert "- SUPERSET_PASSWORD_ENGINEER is not set" in out, out[-2000:]
    assert "- SUPERSET_PASSWORD_MANAGER " not in out, "the manager has a real password"
