"""Shift and duty schedule service (docs/rules.md "Schedule service") under ``/schedule/api/v1``."""

from __future__ import annotations

import base64
import binascii
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from icalendar import Calendar, Event

from source_simulator.store import as_of_clause

from .common import add_duplicate, add_future_dated, add_malformed, clock_for_page, int_param
from .context import SimContext, ctx
from .errors import ScheduleError, SourceError, json_response
from .faults import MalformedSpec, set_field, uuid_key
from .timefmt import parse_iso_filter, parse_utc, to_store

router = APIRouter(prefix="/schedule/api/v1")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 500
AS_OF = as_of_clause()
MALFORMED = MalformedSpec("id", uuid_key, {
    "bad_timestamp": set_field(("planned_start",), "31.02.2026 25:61"),
    "unknown_shift_type": set_field(("shift_type",), "sim_unknown_shift"),
})
SHIFT_NAMES = {"day": "Дневная смена", "night": "Ночная смена", "duty_day": "Дежурство (день)",
               "duty_night": "Дежурство (ночь)", "duty_weekend": "Дежурство (выходные)"}


def _err(status: int, message: str, field: str | None = None) -> SourceError:
    return ScheduleError(status, message, code="invalid_parameter")


def _auth(request: Request, *, allow_query: bool = False) -> SimContext:
    c = ctx(request)
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    if token is None and allow_query:
        token = request.query_params.get("token")
    if not token:
        raise ScheduleError(401, "send Authorization: Bearer <token>", code="unauthorized",
                            headers={"WWW-Authenticate": 'Bearer realm="schedule"'})
    if token != c.settings.schedule_token:
        raise ScheduleError(401, "the bearer token is not valid", code="unauthorized",
                            headers={"WWW-Authenticate": 'Bearer realm="schedule", error="invalid_token"'})
    return c


def shift(row: sqlite3.Row) -> dict[str, Any]:
    return {"id": row["id"], "personnel_no": row["personnel_no"], "email": row["email"],
            "shift_type": row["shift_type"], "planned_start": row["planned_start"],
            "planned_end": row["planned_end"], "actual_start": row["actual_start"],
            "actual_end": row["actual_end"], "status": row["status"],
            "updated_at": row["updated_at"], "deleted": bool(row["deleted"])}


def _encode_cursor(row: sqlite3.Row) -> str:
    raw = orjson.dumps({"u": row["updated_at"], "i": row["id"]})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[str, str]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return str(data["u"]), str(data["i"])
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise ScheduleError(400, f"cursor {text!r} was not issued by this service",
                            code="invalid_cursor") from None


@router.get("/shifts")
def shifts(request: Request) -> Response:
    """Keyset paging on (updated_at, id); the cursor is opaque to clients."""
    c = _auth(request)
    limit = int_param(request, "limit", DEFAULT_LIMIT, _err, minimum=1) or DEFAULT_LIMIT
    limit = min(limit, MAX_LIMIT)
    raw_since = request.query_params.get("updated_since")
    since = None
    if raw_since:
        try:
            since = parse_iso_filter(raw_since, c.tz)
        except ValueError:
            raise ScheduleError(400, f"updated_since must be ISO 8601, got {raw_since!r}",
                                code="invalid_parameter") from None
    cursor_text = request.query_params.get("cursor")
    cursor = _decode_cursor(cursor_text) if cursor_text else None
    now = clock_for_page(c, request, continuation=cursor is not None)
    params: dict[str, Any] = {"now": now, "since": since, "limit": limit + 1}
    filters = [AS_OF]
    if since:
        filters.append("updated_at >= :since")
    page_filters = list(filters)
    if cursor:
        params["cu"], params["ci"] = cursor
        page_filters.append("(updated_at > :cu or (updated_at = :cu and id > :ci))")
    rows = c.world.query(f"select * from sch_shifts where {' and '.join(page_filters)} "
                         "order by updated_at, id limit :limit", params)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [shift(r) for r in rows]

    def previous() -> dict[str, Any] | None:
        if not cursor:
            return None
        prev = c.world.query(f"select * from sch_shifts where id = :ci and updated_at = :cu and {AS_OF}", params)
        return shift(prev[0]) if prev else None

    items = add_duplicate(c, request, items, previous)
    items = add_malformed(c, request, "schedule", "shifts", MALFORMED, items)
    items = add_future_dated(c, request, "schedule", "shifts", items)
    return json_response({"items": items, "next_cursor": _encode_cursor(rows[-1]) if more else None})


def _date_param(request: Request, name: str, default: date) -> date:
    raw = request.query_params.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise ScheduleError(400, f"{name} must be a date YYYY-MM-DD, got {raw!r}",
                            code="invalid_parameter") from None


@router.get("/calendar.ics")
def calendar(request: Request) -> Response:
    """The shifts of one person as iCalendar (the token may also be passed as ``?token=``,
    since calendar apps cannot send headers)."""
    c = _auth(request, allow_query=True)
    personnel_no = request.query_params.get("personnel_no")
    if not personnel_no:
        raise ScheduleError(400, "personnel_no is required", code="invalid_parameter")
    now = c.clock.get()
    today = parse_utc(now).astimezone(c.tz).date()
    start = _date_param(request, "from", today - timedelta(days=30))
    end = _date_param(request, "to", today + timedelta(days=30))
    lo = to_store(datetime.combine(start, datetime.min.time(), c.tz))
    hi = to_store(datetime.combine(end + timedelta(days=1), datetime.min.time(), c.tz))
    rows = c.world.query(
        f"select * from sch_shifts where personnel_no = :p and planned_start >= :lo and planned_start < :hi "
        f"and deleted = 0 and {AS_OF} order by planned_start, id",
        {"p": personnel_no, "lo": lo, "hi": hi, "now": now})
    cal = Calendar()
    cal.add("prodid", "-//one-screen//schedule simulator//RU")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Смены {personnel_no}")
    for r in rows:
        ev = Event()
        ev.add("uid", f"{r['id']}@schedule")
        ev.add("summary", SHIFT_NAMES.get(r["shift_type"], r["shift_type"]))
        ev.add("dtstart", parse_utc(r["planned_start"]))
        ev.add("dtend", parse_utc(r["planned_end"]))
        ev.add("dtstamp", parse_utc(r["updated_at"]).astimezone(UTC))
        ev.add("status", "CANCELLED" if r["status"] == "cancelled" else "CONFIRMED")
        ev.add("categories", [r["shift_type"]])
        ev.add("x-shift-status", r["status"])
        cal.add_component(ev)
    return Response(cal.to_ical(), media_type="text/calendar; charset=utf-8")


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def schedule_unknown(rest: str, request: Request) -> Response:
    _auth(request)
    raise ScheduleError(404, f"no such endpoint: /api/v1/{rest}", code="not_found")
