"""dbt test fixtures: a dbt runner bound to a throw-away database, and the tiny world.

dbt runs as a subprocess of the venv's `dbt` with the WAREHOUSE_* variables of
`warehouse.dbt_env(db)` and a target/log directory of its own (so parallel runs and the
developers' own `dbt_project/target` never collide).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dbt_helpers import Dbt


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

    from tools.simulator_server import running_server

    world = tmp_path_factory.mktemp("dbt_world") / "world.sqlite"
    shutil.copy(dbt_tiny_world, world)
    with running_server(world) as base:
        yield base
