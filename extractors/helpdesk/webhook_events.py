"""raw_helpdesk.webhook_events: the help desk's webhook events as received, each stored once.

Okdesk has no method for an issue's status history; it POSTs an event to a webhook on every
change instead (extractors/helpdesk/webhooks.py receives them, docs/okdesk.md). Okdesk sends no
event id, so the key is derived: sha256 of the event type, the issue id, the issue's new status
code and the event's moment. A redelivery (a retry after a lost answer, or a duplicate) has the
same key and is ignored. The table is append-only: rows are never updated or deleted.

Kept apart from the receiver (no FastAPI here): the extractors create the table with the other
raw tables (extractors.common.raw.OwnTable), so dbt finds it even where no receiver runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from extractors.common.raw import OwnTable, payload_hash

TABLE = "raw_helpdesk.webhook_events"

DDL = """
create schema if not exists raw_helpdesk;
create table if not exists raw_helpdesk.webhook_events (
    event_key text primary key,
    event_type text not null,
    issue_id bigint,
    event_at timestamptz,
    received_at timestamptz not null default now(),
    payload jsonb not null
);
create index if not exists webhook_events_issue_ix on raw_helpdesk.webhook_events (issue_id);
create index if not exists webhook_events_received_ix on raw_helpdesk.webhook_events (received_at);
-- staging redoes every status change of a ticket with a new event (stg_helpdesk__status_changes)
do $$ begin
    if to_regclass('raw_helpdesk.status_history') is not null then
        create index if not exists status_history_issue_ix on raw_helpdesk.status_history (issue_id);
    end if;
end $$
"""

WEBHOOK_EVENTS = OwnTable(TABLE, DDL)

INSERT = (
    "insert into raw_helpdesk.webhook_events (event_key, event_type, issue_id, event_at, payload)"
    " values (%s, %s, %s, %s, %s::jsonb) on conflict (event_key) do nothing"
)


class BadEvent(ValueError):
    """A body that is not an event the receiver can key (the reason is the message)."""


@dataclass(frozen=True)
class Event:
    key: str
    event_type: str
    issue_id: int | None
    status_code: str | None
    event_at: datetime | None
    payload: dict[str, Any]

    def row(self) -> tuple[Any, ...]:
        return (self.key, self.event_type, self.issue_id, self.event_at,
                orjson.dumps(self.payload).decode())


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadEvent(f"unreadable time {text!r} (ISO 8601 with an offset expected)") from None
    if moment.tzinfo is None:
        raise BadEvent(f"time {text!r} has no offset")
    return moment.astimezone(UTC)


def event_key(event_type: str, issue_id: int | None, status_code: str | None, moment: datetime | None,
              payload: Any = None) -> str:
    """The event's identity: the same for every delivery of one event, whatever offset its
    moment is written with. An event without a moment is keyed by its whole body instead."""
    when = moment.astimezone(UTC).isoformat() if moment is not None else "body:" + payload_hash(payload)
    parts = [event_type, "" if issue_id is None else str(issue_id), status_code or "", when]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def parse_event(payload: Any) -> Event:
    """The event in an Okdesk webhook body: `event.event_type` (or a top-level `event_type`),
    `issue.id`, `issue.status.code`, and its moment: `event.created_at` if sent, else the
    issue's `updated_at` (which the change itself sets)."""
    if not isinstance(payload, dict):
        raise BadEvent("the body must be a JSON object")
    event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    event_type = event.get("event_type") or payload.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise BadEvent("no event type (event.event_type)")
    issue = payload.get("issue") if isinstance(payload.get("issue"), dict) else {}
    issue_id = issue.get("id")
    if issue_id is not None:
        try:
            issue_id = int(issue_id)
        except (TypeError, ValueError):
            raise BadEvent(f"issue.id is not a number: {issue_id!r}") from None
    status = issue.get("status") if isinstance(issue.get("status"), dict) else {}
    status_code = status.get("code") if isinstance(status.get("code"), str) else None
    if event_type == "new_ticket_status" and (issue_id is None or status_code is None):
        raise BadEvent("a status event needs issue.id and issue.status.code")
    moment = _moment(event.get("created_at")) or _moment(issue.get("updated_at"))
    return Event(event_key(event_type, issue_id, status_code, moment, payload), event_type, issue_id, status_code,
                 moment, payload)
