"""Helpers of the dbt tests: extract from the simulator, read tables, compute truth."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx

import warehouse
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.onec.settings import OnecSettings
from extractors.registry.settings import RegistrySettings
from extractors.run import ExtractConfig, extract
from extractors.schedule.settings import ScheduleSettings


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
    """Event counts computed straight from the simulator's ground truth (metrics.md rules)."""
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
