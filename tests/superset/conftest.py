"""One real Superset for the whole test session of this area.

Superset starts slowly (about a minute on two cores), so the session shares one server: its
own metadata SQLite under a temporary SUPERSET_HOME, a free port, and a warehouse database of
its own holding the contract-shaped tables of tests/superset/fixtures/contract_marts.sql.
The bundle is imported once with the real loader (roles, users and RLS included).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from superset_env import ADMIN_PASSWORD, APPROVALS_URL, DEMO_PASSWORD, load_fixture

from superset_assets import BUNDLE_DIR, SECURITY_FILE
from superset_assets.client import SupersetClient
from superset_assets.loader import load
from warehouse.testing import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "infra" / "superset" / "run.sh"
SUPERSET_VENV = Path(os.environ.get("SUPERSET_VENV", ROOT / ".local" / "superset-venv"))
ARTIFACTS = ROOT / "test-artifacts" / "superset"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def superset_warehouse(warehouse_server_url: str) -> Iterator[str]:
    """A warehouse database with the contract-shaped marts, forecasts and payroll tables."""
    url = create_database(warehouse_server_url, prefix="t_superset")
    load_fixture(url)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def superset_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (SUPERSET_VENV / "bin" / "superset").exists():
        pytest.fail(f"Superset is not installed at {SUPERSET_VENV}: run `make superset-venv`")
    home = tmp_path_factory.mktemp("superset_home")
    env = {
        **os.environ,
        "SUPERSET_HOME": str(home),
        "SUPERSET_SECRET_KEY": "tests-only-secret-key-" + os.urandom(8).hex(),
        "SUPERSET_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "APPROVALS_URL": APPROVALS_URL,
        "SUPERSET_VENV": str(SUPERSET_VENV),
    }
    env.pop("SUPERSET_DATABASE_URI", None)
    init = subprocess.run([str(RUN), "init"], env=env, capture_output=True, text=True)
    if init.returncode != 0:
        pytest.fail(f"`run.sh init` failed:\n{init.stdout[-3000:]}\n{init.stderr[-3000:]}")
    port = free_port()
    log = (home / "server.log").open("w")
    proc = subprocess.Popen([str(RUN), "serve", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"Superset exited with {proc.returncode}: {(home / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Superset did not answer at {url} in 240 s; log: {home / 'server.log'}")
            time.sleep(1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def admin(superset_url: str) -> SupersetClient:
    return SupersetClient(superset_url, "admin", ADMIN_PASSWORD)


@pytest.fixture(scope="session")
def loaded(admin: SupersetClient, superset_warehouse: str) -> dict[str, str]:
    """The bundle imported with the real loader; {username: personnel_no} of engineer users."""
    return load(admin, BUNDLE_DIR, SECURITY_FILE, wh_url=superset_warehouse, demo_password=DEMO_PASSWORD)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
