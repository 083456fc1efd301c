"""The equipment and sites registry workbook (sources.md §4) at ``/registry.xlsx``.

The workbook is rendered by the generator's ``source_simulator.registry_workbook.render_workbook``
(untidy like a manager's file). While that module is absent, a tidy placeholder rendered
from the same ``reg_*`` store tables is served instead.
"""

from __future__ import annotations

import importlib
import io
import sqlite3
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from source_simulator.store import as_of_clause

from .context import ctx

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SITE_HEADERS = ["Код объекта", "ИНН клиента", "Название", "Адрес", "Регион", "Широта", "Долгота",
                "Площадь, м2", "Табельный № инженера"]
EQUIPMENT_HEADERS = ["Серийный №", "Код объекта", "Тип", "Производитель", "Модель", "Дата ввода",
                     "Табельный № инженера"]


def placeholder_workbook(conn: sqlite3.Connection, now: str) -> bytes:
    from openpyxl import Workbook  # imported late: it is slow to import and rarely needed

    wb = Workbook()
    sites = wb.active
    sites.title = "Объекты"
    sites.append(SITE_HEADERS)
    for r in conn.execute(f"select * from reg_sites where {as_of_clause()} order by site_code", {"now": now}):
        sites.append([r["site_code"], r["client_inn"], r["name"], r["address"], r["region"],
                      r["lat"], r["lon"], r["area_m2"], r["engineer_personnel_no"]])
    equipment = wb.create_sheet("Оборудование")
    equipment.append(EQUIPMENT_HEADERS)
    for r in conn.execute(f"select * from reg_equipment where {as_of_clause()} order by serial_number",
                          {"now": now}):
        equipment.append([r["serial_number"], r["site_code"], r["kind"], r["manufacturer"], r["model"],
                          r["commissioned_on"], r["engineer_personnel_no"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def renderer() -> Callable[[sqlite3.Connection, str], bytes]:
    try:
        module = importlib.import_module("source_simulator.registry_workbook")
    except ModuleNotFoundError as exc:
        if exc.name != "source_simulator.registry_workbook":
            raise
        return placeholder_workbook
    return module.render_workbook


@router.get("/registry.xlsx")
def registry(request: Request) -> Response:
    c = ctx(request)
    now = c.clock.get()
    body = renderer()(c.world.conn(), now)
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="registry.xlsx"'})
