"""`python -m bonus_export migrate | export` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from payroll_fixtures import Line, add_engineer, create_marts, set_bonus

import warehouse
from bonus_export import approvals

ROOT = Path(__file__).resolve().parents[2]


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WAREHOUSE_URL": url}
    return subprocess.run([sys.executable, "-m", "bonus_export", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_migrate_then_export_twice(fresh_db: str, tmp_path: Path) -> None:
    migrated = cli(fresh_db, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    from alembic.script import ScriptDirectory

    from bonus_export.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"payroll schema at revision {head}" in migrated.stdout
    with warehouse.connect(fresh_db) as conn:
        assert conn.execute("select version_num from payroll.alembic_version").fetchall() == [(head,)]

    create_marts(fresh_db)
    add_engineer(fresh_db, "E9", "Смирнов Илья")
    h = set_bonus(fresh_db, "E9", "2026-06", [Line("duty_shift", "shift:z", "1999.995")])
    with warehouse.connect(fresh_db, autocommit=True) as conn:
        approvals.decide(conn, period_start=date(2026, 6, 1), personnel_no="E9", decision="approved",
                         seen_calc_hash=h, decided_by="manager")

    out = tmp_path / "payroll"
    first = cli(fresh_db, "export", "--period", "2026-06", "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert "1 rows, total 2000.00 RUB" in first.stdout
    [csv_file] = out.glob("approved_bonuses_2026-06_*.csv")
    text = csv_file.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0] == ("personnel_no;full_name;period;kind;amount_rub;corrects_batch;approved_by;"
                                    "approved_at;calc_hash")
    assert text.splitlines()[1].startswith("E9;Смирнов Илья;2026-06;bonus;2000.00;;manager;")

    second = cli(fresh_db, "export", "--out", str(out))
    assert second.returncode == 0, second.stderr
    assert "nothing new to export" in second.stdout
    assert len(list(out.iterdir())) == 2  # the CSV and its manifest


def test_bad_period_is_explained() -> None:
    from typer.testing import CliRunner

    from bonus_export.cli import app

    r = CliRunner().invoke(app, ["export", "--period", "06.2026"])
    assert r.exit_code == 2
    assert "YYYY-MM" in r.output and "06.2026" in r.output


def test_export_with_an_edited_approval_exports_the_rest_and_fails(fresh_db: str, tmp_path: Path) -> None:
    assert cli(fresh_db, "migrate").returncode == 0
    create_marts(fresh_db)
    with warehouse.connect(fresh_db, autocommit=True) as conn:
        for no, amount in (("E1", "100.00"), ("E2", "200.00")):
            add_engineer(fresh_db, no, f"Сотрудник {no}")
            h = set_bonus(fresh_db, no, "2026-06", [Line("duty_shift", f"shift:{no}", amount)])
            approvals.decide(conn, period_start=date(2026, 6, 1), personnel_no=no, decision="approved",
                             seen_calc_hash=h, decided_by="manager")
        conn.execute("update payroll.bonus_approvals set decided_by = 'someone' where personnel_no = 'E2'")
    out = tmp_path / "payroll"
    run = cli(fresh_db, "export", "--out", str(out))
    assert run.returncode == 1
    assert "1 rows, total 100.00 RUB" in run.stdout
    assert "refused: personnel_no E2, 2026-06" in run.stdout and "decided_by someone vs log manager" in run.stdout
    assert "1 decision(s) refused" in run.stderr
