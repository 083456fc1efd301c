"""dbt test fixtures: a dbt runner bound to a throw-away database, and the tiny world.

dbt runs as a subprocess of the venv's `dbt` with the WAREHOUSE_* variables of
`warehouse.dbt_env(db)` and a target/log directory of its own (so parallel runs and the
developers' own `dbt_project/target` never collide).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import warehouse

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
# the models this area owns (the marts engineer's KPI/bonus/contract models have their own tests)
CORE_SELECTION = (
    "path:models/staging",
    "path:models/intermediate/core",
    "path:models/marts/core",
    "path:models/marts/dq",
)
# `dbt build` of those models and their data tests (tests reaching into other areas'
# models are left out; unit tests run in test_dbt_unit.py: incremental ones need the
# model's table to exist first, which is also why production builds exclude them)
BUILD_CORE = ("build", "--select", *CORE_SELECTION, "--indirect-selection", "cautious",
              "--exclude-resource-type", "unit_test")


@dataclass
class Dbt:
    """`dbt <args>` against one database; fails the test with dbt's output on error."""

    db_url: str
    target: Path

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **warehouse.dbt_env(self.db_url),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DBT_TARGET_PATH": str(self.target),
            "DBT_LOG_PATH": str(self.target / "logs"),
            "DBT_THREADS": "2",
        }

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        if not DBT.exists():
            pytest.fail(f"dbt is missing: {DBT} does not exist (run `make setup` to sync the venv)")
        cmd = [str(DBT), *args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT)]
        done = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            pytest.fail(f"`dbt {' '.join(args)}` failed ({done.returncode}):\n{done.stdout[-8000:]}\n{done.stderr[-2000:]}")
        return done


@pytest.fixture(scope="module")
def dbt(module_db: str, tmp_path_factory: pytest.TempPathFactory) -> Dbt:
    return Dbt(module_db, tmp_path_factory.mktemp("dbt_target"))


@pytest.fixture(scope="session")
def dbt_tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny simulator world (seed 42), generated once for the dbt tests."""
    from source_simulator.generator import generate

    return generate("tiny", out=tmp_path_factory.mktemp("dbt_tiny")).path


@pytest.fixture(scope="module")
def sim_base(dbt_tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A simulator server over a private copy of the tiny world (its clock is ours)."""
    import shutil

    from source_simulator.servers.testing import running_server

    world = tmp_path_factory.mktemp("dbt_world") / "world.sqlite"
    shutil.copy(dbt_tiny_world, world)
    with running_server(world) as base:
        yield base
