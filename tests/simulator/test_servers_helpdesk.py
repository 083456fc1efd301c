"""The help-desk endpoints of the simulator server against docs/rules.md "Help desk" (real HTTP)."""

from __future__ import annotations

import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from source_simulator.servers import sample_world
from source_simulator.store import as_of_clause
from tools.simulator_server import running_server

TOKEN = "demo-helpdesk-token"
MSK = ZoneInfo("Europe/Moscow")
OKDESK_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+03:00$")
ISSUE_FIELDS = {"id", "title", "created_at", "updated_at", "completed_at", "deadline_at", "planned_reaction_at",
                "reacted_at", "delayed_to", "source", "company_id", "service_object_id", "equipment_ids",
                "parent_id", "assignee", "group_id", "type", "priority", "status", "rate", "parameters"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_world.build(tmp_path_factory.mktemp("hd") / "world.sqlite")


@pytest.fixture(scope="module")
def api(world: Path):
    with running_server(world) as base, httpx.Client(base_url=f"{base}/helpdesk/api/v1", timeout=30) as client:
        yield client


def get(api: httpx.Client, path: str, **params: object) -> object:
    response = api.get(path, params={"api_token": TOKEN, **params})
    assert response.status_code == 200, response.text
    return response.json()


def visible_ids(world: Path, table: str, extra: str = "", **params: object) -> list[int]:
    conn = sqlite3.connect(world)
    sql = f"select id from {table} where {as_of_clause()} {extra} order by id"
    ids = [r[0] for r in conn.execute(sql, {"now": sample_world.NOW, **params})]
    conn.close()
    return ids


def walk_issues(api: httpx.Client, size: int, **params: object) -> list[list[dict]]:
    pages = []
    for number in range(1, 1000):
        page = get(api, "/issues/list", **{"page[number]": number, "page[size]": size,
                                            "sorting[field]": "updated_at", "sorting[direction]": "forward",
                                            **params})
        pages.append(page)
        if len(page) < size:
            return pages
    raise AssertionError("issue paging did not end")


def test_issue_pages_cover_every_issue_once_in_updated_order(api: httpx.Client, world: Path) -> None:
    pages = walk_issues(api, 10)
    # 120 issues at the clock: exactly 12 full pages, then an empty one ends the walk
    assert [len(p) for p in pages] == [10] * 12 + [0]
    items = [i for p in pages for i in p]
    assert sorted(i["id"] for i in items) == visible_ids(world, "hd_issues") == list(range(1, 121))
    keys = [(datetime.fromisoformat(i["updated_at"]), i["id"]) for i in items]
    assert keys == sorted(keys)


def test_short_last_page_and_page_size_cap(api: httpx.Client) -> None:
    assert [len(p) for p in walk_issues(api, 7)] == [7] * 17 + [1]
    assert len(get(api, "/issues/list", **{"page[size]": 500})) == 50
    assert len(get(api, "/issues/list")) == 50


def test_issue_shape(api: httpx.Client) -> None:
    issue = get(api, "/issues/list", **{"page[size]": 1})[0]
    assert set(issue) == ISSUE_FIELDS
    for name in ("created_at", "updated_at", "deadline_at", "planned_reaction_at", "reacted_at", "completed_at"):
        assert OKDESK_TS.match(issue[name]), (name, issue[name])
    assert issue["status"] == {"code": "closed", "name": "Закрыта"}
    assert issue["priority"]["code"] == "normal" and issue["type"]["code"] == "maintenance"
    assert issue["assignee"] == {"id": 1, "name": "Иванов Иван Петрович"}
    params = {p["code"]: p for p in issue["parameters"]}
    assert params["complexity"] == {"code": "complexity", "name": "Сложность", "field_type": "ftselect", "value": "2"}
    assert params["escalated"]["field_type"] == "ftcheckbox" and params["escalated"]["value"] is False
    # issue 1 was created 2026-01-05 06:07 UTC = 09:07 Moscow
    assert issue["created_at"] == "2026-01-05T09:07:00.000+03:00"
    assert issue["completed_at"] == "2026-01-05T13:07:00.250+03:00"
    # the detail call returns the same record
    assert get(api, f"/issues/{issue['id']}") == issue
    # issue 10 has no complexity (a missing mandatory field): the parameter is absent
    codes = [p["code"] for p in get(api, "/issues/10")["parameters"]]
    assert "complexity" not in codes and "escalated" in codes


def test_rated_issue_carries_rate(api: httpx.Client) -> None:
    assert get(api, "/issues/4")["rate"] == {"value": "good"}
    assert get(api, "/issues/5")["rate"] is None


def test_updated_since_filters_in_company_time(api: httpx.Client, world: Path) -> None:
    since_local = "15-02-2026 12:30"
    since_utc = datetime(2026, 2, 15, 12, 30, tzinfo=MSK).astimezone(ZoneInfo("UTC"))
    expected = visible_ids(world, "hd_issues", "and updated_at >= :since",
                           since=since_utc.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    assert 0 < len(expected) < 120
    items = [i for p in walk_issues(api, 50, updated_since=since_local) for i in p]
    assert sorted(i["id"] for i in items) == expected
    assert all(datetime.fromisoformat(i["updated_at"]) >= since_utc for i in items)


def test_per_issue_time_entries(api: httpx.Client) -> None:
    body = get(api, "/issues/5/time_entries")
    assert body == {"spent_time_total": 1.5, "time_entries": [{
        "id": 5, "spent_time": 1.5, "logged_at": "2026-01-07T09:37:00.250+03:00",
        "employee": {"id": 5, "login": "user5", "name": "Смирнов Павел"}, "comment": "выезд",
        "parameters": [{"code": "activity", "name": "Вид работ", "field_type": "ftselect", "value": "onsite"}]}]}
    assert get(api, "/issues/6/time_entries")["spent_time_total"] == 2.25


def walk_from_id(api: httpx.Client, path: str, size: int, **params: object) -> list[list[dict]]:
    pages: list[list[dict]] = []
    from_id = None
    while True:
        query = {"page[size]": size, "page[direction]": "forward", **params}
        if from_id is not None:
            query["page[from_id]"] = from_id
        page = get(api, path, **query)
        pages.append(page)
        if len(page) < size:
            return pages
        from_id = page[-1]["id"]


@pytest.mark.parametrize(("path", "table", "size", "lengths"), [
    ("/employees/list", "hd_employees", 2, [2, 2, 1]),
    ("/companies/list", "hd_companies", 3, [3, 0]),
    ("/maintenance_entities/list", "hd_sites", 4, [4, 0]),
    ("/equipments/list", "hd_equipment", 5, [5, 1]),
    ("/time_entries/list", "hd_time_entries", 100, [100, 20]),
    # 4 opened..closed changes per issue; the 4 newest issues are not closed yet at the clock
    ("/issues/status_history", "hd_status_history", 100, [100, 100, 100, 100, 76]),
])
def test_from_id_lists(api: httpx.Client, world: Path, path: str, table: str, size: int,
                       lengths: list[int]) -> None:
    pages = walk_from_id(api, path, size)
    assert [len(p) for p in pages] == lengths
    ids = [i["id"] for p in pages for i in p]
    assert ids == visible_ids(world, table)


def test_from_id_page_size_is_capped_at_100(api: httpx.Client) -> None:
    assert len(get(api, "/time_entries/list", **{"page[size]": 1000})) == 100


def test_list_shapes(api: httpx.Client) -> None:
    employee = get(api, "/employees/list", **{"page[from_id]": 1, "page[size]": 1})[0]
    assert employee == {"id": 2, "last_name": "Петрова", "first_name": "Мария", "patronymic": None,
                        "position": "Ведущий инженер", "active": True, "email": "user2@example.ru",
                        "login": "user2", "groups": [{"id": 2, "name": "Москва-Юг"}]}
    company = get(api, "/companies/list", **{"page[size]": 1})[0]
    assert company["parameters"] == [{"code": "inn", "name": "ИНН", "field_type": "ftstring", "value": "7700000001"}]
    assert set(company) == {"id", "name", "crm_1c_id", "active", "parameters"}
    site = get(api, "/maintenance_entities/list", **{"page[size]": 1})[0]
    assert site["coordinates"] == [55.701, 37.601] and site["timezone"] == {"code": "Europe/Moscow"}
    assert site["parameters"][0]["code"] == "site_code" and site["parameters"][0]["value"] == "MSK-001"
    unit = get(api, "/equipments/list", **{"page[size]": 1})[0]
    assert unit == {"id": 1, "serial_number": "SN-00001", "inventory_number": "INV-1", "maintenance_entity_id": 1,
                    "company": {"id": 1}, "equipment_kind": {"code": "ups", "name": "ИБП"},
                    "equipment_model": {"code": "x100", "name": "X100"},
                    "equipment_manufacturer": {"code": "acme", "name": "Acme"}}
    entry = get(api, "/time_entries/list", **{"page[size]": 1})[0]
    assert set(entry) == {"id", "issue_id", "spent_time", "logged_at", "updated_at", "employee", "comment",
                          "parameters"}
    change = get(api, "/issues/status_history", **{"page[size]": 1})[0]
    assert change == {"id": 1, "issue_id": 1, "status": {"code": "opened"},
                      "changed_at": "2026-01-05T09:07:00.000+03:00", "author": {"id": 1},
                      "updated_at": "2026-01-05T09:07:00.000+03:00"}


def test_feeds_updated_since(api: httpx.Client) -> None:
    entries = [i for p in walk_from_id(api, "/time_entries/list", 100, updated_since="20-02-2026 00:00") for i in p]
    assert entries and all(datetime.fromisoformat(e["updated_at"]) >= datetime(2026, 2, 20, tzinfo=MSK)
                           for e in entries)
    assert get(api, "/maintenance_entities/list", updated_since="01-01-2027 00:00") == []
    assert len(get(api, "/maintenance_entities/list", updated_since="01-01-2026 00:00")) == 4


@pytest.mark.parametrize("path", ["/issues/list", "/issues/1", "/issues/1/time_entries", "/employees/list",
                                  "/companies/list", "/maintenance_entities/list", "/equipments/list",
                                  "/time_entries/list", "/issues/status_history"])
def test_auth_failures(api: httpx.Client, path: str) -> None:
    missing = api.get(path)
    assert missing.status_code == 401 and isinstance(missing.json()["errors"], str)
    wrong = api.get(path, params={"api_token": "nope"})
    assert wrong.status_code == 401 and "api_token" in wrong.json()["errors"]


def test_errors_have_okdesk_shape(api: httpx.Client) -> None:
    missing = api.get("/issues/999", params={"api_token": TOKEN})
    assert missing.status_code == 404 and missing.json() == {"errors": "issue 999 not found"}
    not_yet = api.get("/issues/125", params={"api_token": TOKEN})  # created after the clock
    assert not_yet.status_code == 404
    bad = api.get("/issues/list", params={"api_token": TOKEN, "updated_since": "2026-02-01"})
    assert bad.status_code == 400
    assert "DD-MM-YYYY HH:MM" in bad.json()["errors"]["updated_since"][0]
    bad_page = api.get("/issues/list", params={"api_token": TOKEN, "page[number]": "zero"})
    assert bad_page.status_code == 400 and "page[number]" in bad_page.json()["errors"]
    unknown = api.get("/nothing/here", params={"api_token": TOKEN})
    assert unknown.status_code == 404 and "errors" in unknown.json()


def test_concurrent_walks_agree(api: httpx.Client) -> None:
    """Several clients paging at once (sharing the cached key lists) each see every issue once."""
    def walk(size: int) -> list[int]:
        with httpx.Client(base_url=api.base_url, timeout=60) as client:
            return [i["id"] for p in walk_issues(client, size) for i in p]

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(walk, [5, 7, 10, 5, 7, 10]))
    for ids in results:
        assert sorted(ids) == list(range(1, 121))
    assert results[0] == results[3] and results[1] == results[4]
