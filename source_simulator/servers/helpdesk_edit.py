"""Control endpoints that change the help desk's time entries at the clock (not part of any
source): a test adds an entry to an issue without moving the issue's ``updated_at``, or deletes
one, as an engineer does in Okdesk, whether or not logging time moves the issue there.

The change is written into the world store itself, as a version starting at the clock, so the
sources and the ground truth (``source_simulator.truth``) agree on it from then on; the world
file must be writable (the tests serve a copy)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from . import helpdesk_payloads as P
from .context import SimContext, ctx
from .errors import json_response
from .timefmt import parse_utc, to_store

router = APIRouter(prefix="/_sim/helpdesk")
AS_OF = P.AS_OF


class NewTimeEntry(BaseModel):
    spent_time: str = Field("1.00", description="hours, e.g. \"1.50\"")
    logged_at: str | None = Field(None, description="ISO 8601 with an offset; default: the clock")
    employee_id: int | None = Field(None, description="default: the issue's assignee")
    activity: str = "onsite"
    comment: str | None = None


def _problem(status: int, message: Any) -> Response:
    return json_response({"error": message}, status)


def _writable(c: SimContext) -> sqlite3.Connection:
    conn = sqlite3.connect(c.world.path, timeout=10)
    conn.row_factory = sqlite3.Row
    return conn


@router.post("/issues/{issue_id}/time_entries")
async def add_time_entry(issue_id: int, request: Request) -> Response:
    """A new entry on the issue from the clock on; the issue itself is not touched."""
    c = ctx(request)
    try:
        entry = NewTimeEntry.model_validate_json(await request.body() or b"{}")
        hours = Decimal(entry.spent_time)
        logged_at = to_store(parse_utc(entry.logged_at)) if entry.logged_at else None
    except ValidationError as exc:
        return _problem(422, exc.errors(include_url=False, include_context=False))
    except (InvalidOperation, ValueError) as exc:
        return _problem(422, f"spent_time is a number of hours, logged_at ISO 8601 with an offset: {exc}")
    if hours <= 0:
        return _problem(422, "spent_time must be positive")
    now = c.clock.get()
    with closing(_writable(c)) as conn, conn:
        issue = conn.execute(f"select assignee_id from hd_issues where id = :id and {AS_OF}",
                             {"id": issue_id, "now": now}).fetchone()
        if issue is None:
            return _problem(404, f"issue {issue_id} does not exist at {now}")
        employee = entry.employee_id if entry.employee_id is not None else issue["assignee_id"]
        if employee is None:
            return _problem(422, f"issue {issue_id} has no assignee: send employee_id")
        entry_id = conn.execute("select coalesce(max(id), 0) + 1 from hd_time_entries").fetchone()[0]
        conn.execute(
            "insert into hd_time_entries (id, valid_from, valid_to, issue_id, spent_time, logged_at, updated_at,"
            " employee_id, comment, activity) values (?, ?, null, ?, ?, ?, ?, ?, ?, ?)",
            (entry_id, now, issue_id, f"{hours:.2f}", logged_at or now, now, employee, entry.comment,
             entry.activity))
    return json_response({"id": entry_id, "issue_id": issue_id, "spent_time": f"{hours:.2f}",
                          "logged_at": logged_at or now, "employee_id": employee, "created_at": now}, 201)


@router.delete("/time_entries/{entry_id}")
def delete_time_entry(entry_id: int, request: Request) -> Response:
    """The entry ends at the clock: its current version is closed there and any later version
    of it (an edit the world has planned) is dropped; the issue itself is not touched."""
    c = ctx(request)
    now = c.clock.get()
    with closing(_writable(c)) as conn, conn:
        row = conn.execute(f"select row_id, issue_id from hd_time_entries where id = :id and {AS_OF}",
                           {"id": entry_id, "now": now}).fetchone()
        if row is None:
            return _problem(404, f"time entry {entry_id} does not exist at {now}")
        conn.execute("update hd_time_entries set valid_to = ? where row_id = ?", (now, row["row_id"]))
        conn.execute("delete from hd_time_entries where id = ? and valid_from > ?", (entry_id, now))
    return json_response({"id": entry_id, "issue_id": row["issue_id"], "deleted_at": now})
