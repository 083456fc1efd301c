"""The equipment and sites registry workbook (docs/rules.md "Registry workbook") at ``/registry.xlsx``: rendered
as of the clock by the generator's ``source_simulator.registry_workbook.render_workbook``
(untidy like a manager's file; its deliberately unreadable rows are listed by
``registry_workbook.expected_rejects``).

Conditional GET, as a file server or SharePoint/WebDAV share would offer it for a file that
sits unchanged: every answer carries a weak ``ETag`` and a ``Last-Modified``, computed from
the store without rendering (the last instant at or before the clock where a registry row
version starts or ends: the sheets' rows are a function of that instant). A request whose
``If-None-Match`` matches (weak comparison), or, without ``If-None-Match``, whose
``If-Modified-Since`` is not older than ``Last-Modified``, gets ``304 Not Modified`` with no
body and nothing rendered (``HEAD`` gives the validators, not rendered either). The ETag is
weak because the title block's "Актуально на <date>" line follows the clock's day while the
rows stay the same: the representations are equivalent, not byte-identical.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .context import SimContext, ctx

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLES = ("reg_sites", "reg_equipment")


def last_change(c: SimContext, now: str) -> str | None:
    """The last instant <= ``now`` (store text) where a registry row version starts or ends."""
    parts = " union all ".join(
        f"select max(valid_from) x from {t} where valid_from <= :now"
        f" union all select max(valid_to) from {t} where valid_to <= :now"
        for t in TABLES)
    row = c.world.conn().execute(f"select max(x) from ({parts})", {"now": now}).fetchone()
    return row[0] if row else None


def validators(c: SimContext, now: str) -> tuple[str, datetime]:
    """(weak ETag, Last-Modified) of the workbook as of ``now``."""
    changed = last_change(c, now)
    world = "|".join(f"{k}={c.world.meta.get(k, '')}" for k in ("profile", "seed", "start", "end", "schema_version"))
    digest = hashlib.sha256(f"{world}|{changed}".encode()).hexdigest()[:32]
    if changed:
        modified = datetime.fromisoformat(changed.replace("Z", "+00:00")).replace(microsecond=0)
    else:
        modified = datetime(2020, 1, 1, tzinfo=UTC)
    return f'W/"reg-{digest}"', modified


def _etags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def not_modified(request: Request, etag: str, modified: datetime) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:  # RFC 9110 13.1.2: If-None-Match wins; weak comparison
        tags = _etags(inm)
        return "*" in tags or etag.removeprefix("W/") in tags
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified <= since
    return False


@router.api_route("/registry.xlsx", methods=["GET", "HEAD"])
def registry(request: Request) -> Response:
    c = ctx(request)
    now = c.clock.get()
    etag, modified = validators(c, now)
    headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True),
               "Cache-Control": "no-cache"}
    if not_modified(request, etag, modified):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":  # the validators without rendering
        return Response(status_code=200, media_type=XLSX, headers=headers)

    from source_simulator.registry_workbook import render_workbook  # late: openpyxl is slow to import

    body = render_workbook(c.world.conn(), now)
    return Response(body, media_type=XLSX,
                    headers={**headers, "Content-Disposition": 'attachment; filename="registry.xlsx"'})
