"""Input records of the reference computation: what the sources say, nothing derived.

Timestamps are timezone-aware `datetime`s; money, hours and coefficients are `Decimal`.
Effective-dated registers are lists of rows with `valid_from` (1C's `Period`); the value
in force at a moment is the row with the greatest `valid_from <= moment`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class StatusChange:
    history_id: int
    changed_at: datetime
    status: str


@dataclass(frozen=True)
class Ticket:
    ticket_id: int
    created_at: datetime
    personnel_no: str | None
    work_type: str | None
    history: tuple[StatusChange, ...] = ()
    deadline_at: datetime | None = None
    complexity: int | None = None
    is_escalated: bool = False
    site_code: str | None = None
    equipment: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TimeEntry:
    time_entry_id: int
    ticket_id: int
    personnel_no: str | None
    logged_at: datetime
    hours: Decimal
    activity: str
    work_type: str | None  # the ticket's work type


@dataclass(frozen=True)
class Shift:
    shift_id: str
    personnel_no: str | None
    shift_type: str
    status: str
    planned_start: datetime
    actual_start: datetime | None = None
    deleted: bool = False


@dataclass(frozen=True)
class Coefficient:
    code: str
    valid_from: datetime
    value: Decimal


@dataclass(frozen=True)
class PointsPrice:
    work_type: str
    valid_from: datetime
    points: Decimal


@dataclass(frozen=True)
class DutyTariff:
    shift_type: str
    valid_from: datetime
    rate: Decimal


@dataclass(frozen=True)
class ServiceTariff:
    work_type: str
    valid_from: datetime
    client_rate: Decimal
    engineer_cost: Decimal = Decimal("0")


def event_id(event_type: str, source_system: str, source_id: object) -> str:
    """The warehouse's fct_events.event_id: md5 of `event_type|source_system|source_id`."""
    return hashlib.md5(f"{event_type}|{source_system}|{source_id}".encode()).hexdigest()


def _completed(t: Ticket, c: StatusChange) -> str:
    return event_id("ticket_completed", "helpdesk", c.history_id)


def _created(t: Ticket) -> str:
    return event_id("ticket_created", "helpdesk", t.ticket_id)


def _reopened(t: Ticket, c: StatusChange) -> str:
    return event_id("ticket_reopened", "helpdesk", c.history_id)


def _logged(e: TimeEntry) -> str:
    return event_id("work_logged", "helpdesk", e.time_entry_id)


def _shift(s: Shift) -> str:
    return event_id("shift_worked", "schedule", s.shift_id)


@dataclass(frozen=True)
class EventIds:
    """How the warehouse names the events behind the lines (fct_events.event_id)."""

    ticket_completed: Callable[[Ticket, StatusChange], str] = _completed
    ticket_created: Callable[[Ticket], str] = _created
    ticket_reopened: Callable[[Ticket, StatusChange], str] = _reopened
    work_logged: Callable[[TimeEntry], str] = _logged
    shift_worked: Callable[[Shift], str] = _shift


@dataclass(frozen=True)
class World:
    tickets: list[Ticket]
    coefficients: list[Coefficient]
    points: list[PointsPrice] = field(default_factory=list)
    time_entries: list[TimeEntry] = field(default_factory=list)
    shifts: list[Shift] = field(default_factory=list)
    duty_tariffs: list[DutyTariff] = field(default_factory=list)
    service_tariffs: list[ServiceTariff] = field(default_factory=list)
    company_tz: str = "Europe/Moscow"
    event_ids: EventIds = field(default_factory=EventIds)
