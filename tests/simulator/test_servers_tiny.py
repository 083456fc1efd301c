"""The server over the generator's tiny world: every source, walked the way an extractor
walks it, gives back exactly the store's records as of the clock (before and after the clock
moves a day), and the registry workbook is the generator's."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from openpyxl import load_workbook

from source_simulator import store
from source_simulator.registry_workbook import render_workbook
from source_simulator.servers.timefmt import to_store
from tools.simulator_server import running_server

HD = {"api_token": "demo-helpdesk-token"}
SCHEDULE = {"Authorization": "Bearer demo-schedule-token"}


@pytest.fixture(scope="module")
def sim(tiny_world: Path):
    with running_server(tiny_world) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


def as_of(world: Path, table: str, now: str) -> list[sqlite3.Row]:
    conn = store.connect(world, readonly=True)
    rows = conn.execute(f"select * from {table} where {store.as_of_clause()}", {"now": now}).fetchall()
    conn.close()
    return rows


def utc(text: str | None) -> str | None:
    return None if text is None else to_store(datetime.fromisoformat(text))


def walk_pages(sim: httpx.Client, size: int = 50) -> list[dict]:
    items: list[dict] = []
    for number in range(1, 10_000):
        page = sim.get("/helpdesk/api/v1/issues/list", params={**HD, "page[number]": number, "page[size]": size,
                                                               "sorting[field]": "updated_at",
                                                               "sorting[direction]": "forward"}).json()
        items += page
        if len(page) < size:
            return items
    raise AssertionError("paging did not end")


def walk_from_id(sim: httpx.Client, path: str) -> list[dict]:
    items: list[dict] = []
    params: dict[str, Any] = {**HD, "page[size]": 100, "page[direction]": "forward"}
    while True:
        page = sim.get(f"/helpdesk/api/v1{path}", params=params).json()
        items += page
        if len(page) < 100:
            return items
        params["page[from_id]"] = page[-1]["id"]


def issue_as_store(i: dict) -> dict[str, Any]:
    params = {p["code"]: p["value"] for p in i["parameters"]}
    return {"id": i["id"], "title": i["title"], **{k: utc(i[k]) for k in (
        "created_at", "updated_at", "completed_at", "deadline_at", "planned_reaction_at", "reacted_at",
        "delayed_to")}, "source": i["source"], "company_id": i["company_id"],
        "service_object_id": i["service_object_id"], "equipment_ids": i["equipment_ids"],
        "parent_id": i["parent_id"], "assignee_id": (i["assignee"] or {}).get("id"), "group_id": i["group_id"],
        "type_code": (i["type"] or {}).get("code"), "priority_code": i["priority"]["code"],
        "status_code": i["status"]["code"], "rate": (i["rate"] or {}).get("value"),
        "complexity": params.get("complexity"), "escalated": int(params["escalated"]),
        "vip_contact": int(params["vip_contact"])}


def store_issue(r: sqlite3.Row) -> dict[str, Any]:
    out = {k: v for k, v in dict(r).items() if k not in ("row_id", "valid_from", "valid_to")}
    out["equipment_ids"] = json.loads(out["equipment_ids"])
    return out


def check_world(sim: httpx.Client, world: Path, now: str) -> None:
    # help desk: issues in full, feeds by id and key fields
    served = walk_pages(sim)
    assert len(served) == len({i["id"] for i in served})
    assert sorted((issue_as_store(i) for i in served), key=lambda d: d["id"]) == sorted(
        (store_issue(r) for r in as_of(world, "hd_issues", now)), key=lambda d: d["id"])
    entries = walk_from_id(sim, "/time_entries/list")
    assert sorted((e["id"], e["issue_id"], Decimal(str(e["spent_time"])), utc(e["logged_at"])) for e in entries) == sorted(
        (r["id"], r["issue_id"], Decimal(r["spent_time"]), r["logged_at"]) for r in as_of(world, "hd_time_entries", now))
    history = walk_from_id(sim, "/issues/status_history")
    assert sorted((h["id"], h["status"]["code"], utc(h["changed_at"])) for h in history) == sorted(
        (r["id"], r["status_code"], r["changed_at"]) for r in as_of(world, "hd_status_history", now))
    for path, table in (("/employees/list", "hd_employees"), ("/companies/list", "hd_companies"),
                        ("/maintenance_entities/list", "hd_sites"), ("/equipments/list", "hd_equipment")):
        assert [i["id"] for i in walk_from_id(sim, path)] == sorted(r["id"] for r in as_of(world, table, now))
    # schedule
    shifts, cursor = [], None
    while True:
        body = sim.get("/schedule/api/v1/shifts", params={"limit": 100, **({"cursor": cursor} if cursor else {})},
                       headers=SCHEDULE).json()
        shifts += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted((s["id"], s["status"], s["updated_at"], s["deleted"]) for s in shifts) == sorted(
        (r["id"], r["status"], r["updated_at"], bool(r["deleted"])) for r in as_of(world, "sch_shifts", now))
    # 1C: every entity set, paged by $top/$skip
    for name, table in (("Catalog_Сотрудники", "onec_employees"), ("Catalog_Контрагенты", "onec_clients"),
                        ("Catalog_ДоговорыКонтрагентов", "onec_contracts"),
                        ("Document_РеализацияТоваровУслуг", "onec_sales"),
                        ("InformationRegister_ТарифыДежурств", "onec_duty_tariffs")):
        rows, skip = [], 0
        while True:
            page = sim.get(f"/onec/odata/standard.odata/{quote(name)}", auth=("odata", "odata"),
                           params={"$format": "json", "$top": 20, "$skip": skip}).json()["value"]
            rows += page
            if len(page) < 20:
                break
            skip += 20
        stored = as_of(world, table, now)
        if "ref_key" in dict(stored[0]):
            assert sorted((r["Ref_Key"], r["DataVersion"]) for r in rows) == sorted(
                (r["ref_key"], r["data_version"]) for r in stored)
        else:
            assert len(rows) == len(stored)


def test_every_source_serves_the_store_as_of_the_clock(sim: httpx.Client, tiny_world: Path) -> None:
    now = sim.get("/_sim/clock").json()["now"]
    check_world(sim, tiny_world, now)
    moved = sim.post("/_sim/clock", json={"advance_days": 1}).json()["now"]
    try:
        assert len(as_of(tiny_world, "hd_issues", moved)) > len(as_of(tiny_world, "hd_issues", now))
        check_world(sim, tiny_world, moved)
    finally:
        sim.post("/_sim/clock", json={"now": now})


def test_registry_is_the_generators_workbook(sim: httpx.Client, tiny_world: Path) -> None:
    now = sim.get("/_sim/clock").json()["now"]
    served = sim.get("/registry.xlsx")
    assert served.status_code == 200
    conn = store.connect(tiny_world, readonly=True)
    expected = render_workbook(conn, now)
    conn.close()

    def cells(data: bytes) -> dict[str, list[tuple]]:
        wb = load_workbook(io.BytesIO(data))
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}

    assert cells(served.content) == cells(expected)
    assert {"Объекты", "Оборудование"} <= set(cells(served.content))
