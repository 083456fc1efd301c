"""Simulator fixtures, reusable by every area's tests.

- ``tiny_world``: Path of ``world.sqlite`` of the tiny profile (seed 42, default end
  2026-11-01), generated once per test session into a temporary directory.
- ``tiny_truth``: directory with the truth CSVs of ``tiny_world`` at its default clock.
- ``tiny_conn``: a read-only sqlite3 connection to ``tiny_world`` (rows as ``sqlite3.Row``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from source_simulator import store
from source_simulator.generator import generate
from source_simulator.truth import write_truth


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim_tiny")
    return generate("tiny", out=out).path


@pytest.fixture(scope="session")
def tiny_truth(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim_tiny_truth")
    write_truth(tiny_world, out)
    return out


@pytest.fixture
def tiny_conn(tiny_world: Path):
    conn = store.connect(tiny_world, readonly=True)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def demo_short_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo profile's shape (3 regions, ~40 engineers, ~2,000 tickets a month) over 2 months."""
    out = tmp_path_factory.mktemp("sim_demo_short")
    return generate("demo", out=out, months=2).path
