"""The registry workbook: the columns of docs/rules.md "Registry workbook", managers' untidiness, listed rejects."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from source_simulator.registry_workbook import (
    EQUIPMENT_HEADERS,
    EQUIPMENT_SHEET,
    SITE_HEADERS,
    SITES_SHEET,
    expected_rejects,
    render_workbook,
)

NOW = "2026-10-31T21:00:00.000Z"


def _sheets(conn):
    wb = load_workbook(io.BytesIO(render_workbook(conn, NOW)))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _header_index(rows, header):
    return next(i for i, r in enumerate(rows) if tuple(r[: len(header)]) == header)


def test_sheets_and_exact_columns_below_a_title_block(tiny_conn):
    sheets = _sheets(tiny_conn)
    assert list(sheets) == [SITES_SHEET, EQUIPMENT_SHEET]
    for name, header in ((SITES_SHEET, SITE_HEADERS), (EQUIPMENT_SHEET, EQUIPMENT_HEADERS)):
        rows = sheets[name]
        h = _header_index(rows, header)
        assert h > 0, "the header is not the first row"
        assert rows[0][0] and "Реестр" in rows[0][0]


def test_untidiness_is_present(tiny_conn):
    sheets = _sheets(tiny_conn)
    sites = sheets[SITES_SHEET]
    units = sheets[EQUIPMENT_SHEET]
    body_s = sites[_header_index(sites, SITE_HEADERS) + 1:]
    body_u = units[_header_index(units, EQUIPMENT_HEADERS) + 1:]
    cells = [c for r in body_s + body_u for c in r]
    assert any(all(c is None for c in r) for r in body_s + body_u), "blank rows"
    assert any(c is None for r in body_u if any(r) for c in r), "blank cells"
    assert any(isinstance(c, str) and "," in c and c.replace(",", "").replace("-", "").isdigit() for c in cells), \
        "decimal commas"
    dates = [r[5] for r in body_u if any(r)]
    assert any(isinstance(d, int) for d in dates), "Excel serial dates"
    assert any(isinstance(d, str) and len(d) == 10 and d[2] == "." for d in dates), "ДД.ММ.ГГГГ text"
    assert any(isinstance(d, datetime) for d in dates), "date cells"
    assert any(isinstance(c, str) and c != c.strip() for c in cells), "codes with spaces"


def test_every_truth_row_is_in_the_workbook(tiny_conn):
    sheets = _sheets(tiny_conn)
    codes = {str(r[0]).strip() for r in sheets[SITES_SHEET] if r and r[0]}
    serials = {str(r[0]).strip() for r in sheets[EQUIPMENT_SHEET] if r and r[0]}
    truth_codes = {r[0] for r in tiny_conn.execute(
        "select site_code from reg_sites where valid_from <= ? and (valid_to is null or valid_to > ?)", (NOW, NOW))}
    truth_serials = {r[0] for r in tiny_conn.execute(
        "select serial_number from reg_equipment where valid_from <= ? and (valid_to is null or valid_to > ?)",
        (NOW, NOW))}
    assert truth_codes and truth_codes <= codes
    assert truth_serials and truth_serials <= serials


def test_expected_rejects_point_at_unreadable_cells(tiny_conn):
    sheets = _sheets(tiny_conn)
    rejects = expected_rejects(tiny_conn, NOW)
    assert {(r.sheet, r.column) for r in rejects} == {
        (SITES_SHEET, "Код объекта"), (SITES_SHEET, "Широта"), (EQUIPMENT_SHEET, "Дата ввода")}
    for r in rejects:
        rows = sheets[r.sheet]
        header = SITE_HEADERS if r.sheet == SITES_SHEET else EQUIPMENT_HEADERS
        cell = rows[r.row_number - 1][header.index(r.column)]
        assert (cell or "") == r.value
        assert r.reason
