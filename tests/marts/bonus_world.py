"""Builders of small hand-checkable worlds for the bonus reference tests (demo coefficients)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from bonus_reference import Coefficient, PointsPrice, StatusChange, Ticket

MSK = timezone(timedelta(hours=3))
EPOCH = datetime(2020, 1, 1, tzinfo=MSK)

DEMO_COEFFICIENTS = {
    "points_rate_rub": "150",
    "complexity_1": "0.8",
    "complexity_2": "1.0",
    "complexity_3": "1.25",
    "complexity_4": "1.5",
    "complexity_5": "2.0",
    "sla_breach_factor": "0.5",
    "urgency_weight_max": "0.5",
    "escalation_bonus": "0.25",
    "repeat_window_days": "30",
    "repeat_penalty_share": "0.5",
    "hourly_work_share": "0.10",
    "kpi_sla_high_threshold": "0.95",
    "kpi_sla_high_multiplier": "1.10",
    "kpi_sla_low_threshold": "0.85",
    "kpi_sla_low_multiplier": "0.90",
}


def at(text: str) -> datetime:
    """'2026-03-02 10:00' in Moscow time."""
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def coefficients(**overrides: str) -> list[Coefficient]:
    values = {**DEMO_COEFFICIENTS, **overrides}
    return [Coefficient(code, EPOCH, Decimal(v)) for code, v in values.items()]


def prices(**points: str) -> list[PointsPrice]:
    return [PointsPrice(wt, EPOCH, Decimal(p)) for wt, p in points.items()]


_hid = iter(range(1000, 10**6))


def ticket(
    ticket_id: int,
    created: str,
    *,
    taken: str | None = None,
    completed: str | None = None,
    deadline: str | None = None,
    work_type: str = "diagnostics",
    complexity: int | None = 2,
    escalated: bool = False,
    engineer: str | None = "E001",
    site: str | None = "S1",
    equipment: tuple[str, ...] = (),
    extra: tuple[tuple[str, str], ...] = (),
) -> Ticket:
    """A ticket with a status history opened -> (in_progress) -> (completed) -> extra..."""
    hist = [StatusChange(next(_hid), at(created), "opened")]
    if taken:
        hist.append(StatusChange(next(_hid), at(taken), "in_progress"))
    if completed:
        hist.append(StatusChange(next(_hid), at(completed), "completed"))
    hist += [StatusChange(next(_hid), at(when), status) for when, status in extra]
    return Ticket(
        ticket_id=ticket_id,
        created_at=at(created),
        personnel_no=engineer,
        work_type=work_type,
        history=tuple(hist),
        deadline_at=at(deadline) if deadline else None,
        complexity=complexity,
        is_escalated=escalated,
        site_code=site,
        equipment=frozenset(equipment),
    )
