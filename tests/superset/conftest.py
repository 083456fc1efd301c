"""One real Superset for the whole test session of this area.

Superset starts slowly (about a minute on two cores), so the session shares one server: its
own metadata SQLite under a temporary SUPERSET_HOME, a free port, and a warehouse database of
its own holding the contract-shaped tables of tests/superset/fixtures/contract_marts.sql and
the dbt views of models/marts/bi over them.
The bundle is imported once with the real loader (roles, users and RLS included).
"""

from __future__ import annotations

import hashlib
import os
import shutil
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
from tools.testdb import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "infra" / "superset" / "run.sh"
SUPERSET_VENV = Path(os.environ.get("SUPERSET_VENV", ROOT / ".local" / "superset-venv"))
ARTIFACTS = ROOT / "test-artifacts" / "superset"
TEMPLATE_CACHE = ROOT / ".local" / "superset-test-cache"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def template_key() -> str:
    """Superset's version and this configuration: what an initialised metadata file depends on."""
    dist = sorted(p.name for p in SUPERSET_VENV.glob("lib/python*/site-packages/apache_superset-*.dist-info"))
    digest = hashlib.sha256("|".join(dist).encode())
    for path in (RUN, RUN.parent / "superset_config.py"):
        digest.update(path.read_bytes())
    digest.update(ADMIN_PASSWORD.encode())
    return digest.hexdigest()[:16]


def initialise(home: Path, env: dict[str, str]) -> None:
    """`run.sh init` (db upgrade, init, admin) into `home`, or a copy of the metadata file a
    previous run initialised with the same Superset and configuration (.local/superset-test-cache;
    SUPERSET_TEST_NO_CACHE=1 always runs init). init is about a minute of CPU."""
    cached = TEMPLATE_CACHE / template_key() / "superset.db"
    if cached.exists() and not os.environ.get("SUPERSET_TEST_NO_CACHE"):
        shutil.copyfile(cached, home / "superset.db")
        return
    init = subprocess.run([str(RUN), "init"], env=env, capture_output=True, text=True)
    if init.returncode != 0:
        pytest.fail(f"`run.sh init` failed:\n{init.stdout[-3000:]}\n{init.stderr[-3000:]}")
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(home / "superset.db", partial)
    partial.replace(cached)


@pytest.fixture(scope="session")
def superset_warehouse(warehouse_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A warehouse database with the contract-shaped marts, forecasts and payroll tables and
    the dbt views over them that the datasets read."""
    url = create_database(warehouse_server_url, prefix="t_superset")
    load_fixture(url, tmp_path_factory.mktemp("dbt_target"))
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
        "SUPERSET_SECRET_KEY": "tests-only-secret-key",
        "SUPERSET_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "APPROVALS_URL": APPROVALS_URL,
        "SUPERSET_VENV": str(SUPERSET_VENV),
    }
    env.pop("SUPERSET_DATABASE_URI", None)
    initialise(home, env)
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
