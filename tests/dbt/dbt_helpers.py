"""Helpers of the dbt tests (a module name of its own: every test folder has a `conftest`):
the dbt runner, the selection of this area, extraction from the simulator, truth."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import warehouse
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.onec.settings import OnecSettings
from extractors.registry.settings import RegistrySettings
from extractors.run import ExtractConfig, extract
from extractors.schedule.settings import ScheduleSettings

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



def extract_all(db_url: str, base: str) -> None:
    """Run the real extractors against the simulator at `base`; fail loudly on any error."""
    cfg = ExtractConfig(
        db_url=db_url,
        helpdesk=HelpdeskSettings(url=f"{base}/helpdesk"),
        schedule=ScheduleSettings(url=f"{base}/schedule"),
        onec=OnecSettings(url=f"{base}/onec"),
        registry=RegistrySettings(path=f"{base}/registry.xlsx"),
    )
    results = extract(cfg=cfg)
    failed = [r for r in results if isinstance(r, BaseException) or getattr(r, "status", "") != "success"]
    assert not failed, f"extraction failed: {failed}"


def clock(base: str) -> str:
    return httpx.get(f"{base}/_sim/clock").json()["now"]


def advance_days(base: str, days: float) -> str:
    httpx.post(f"{base}/_sim/clock", json={"advance_days": days}).raise_for_status()
    return clock(base)


def rows(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.connect(db_url) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def scalar(db_url: str, sql: str) -> Any:
    return rows(db_url, sql)[0][0]


def expected_event_counts(truth: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Event counts computed straight from the simulator's ground truth (docs/rules.md rules)."""
    history: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
    for h in truth["hd_status_history"]:
        history[int(h["issue_id"])].append((h["changed_at"], int(h["id"]), h["status_code"]))
    issues = {int(i["id"]) for i in truth["hd_issues"]}
    reopens = taken = completed = 0
    for issue_id, changes in history.items():
        if issue_id not in issues:
            continue
        statuses = [s for _, _, s in sorted(changes)]
        taken += "in_progress" in statuses
        completed += "completed" in statuses
        reopens += sum(
            1 for prev, cur in zip(statuses, statuses[1:], strict=False)
            if prev in ("completed", "closed") and cur in ("opened", "in_progress", "delayed")
        )
    shifts = truth["sch_shifts"]
    return {
        "ticket_created": len(truth["hd_issues"]),
        "ticket_taken": taken,
        "ticket_status_changed": sum(1 for h in truth["hd_status_history"] if int(h["issue_id"]) in issues),
        "ticket_completed": completed,
        "ticket_reopened": reopens,
        "work_logged": len(truth["hd_time_entries"]),
        "shift_worked": sum(1 for s in shifts if s["actual_start"] and s["actual_end"] and not int(s["deleted"])),
        "invoice_posted": sum(1 for s in truth["onec_sales"] if int(s["posted"]) and not int(s["deletion_mark"])),
    }
