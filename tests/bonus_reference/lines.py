"""Output records: bonus lines and per-engineer, per-period summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

LINE_KINDS = (
    "ticket_points",
    "repeat_penalty",
    "duty_shift",
    "hourly_work_share",
    "kpi_multiplier",
    "floor_adjustment",
)


@dataclass(frozen=True)
class BonusLine:
    personnel_no: str
    period_start: date
    line_kind: str
    source_event_id: str
    amount_rub: Decimal
    ticket_id: int | None = None
    points: Decimal | None = None
    coefficients: dict[str, Decimal] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class BonusSummary:
    personnel_no: str
    period_start: date
    total_rub: Decimal
    line_counts: dict[str, int]
    calc_hash: str
