"""The equipment and sites registry workbook (sources.md §4) at ``/registry.xlsx``: rendered
as of the clock by the generator's ``source_simulator.registry_workbook.render_workbook``
(untidy like a manager's file; its deliberately unreadable rows are listed by
``registry_workbook.expected_rejects``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .context import ctx

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/registry.xlsx")
def registry(request: Request) -> Response:
    from source_simulator.registry_workbook import render_workbook  # late: openpyxl is slow to import

    c = ctx(request)
    body = render_workbook(c.world.conn(), c.clock.get())
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="registry.xlsx"'})
