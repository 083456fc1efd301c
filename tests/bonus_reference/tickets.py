"""Facts derived from a ticket's status history (docs/rules.md, "Time and periods")."""

from __future__ import annotations

from datetime import datetime

from bonus_reference.inputs import StatusChange, Ticket

REOPEN_FROM = frozenset({"completed", "closed"})
REOPEN_TO = frozenset({"opened", "in_progress", "delayed"})


def ordered(ticket: Ticket) -> list[StatusChange]:
    return sorted(ticket.history, key=lambda c: (c.changed_at, c.history_id))


def completion(ticket: Ticket) -> StatusChange | None:
    """The first transition to `completed` (a later reopen does not move it)."""
    return next((c for c in ordered(ticket) if c.status == "completed"), None)


def taken_at(ticket: Ticket) -> datetime | None:
    """The first transition to `in_progress`."""
    return next((c.changed_at for c in ordered(ticket) if c.status == "in_progress"), None)


def reopens(ticket: Ticket) -> list[StatusChange]:
    """Transitions from completed/closed to opened/in_progress/delayed, in time order."""
    out: list[StatusChange] = []
    prev: str | None = None
    for c in ordered(ticket):
        if prev in REOPEN_FROM and c.status in REOPEN_TO:
            out.append(c)
        prev = c.status
    return out
