"""1C OData of the simulator server against docs/rules.md "1C accounting" (real HTTP, Cyrillic entity names)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from source_simulator.servers import sample_world
from source_simulator.store import as_of_clause
from tools.simulator_server import running_server

AUTH = ("odata", "odata")
EMPTY_REF = "00000000-0000-0000-0000-000000000000"
ONEC_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
SETS = {
    "Catalog_Сотрудники": ("onec_employees", {"ТабельныйНомер", "АдресЭлектроннойПочты", "Подразделение"}),
    "Catalog_Контрагенты": ("onec_clients", {"ИНН"}),
    "Catalog_ДоговорыКонтрагентов": ("onec_contracts", {"Owner_Key", "ДатаНачала", "ДатаОкончания",
                                                        "АбонентскаяПлата", "ВключеноЧасов",
                                                        "СтавкаСверхЛимита", "УровеньSLA"}),
    "InformationRegister_ПремиальныеКоэффициенты": ("onec_bonus_coefficients", {"Коэффициент", "Значение"}),
    "InformationRegister_БаллыЗаВидыРабот": ("onec_points", {"ВидРабот", "Баллы"}),
    "InformationRegister_ТарифыДежурств": ("onec_duty_tariffs", {"ТипСмены", "Ставка"}),
    "InformationRegister_ТарифыОбслуживания": ("onec_service_tariffs", {"ВидРабот", "СтавкаЧасКлиента",
                                                                        "СебестоимостьЧасаИнженера"}),
    "Document_РеализацияТоваровУслуг": ("onec_sales", {"Контрагент_Key", "Договор_Key", "СуммаДокумента"}),
}
CATALOG = {"Ref_Key", "DataVersion", "DeletionMark", "Code", "Description"}
DOCUMENT = {"Ref_Key", "DataVersion", "DeletionMark", "Number", "Date", "Posted"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_world.build(tmp_path_factory.mktemp("onec") / "world.sqlite")


@pytest.fixture(scope="module")
def api(world: Path):
    with running_server(world) as base, httpx.Client(base_url=f"{base}/onec/odata/standard.odata",
                                                     auth=AUTH, timeout=30) as client:
        yield client


def url(name: str) -> str:
    return "/" + quote(name, safe="")


def count(world: Path, table: str) -> int:
    conn = sqlite3.connect(world)
    n = conn.execute(f"select count(*) from {table} where {as_of_clause()}", {"now": sample_world.NOW}).fetchone()[0]
    conn.close()
    return n


@pytest.mark.parametrize("name", list(SETS))
def test_every_entity_set_by_percent_encoded_name(api: httpx.Client, world: Path, name: str) -> None:
    table, extra = SETS[name]
    order = "Period" if name.startswith("InformationRegister_") else "Ref_Key"
    response = api.get(url(name), params={"$format": "json", "$orderby": order})
    assert "%D0" in response.request.url.raw_path.decode()  # the name travelled percent-encoded
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"odata.metadata", "value"}
    assert body["odata.metadata"].endswith(f"$metadata#{name}")
    rows = body["value"]
    assert len(rows) == count(world, table) > 0
    standard = CATALOG if name.startswith("Catalog_") else DOCUMENT if name.startswith("Document_") else {"Period"}
    for row in rows:
        assert set(row) == standard | extra
    keys = [r[order] for r in rows]
    assert keys == sorted(keys)


def test_top_skip_paging(api: httpx.Client) -> None:
    name = url("Document_РеализацияТоваровУслуг")

    def walk(top: int) -> list[list[dict]]:
        pages, skip = [], 0
        while True:
            page = api.get(name, params={"$format": "json", "$top": top, "$skip": skip,
                                         "$orderby": "Ref_Key"}).json()["value"]
            pages.append(page)
            if len(page) < top:
                return pages
            skip += top

    assert [len(p) for p in walk(5)] == [5, 5, 2]
    assert [len(p) for p in walk(4)] == [4, 4, 4, 0]
    refs = [r["Ref_Key"] for p in walk(5) for r in p]
    assert len(set(refs)) == 12 and refs == sorted(refs)


def test_values_as_1c_shows_them(api: httpx.Client) -> None:
    contracts = api.get(url("Catalog_ДоговорыКонтрагентов"), params={"$format": "json"}).json()["value"]
    by_code = {c["Code"]: c for c in contracts}
    assert by_code["000000001"]["ДатаОкончания"] == "0001-01-01T00:00:00"  # open-ended
    assert by_code["000000002"]["ДатаОкончания"] == "2026-12-31T00:00:00"
    assert by_code["000000001"]["ДатаНачала"] == "2025-01-01T00:00:00"
    assert by_code["000000001"]["СтавкаСверхЛимита"] == 3500.5
    assert by_code["000000001"]["АбонентскаяПлата"] == 150000
    assert by_code["000000002"]["УровеньSLA"] == ""
    assert by_code["000000001"]["DeletionMark"] is False
    sales = api.get(url("Document_РеализацияТоваровУслуг"), params={"$format": "json"}).json()["value"]
    for sale in sales:
        assert ONEC_DATE.match(sale["Date"]) and isinstance(sale["СуммаДокумента"], int | float)
        assert isinstance(sale["Posted"], bool)
    by_number = {s["Number"]: s for s in sales}
    assert by_number["0000-000012"]["Договор_Key"] == EMPTY_REF
    assert by_number["0000-000001"]["Date"] == "2026-01-01T12:00:00"
    employees = api.get(url("Catalog_Сотрудники"), params={"$format": "json"}).json()["value"]
    assert {e["ТабельныйНомер"] for e in employees} == {"1001", "1002", "1003", "1004", "1005"}
    assert any(e["Подразделение"] == "" for e in employees)  # 1C strings are never null
    coefficients = api.get(url("InformationRegister_ПремиальныеКоэффициенты"),
                           params={"$format": "json", "$orderby": "Period"}).json()["value"]
    assert {"Period": "2026-01-01T00:00:00", "Коэффициент": "k_sla", "Значение": 2.4} in coefficients


def test_errors_have_odata_shape(api: httpx.Client) -> None:
    name = url("Catalog_Контрагенты")
    for auth in (None, ("odata", "wrong")):
        response = httpx.get(str(api.base_url) + name, auth=auth, params={"$format": "json"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Basic")
        error = response.json()["odata.error"]
        assert set(error) == {"code", "message"} and error["message"]["lang"] == "ru"
    unknown = api.get(url("Catalog_Нет"), params={"$format": "json"})
    assert unknown.status_code == 404 and "odata.error" in unknown.json()
    unsupported = api.get(name, params={"$format": "json", "$filter": "ИНН eq '1'"})
    assert unsupported.status_code == 400 and "$filter" in unsupported.json()["odata.error"]["message"]["value"]
    bad_order = api.get(name, params={"$format": "json", "$orderby": "Description"})
    assert bad_order.status_code == 400
