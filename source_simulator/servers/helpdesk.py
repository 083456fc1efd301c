"""Help desk: the Okdesk API v1 subset of docs/rules.md "Help desk" under ``/helpdesk/api/v1``.

Two dialects (SIM_HELPDESK_DIALECT): ``relay`` adds our extension feeds and clamps oversize
pages; ``okdesk`` serves only what Okdesk documents and answers its errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from . import helpdesk_payloads as P
from .common import add_duplicate, add_malformed, clock_for_page, int_param
from .context import SimContext, ctx
from .errors import HelpdeskError, SourceError, json_response
from .timefmt import parse_helpdesk_filter, zone

router = APIRouter(prefix="/helpdesk/api/v1")
ISSUES_MAX_PAGE = 50
LIST_MAX_PAGE = 100
# Okdesk refuses a page over 100 rows on every list with a validation error (the relay dialect
# clamps instead: ISSUES_MAX_PAGE on the issues list, LIST_MAX_PAGE on the id lists)
OKDESK_MAX_PAGE = 100
OKDESK_PAGE_ERROR = "должно быть меньше или равно 100"
AS_OF = P.AS_OF


def _err(status: int, message: str, field: str | None = None) -> SourceError:
    return HelpdeskError(status, message, field=field)


def _auth(request: Request) -> SimContext:
    c = ctx(request)
    token = request.query_params.get("api_token")
    if not token:
        raise HelpdeskError(401, "api_token is missing: pass it as the api_token query parameter")
    if token != c.settings.helpdesk_api_token:
        raise HelpdeskError(401, "api_token is invalid")
    return c


def _okdesk(c: SimContext) -> bool:
    return c.settings.sim_helpdesk_dialect == "okdesk"


def _zone(c: SimContext) -> ZoneInfo:
    """The zone the help desk reads filter dates (``DD-MM-YYYY HH:MM``, no offset) and shows
    times in: an Okdesk account's own zone (SIM_HELPDESK_ACCOUNT_TZ), which need not be the
    company's; our relay speaks the company zone."""
    if _okdesk(c) and c.settings.sim_helpdesk_account_tz:
        return zone(c.settings.sim_helpdesk_account_tz)
    return c.tz


def _page_size(request: Request, c: SimContext, relay_cap: int) -> int:
    if _okdesk(c):
        size = int_param(request, "page[size]", min(relay_cap, OKDESK_MAX_PAGE), _err, minimum=1) or 1
        if size > OKDESK_MAX_PAGE:
            raise _err(400, OKDESK_PAGE_ERROR, "page[size]")
        return size
    return min(int_param(request, "page[size]", relay_cap, _err, minimum=1) or 1, relay_cap)


def _extension(request: Request, c: SimContext) -> None:
    """Our extension feeds do not exist in Okdesk: its answer for an unknown method."""
    if _okdesk(c):
        raise HelpdeskError(404, f"no such endpoint: {request.url.path.removeprefix('/helpdesk')}")


def _since(request: Request, c: SimContext) -> str | None:
    raw = request.query_params.get("updated_since")
    if not raw:
        return None
    try:
        return parse_helpdesk_filter(raw, _zone(c))
    except ValueError:
        raise _err(400, f"expected DD-MM-YYYY HH:MM, got {raw!r}", "updated_since") from None


def _direction(request: Request, name: str) -> bool:
    """True for forward."""
    value = request.query_params.get(name, "forward")
    if value not in ("forward", "reverse"):
        raise _err(400, f"expected forward or reverse, got {value!r}", name)
    return value == "forward"


# ------------------------------------------------------------------ issues
@router.get("/issues/list")
def issues_list(request: Request) -> Response:
    c = _auth(request)
    number = int_param(request, "page[number]", 1, _err, minimum=1) or 1
    size = _page_size(request, c, ISSUES_MAX_PAGE)
    field = request.query_params.get("sorting[field]", "updated_at")
    if field != "updated_at":
        raise _err(400, f"only updated_at is supported, got {field!r}", "sorting[field]")
    forward = _direction(request, "sorting[direction]")
    since = _since(request, c)
    now = clock_for_page(c, request, continuation=number > 1)

    def fetch(after: tuple | None, limit: int) -> list[tuple]:
        cond = ["updated_at >= :since"] if since else []
        if after is not None:
            cond.append("(updated_at, id) > (:au, :ai)")
        where = " and ".join([*cond, AS_OF])
        sql = f"select row_id, updated_at, id from hd_issues where {where} order by updated_at, id limit :limit"
        params = {"since": since, "now": now, "limit": limit, "au": after and after[0], "ai": after and after[1]}
        return c.world.conn().execute(sql, params).fetchall()

    start = (number - 1) * size
    prefix = c.world.key_prefix(("hd_issues", since, now), start + size if forward else 1 << 62, fetch)
    keys = prefix.row_ids
    total = len(keys)

    def at(i: int) -> int:
        return keys[i] if forward else keys[total - 1 - i]

    wanted = [at(i) for i in range(start, min(start + size, total))]
    items = P.issues(c.world, c.world.rows_by_row_id("hd_issues", wanted), now, _zone(c))

    def previous() -> dict[str, Any] | None:
        if not 0 < start <= total:
            return None
        return P.issues(c.world, c.world.rows_by_row_id("hd_issues", [at(start - 1)]), now, _zone(c))[0]

    items = add_duplicate(c, request, items, previous)
    items = add_malformed(c, request, "helpdesk", "issues", P.MALFORMED["issues"], items)
    return json_response(items)


def _issue_row(c: SimContext, issue_id: int, now: str) -> sqlite3.Row:
    rows = c.world.query(f"select * from hd_issues where id = :id and {AS_OF}", {"id": issue_id, "now": now})
    if not rows:
        raise HelpdeskError(404, f"issue {issue_id} not found")
    return rows[0]


# ------------------------------------------------------------------ id-paged lists
def _from_id_page(c: SimContext, request: Request, table: str, *, since_column: str | None = None
                  ) -> tuple[list[sqlite3.Row], Callable[[], sqlite3.Row | None], str]:
    """One page of ``table`` in id order after ``page[from_id]`` (exclusive), as of the clock;
    also how to read the row the previous page ended with (for the ``duplicates`` fault)."""
    size = _page_size(request, c, LIST_MAX_PAGE)
    from_id = int_param(request, "page[from_id]", None, _err)
    forward = _direction(request, "page[direction]")
    since = _since(request, c) if since_column else None
    now = clock_for_page(c, request, continuation=from_id is not None)
    params: dict[str, Any] = {"now": now, "since": since, "from_id": from_id, "size": size}
    filters = [AS_OF]
    if since:
        filters.append(f"{since_column} >= :since")
    op, order = (">", "asc") if forward else ("<", "desc")
    page_filters = [*filters, f"id {op} :from_id"] if from_id is not None else filters
    rows = c.world.query(
        f"select * from {table} where {' and '.join(page_filters)} order by id {order} limit :size", params)

    def previous() -> sqlite3.Row | None:
        if from_id is None:
            return None
        prev = c.world.query(f"select * from {table} where id = :from_id and {' and '.join(filters)}", params)
        return prev[0] if prev else None

    return rows, previous, now


def _list(request: Request, table: str, entity: str, build: Callable[[SimContext, list[sqlite3.Row], str],
          list[dict[str, Any]]], since_column: str | None = None, *, extension: bool = False) -> Response:
    c = _auth(request)
    if extension:
        _extension(request, c)
    rows, previous, now = _from_id_page(c, request, table, since_column=since_column)
    items = build(c, rows, now)

    def prev_item() -> dict[str, Any] | None:
        row = previous()
        return None if row is None else build(c, [row], now)[0]

    items = add_duplicate(c, request, items, prev_item)
    items = add_malformed(c, request, "helpdesk", entity, P.MALFORMED[entity], items)
    return json_response(items)


@router.get("/issues/status_history")
def status_history(request: Request) -> Response:
    return _list(request, "hd_status_history", "status_history",
                 lambda c, rows, now: [P.status_change(r, _zone(c)) for r in rows], "updated_at", extension=True)


@router.get("/time_entries/list")
def time_entries_list(request: Request) -> Response:
    return _list(request, "hd_time_entries", "time_entries",
                 lambda c, rows, now: P.time_entries(c.world, rows, now, _zone(c), feed=True), "updated_at",
                 extension=True)


@router.get("/employees/list")
def employees_list(request: Request) -> Response:
    def build(c: SimContext, rows: list[sqlite3.Row], now: str) -> list[dict[str, Any]]:
        teams = P.teams_by_id(c.world)
        return [P.employee(r, teams) for r in rows]

    return _list(request, "hd_employees", "employees", build)


@router.get("/companies/list")
def companies_list(request: Request) -> Response:
    return _list(request, "hd_companies", "companies", lambda c, rows, now: [P.company(r) for r in rows])


@router.get("/maintenance_entities/list")
def maintenance_entities_list(request: Request) -> Response:
    return _list(request, "hd_sites", "maintenance_entities",
                 lambda c, rows, now: [P.site(r, _zone(c)) for r in rows], "updated_at")


@router.get("/equipments/list")
def equipments_list(request: Request) -> Response:
    return _list(request, "hd_equipment", "equipments", lambda c, rows, now: [P.equipment(r) for r in rows])


# ------------------------------------------------------------------ single issue
@router.get("/issues/{issue_id}/time_entries")
def issue_time_entries(issue_id: str, request: Request) -> Response:
    c = _auth(request)
    now = c.clock.get()
    _issue_row(c, _issue_id(issue_id), now)
    rows = c.world.query(f"select * from hd_time_entries where issue_id = :id and {AS_OF} order by id",
                         {"id": int(issue_id), "now": now})
    entries = P.time_entries(c.world, rows, now, _zone(c), feed=False)
    total = sum((P.Decimal(r["spent_time"]) for r in rows), P.Decimal(0))
    return json_response({"spent_time_total": P.number(str(total)) or 0, "time_entries": entries})


@router.get("/issues/{issue_id}")
def issue_detail(issue_id: str, request: Request) -> Response:
    c = _auth(request)
    now = c.clock.get()
    row = _issue_row(c, _issue_id(issue_id), now)
    return json_response(P.issues(c.world, [row], now, _zone(c))[0])


def _issue_id(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise HelpdeskError(404, f"issue {raw!r} not found") from None


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def helpdesk_unknown(rest: str, request: Request) -> Response:
    _auth(request)
    raise HelpdeskError(404, f"no such endpoint: /api/v1/{rest}")
