"""Who manages which team: the demo mapping covers the generated world, the CLI loads a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from payroll_fixtures import create_superset_accounts, serve_page

import warehouse
from bonus_export.settings import Settings
from source_simulator.profiles import PROFILES, REGIONS

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "bonus_export" / "team_managers.demo.csv"


def teams_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WAREHOUSE_URL": url}
    return subprocess.run([sys.executable, "-m", "bonus_export", "teams", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_every_team_of_the_demo_world_has_a_manager_with_a_demo_login() -> None:
    from bonus_export.duties import read_team_managers

    demo = PROFILES["demo"]
    # The simulator names its teams `<region>: выездная группа <k>` (source_simulator.generator.org).
    world = {f"{r.name}: выездная группа {k + 1}" for r in REGIONS[: demo.regions]
             for k in range(demo.teams_per_region)}
    mapping = read_team_managers(DEMO_FILE)
    assert {t for teams in mapping.values() for t in teams} == world
    users = {u["username"]: u["roles"] for u in
             yaml.safe_load((ROOT / "superset_assets" / "security.yaml").read_text(encoding="utf-8"))["users"]}
    assert all(users.get(name) == ["Manager"] for name in mapping), (mapping.keys(), users)
    assert users["head"] == ["Head"]
    assert Settings(warehouse_url="postgresql://x@h/db").team_managers_file == DEMO_FILE


def test_cli_loads_the_mapping_and_refuses_a_bad_file(fresh_db: str, tmp_path: Path) -> None:
    good = tmp_path / "teams.csv"
    good.write_text("username;team_name\nivanov;Север\nivanov;Юг\npetrova;Запад\n", encoding="utf-8")
    done = teams_cli(fresh_db, "--file", str(good))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ivanov: Север, Юг", "petrova: Запад"]
    with warehouse.connect(fresh_db) as conn:
        assert conn.execute("select username, team_name from payroll.team_managers order by 1, 2").fetchall() == [
            ("ivanov", "Север"), ("ivanov", "Юг"), ("petrova", "Запад")]
    bad = tmp_path / "bad.csv"
    bad.write_text("username;team_name\nivanov\n", encoding="utf-8")
    refused = teams_cli(fresh_db, "--file", str(bad))
    assert refused.returncode == 1 and "row 2: expected `username;team_name`" in refused.stderr
    with warehouse.connect(fresh_db) as conn:  # the earlier mapping stands
        assert conn.execute("select count(*) from payroll.team_managers").fetchone()[0] == 3
    # The page loads its configured file when it starts.
    other = tmp_path / "other.csv"
    other.write_text("username;team_name\nsidorov;Восток\n", encoding="utf-8")
    with serve_page(fresh_db, create_superset_accounts(tmp_path / "superset.db"), tmp_path,
                    TEAM_MANAGERS_FILE=str(other)), warehouse.connect(fresh_db) as conn:
        assert conn.execute("select username, team_name from payroll.team_managers").fetchall() == [
            ("sidorov", "Восток")]
