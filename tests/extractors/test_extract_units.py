"""Pure parts of the extractors: workbook cleaning, retries and errors, the issues paging scheme.

The HTTP pieces use httpx.MockTransport for faults the simulator does not produce on demand
(a server that never recovers, a page that shifts while a minute holds more than a page).
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import Workbook

from extractors.common.http import SourceError, SourceHttp, redact
from extractors.common.settings import RetrySettings
from extractors.helpdesk.client import HelpdeskClient
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.registry.workbook import EQUIPMENT, SITES, clean_date, clean_decimal, read_workbook

FAST = RetrySettings(attempts=4, wait_initial_s=0.001, wait_max_s=0.01, wait_jitter_s=0.001, max_retry_after_s=0.01)
MSK = ZoneInfo("Europe/Moscow")


# ------------------------------------------------------------------ workbook
def _workbook(rows_sites: list[list], rows_eq: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Объекты"
    for r in rows_sites:
        ws.append(r)
    eq = wb.create_sheet("Оборудование")
    for r in rows_eq:
        eq.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_untidy_workbook_is_read_and_unreadable_rows_are_rejected_with_place_and_reason():
    header = ["Код объекта", "ИНН клиента", "Название", "Адрес", "Регион", "Широта", "Долгота", "Площадь, м2",
              "Табельный № инженера"]
    data = _workbook(
        [["Реестр объектов на 01.11.2026"], [], header,
         [" MSK-0001 ", 7701234567, "Склад", "Москва", "Москва", "55,7512", 37.61, "120,5", "000123"],
         [None, None, None, None, None, None, None, None, None],
         ["MSK-0002", "7701234567", "Офис", None, "Москва", "north", "37,6", None, None],
         [None, "7701234567", "Без кода", None, None, None, None, None, None],
         ["MSK-0001", "7701234567", "Дубль", None, None, None, None, None, None]],
        [["Серийный №", "Код объекта", "Тип", "Производитель", "Модель", "Дата ввода", "Табельный № инженера"],
         ["SN 001", "MSK-0001", "ИБП", "APC", "X", 45000, None],
         ["SN002", "MSK-0001", "ИБП", "APC", "X", "31.12.2024", None],
         ["SN003", "MSK-0001", "ИБП", "APC", "X", datetime(2024, 5, 1), None],
         ["SN004", "MSK-0001", "ИБП", "APC", "X", "31.02.2025", None]],
    )
    sites = read_workbook(data, SITES)
    assert sites.header_row == 3
    assert [r.key for r in sites.rows] == ["MSK-0001"]
    assert sites.rows[0].payload["Широта"] == "55.7512"
    assert sites.rows[0].payload["Площадь, м2"] == "120.5"
    assert sites.rows[0].payload["ИНН клиента"] == "7701234567"
    assert sites.rows[0].payload["_row"] == 4
    got = {(r.row_number, r.column_name) for r in sites.rejects}
    assert got == {(6, "Широта"), (7, "Код объекта"), (8, "Код объекта")}
    by_row = {r.row_number: r.reason for r in sites.rejects}
    assert "'north'" in by_row[6] and "sheet 'Объекты', row 6" in by_row[6]
    assert "already on row 4" in by_row[8]

    eq = read_workbook(data, EQUIPMENT)
    assert {r.key: r.payload["Дата ввода"] for r in eq.rows} == {
        "SN001": "2023-03-15", "SN002": "2024-12-31", "SN003": "2024-05-01"}
    assert [(r.row_number, r.column_name) for r in eq.rejects] == [(5, "Дата ввода")]


def test_cell_cleaners():
    assert clean_decimal("1 234,50") == "1234.5"
    assert clean_decimal(None) is None
    assert clean_date("45000") == "2023-03-15"
    assert clean_date("01.02.2026") == "2026-02-01"
    with pytest.raises(ValueError, match="expected a date"):
        clean_date("завтра")


def test_missing_sheet_is_an_error_naming_it():
    wb = Workbook()
    wb.active.title = "Лист1"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ValueError, match="no sheet 'Объекты'"):
        read_workbook(out.getvalue(), SITES)


# ------------------------------------------------------------------ retries and errors
def test_retry_after_is_honoured_and_a_recovering_server_gets_through():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            return httpx.Response(429 if len(calls) == 1 else 503, headers={"Retry-After": "0"}, json={"errors": "busy"})
        return httpx.Response(200, json=[{"id": 1}])

    async def go():
        async with SourceHttp("helpdesk", "http://x/api/v1", FAST, params={"api_token": "s3cret"},
                              transport=httpx.MockTransport(handler)) as http:
            return await http.get_json("/issues/list"), http.retries

    data, retries = asyncio.run(go())
    assert data == [{"id": 1}] and retries == 2


def test_giving_up_names_source_url_without_secrets_and_status():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="bad gateway")

    async def go():
        async with SourceHttp("helpdesk", "http://x/api/v1", FAST, params={"api_token": "s3cret"},
                              transport=httpx.MockTransport(handler)) as http:
            await http.get_json("/issues/list", {"page[number]": 1})

    with pytest.raises(SourceError) as err:
        asyncio.run(go())
    text = str(err.value)
    assert "helpdesk" in text and "/issues/list" in text and "HTTP 502" in text and "4 attempts" in text
    assert "s3cret" not in text


def test_client_errors_are_not_retried():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(401, json={"errors": "api_token is invalid"})

    async def go():
        async with SourceHttp("helpdesk", "http://x", FAST, transport=httpx.MockTransport(handler)) as http:
            await http.get_json("/a")

    with pytest.raises(SourceError, match="HTTP 401"):
        asyncio.run(go())
    assert len(calls) == 1


def test_redact_strips_credentials():
    assert redact("http://u:p@h:1/x?api_token=abc&a=1") == "http://h:1/x?api_token=%2A%2A%2A&a=1"


# ------------------------------------------------------------------ issues paging
def _issue(i: int, ts: datetime) -> dict:
    stamp = ts.astimezone(MSK).isoformat(timespec="milliseconds")
    return {"id": i, "created_at": stamp, "updated_at": stamp, "status": {"code": "opened"}}


def test_issue_paging_loses_nothing_when_pages_shift_inside_a_crowded_minute():
    """120 tickets updated within one minute (more than two pages) plus later ones; between
    continuation pages one ticket of the crowded minute is 'updated' and moves to the end."""
    base = datetime(2026, 10, 1, 12, 0, 5, tzinfo=UTC)
    world = {i: base + timedelta(milliseconds=i) for i in range(1, 121)}
    world.update({i: base + timedelta(minutes=i - 119) for i in range(121, 200)})
    clock = [base + timedelta(hours=5)]
    moved = iter(range(1, 121, 7))

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        page, size = int(q["page[number]"]), int(q["page[size]"])
        if page > 1:  # the world moves between continuation pages
            victim = next(moved, None)
            if victim is not None:
                clock[0] += timedelta(seconds=1)
                world[victim] = clock[0]
        since = q.get("updated_since")
        rows = sorted(world.items(), key=lambda kv: (kv[1], kv[0]))
        if since:
            s = datetime.strptime(since, "%d-%m-%Y %H:%M").replace(tzinfo=MSK)
            rows = [kv for kv in rows if kv[1] >= s]
        chunk = rows[(page - 1) * size: page * size]
        return httpx.Response(200, content=json.dumps([_issue(i, t) for i, t in chunk]))

    async def go():
        seen = []
        async with HelpdeskClient(HelpdeskSettings(url="http://x"), MSK, FAST,
                                  transport=httpx.MockTransport(handler)) as client:
            async for page in client.issue_pages(None):
                seen += [(r["id"], r["updated_at"]) for r in page.rows]
        return seen

    seen = asyncio.run(go())
    assert len(seen) == len(set(seen)), "no version twice"
    final = {(i, _issue(i, t)["updated_at"]) for i, t in world.items()}
    assert final <= set(seen), f"missing {sorted(final - set(seen))[:5]}"
