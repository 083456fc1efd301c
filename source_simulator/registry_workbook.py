"""The managers' registry workbook, rendered from the store with their untidiness.

``render_workbook(conn, now) -> bytes`` writes sheets ``Объекты`` and ``Оборудование`` with
exactly the columns of docs/rules.md "Registry workbook" from ``reg_sites`` / ``reg_equipment`` valid at ``now``, and
injects, deterministically (per seed and row key): a title block above the header row, blank
rows, blank cells (the truth's NULLs), decimal commas, dates as Excel serials, ``ДД.ММ.ГГГГ``
text or date cells, codes with surrounding spaces, INNs as numbers. Every truth row is readable
after cleaning. On top of them a few extra rows that cannot be read are added (an empty
``Код объекта``, latitude ``north``, a date ``31.02.2025``); ``expected_rejects(conn, now)``
lists them with sheet, row number, column and reason. Those rows are not in the truth.
"""

from __future__ import annotations

import io
import random
import sqlite3
from dataclasses import asdict, dataclass
from datetime import date, datetime

from openpyxl import Workbook

from source_simulator import store
from source_simulator.generator.clock import local_date, parse_iso
from source_simulator.generator.rng import stream

SITES_SHEET = "Объекты"
EQUIPMENT_SHEET = "Оборудование"
SITE_HEADERS = ("Код объекта", "ИНН клиента", "Название", "Адрес", "Регион", "Широта", "Долгота",
                "Площадь, м2", "Табельный № инженера")
EQUIPMENT_HEADERS = ("Серийный №", "Код объекта", "Тип", "Производитель", "Модель", "Дата ввода",
                     "Табельный № инженера")
EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class Reject:
    sheet: str
    row_number: int
    column: str
    reason: str
    value: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class SheetLayout:
    title: str
    rows: list[list[object]]          # sheet rows from row 1; None cells are blank
    date_cells: list[tuple[int, int]]  # (row, col) 1-based cells to format as dates


def _decimal(rng: random.Random, text: str | None) -> object:
    if text is None:
        return None
    roll = rng.random()
    if roll < 0.4:
        return text.replace(".", ",")
    if roll < 0.8:
        return float(text)
    return text


def _code(rng: random.Random, text: str | None) -> object:
    if text is None:
        return None
    roll = rng.random()
    if roll < 0.08:
        return f" {text} "
    if roll < 0.15:
        return f"{text}  "
    return text


def _date(rng: random.Random, iso_day: str | None) -> object:
    if iso_day is None:
        return None
    d = date.fromisoformat(iso_day)
    roll = rng.random()
    if roll < 0.4:
        return (d - EXCEL_EPOCH).days
    if roll < 0.7:
        return d.strftime("%d.%m.%Y")
    return datetime(d.year, d.month, d.day)


def _title_block(title: str, now: str) -> list[list[object]]:
    day = local_date(parse_iso(now))   # the managers' (company) date
    return [[title], [f"Актуально на {day.strftime('%d.%m.%Y')}"], ["Ответственный: отдел сервиса"], []]


def layout(conn: sqlite3.Connection, now: str) -> tuple[dict[str, SheetLayout], list[Reject]]:
    seed = int(store.read_meta(conn).get("seed", "0"))
    params = {"now": now}
    sites = conn.execute(
        f"select site_code, client_inn, name, address, region, lat, lon, area_m2, engineer_personnel_no "
        f"from reg_sites where {store.as_of_clause()} order by site_code", params).fetchall()
    units = conn.execute(
        f"select serial_number, site_code, kind, manufacturer, model, commissioned_on, engineer_personnel_no "
        f"from reg_equipment where {store.as_of_clause()} order by site_code, serial_number", params).fetchall()
    rejects: list[Reject] = []

    # ------------------------------------------------------------------ Объекты
    rows: list[list[object]] = _title_block("Реестр объектов обслуживания", now)
    rows.append(list(SITE_HEADERS))
    bad_at = {max(1, len(sites) // 3): "no_code", max(2, (2 * len(sites)) // 3): "lat"}
    for i, s in enumerate(sites, 1):
        rng = stream(seed, "workbook", "site", s["site_code"])
        inn = s["client_inn"]
        rows.append([
            _code(rng, s["site_code"]), int(inn) if inn and rng.random() < 0.2 else inn, s["name"],
            s["address"], s["region"], _decimal(rng, s["lat"]), _decimal(rng, s["lon"]),
            _decimal(rng, s["area_m2"]), _code(rng, s["engineer_personnel_no"]),
        ])
        if rng.random() < 0.12:
            rows.append([])
        kind = bad_at.get(i)
        if kind == "no_code":
            rows.append([None, inn, "Новый объект (код уточняется)", s["address"], s["region"],
                         s["lat"], s["lon"], None, None])
            rejects.append(Reject(SITES_SHEET, len(rows), "Код объекта", "пустой код объекта", ""))
        elif kind == "lat":
            code = f"{s['site_code'].split('-')[0]}-9901"
            rows.append([code, inn, "Склад временного хранения", s["address"], s["region"], "north",
                         s["lon"], "120,5", s["engineer_personnel_no"]])
            rejects.append(Reject(SITES_SHEET, len(rows), "Широта", "не число: широта", "north"))
    site_sheet = SheetLayout(SITES_SHEET, rows, [])

    # ------------------------------------------------------------------ Оборудование
    rows = _title_block("Реестр оборудования на объектах", now)
    rows.append(list(EQUIPMENT_HEADERS))
    date_cells: list[tuple[int, int]] = []
    bad_unit_at = max(1, len(units) // 2)
    for i, u in enumerate(units, 1):
        rng = stream(seed, "workbook", "unit", u["serial_number"])
        commissioned = _date(rng, u["commissioned_on"])
        rows.append([
            _code(rng, u["serial_number"]), _code(rng, u["site_code"]), u["kind"], u["manufacturer"],
            u["model"], commissioned, _code(rng, u["engineer_personnel_no"]),
        ])
        if isinstance(commissioned, datetime):
            date_cells.append((len(rows), 6))
        if rng.random() < 0.08:
            rows.append([])
        if i == bad_unit_at:
            rows.append(["TMP-000001", u["site_code"], u["kind"], u["manufacturer"], u["model"],
                         "31.02.2025", None])
            rejects.append(Reject(EQUIPMENT_SHEET, len(rows), "Дата ввода", "несуществующая дата",
                                  "31.02.2025"))
    unit_sheet = SheetLayout(EQUIPMENT_SHEET, rows, date_cells)
    return {SITES_SHEET: site_sheet, EQUIPMENT_SHEET: unit_sheet}, rejects


def render_workbook(conn: sqlite3.Connection, now: str) -> bytes:
    """The registry as an xlsx file (bytes) as of ``now`` (store text, UTC ``...Z``)."""
    sheets, _ = layout(conn, now)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets.values():
        ws = wb.create_sheet(sheet.title)
        for row in sheet.rows:
            ws.append(row)
        for r, c in sheet.date_cells:
            ws.cell(row=r, column=c).number_format = "DD.MM.YYYY"
    wb.properties.creator = "Отдел сервиса"
    wb.properties.created = datetime(2020, 1, 1)
    wb.properties.modified = datetime(2020, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def expected_rejects(conn: sqlite3.Connection, now: str) -> list[Reject]:
    """The rows of ``render_workbook(conn, now)`` that cannot be read, and why."""
    return layout(conn, now)[1]
