"""After the import: every chart answers through the API; roles and RLS hold."""

from __future__ import annotations

import httpx
import pytest
from superset_env import APPROVALS_URL, DEMO_PASSWORD

from superset_assets import BUNDLE_DIR
from superset_assets.bundle import read_tree
from superset_assets.client import SupersetClient


def chart_data(client: SupersetClient, chart_id: int) -> httpx.Response:
    return client.http.get(f"/api/v1/chart/{chart_id}/data/")


def charts_by_uuid(client: SupersetClient) -> dict[str, dict]:
    return {c["uuid"]: c for c in client.list_all("chart", ["id", "uuid", "slice_name"])}


def test_every_chart_of_the_bundle_answers_its_data_request(admin: SupersetClient, loaded):
    bundle = {p["uuid"]: p["slice_name"] for rel, p in read_tree(BUNDLE_DIR).items() if rel.startswith("charts/")}
    present = charts_by_uuid(admin)
    assert set(bundle) <= set(present), "charts of the bundle missing after the import"
    failures = []
    for uuid, name in bundle.items():
        resp = chart_data(admin, present[uuid]["id"])
        body = resp.json()
        errors = [q.get("error") for q in body.get("result", []) if q.get("error")]
        if resp.status_code != 200 or errors:
            failures.append(f"{name}: HTTP {resp.status_code} {errors or resp.text[:300]}")
    assert failures == []


def test_demo_engineer_is_the_first_active_engineer(loaded):
    # fixture: E001, E002, E003 all active -> E001
    assert loaded == {"engineer": "E001"}


def _rows_of(client: SupersetClient, slug: str, title: str) -> list[dict]:
    dash = client.get(f"/api/v1/dashboard/{slug}/charts")["result"]
    chart = next(c for c in dash if c["slice_name"] == title)
    resp = chart_data(client, chart["id"])
    assert resp.status_code == 200, resp.text[:500]
    return resp.json()["result"][0]["data"]


def test_engineer_sees_only_own_rows_on_every_chart_of_the_engineer_dashboard(superset_url, loaded):
    engineer = SupersetClient(superset_url, "engineer", DEMO_PASSWORD)
    charts = engineer.get("/api/v1/dashboard/engineer/charts")["result"]
    seen_personnel = set()
    for chart in charts:
        resp = chart_data(engineer, chart["id"])
        assert resp.status_code == 200, f"{chart['slice_name']}: {resp.text[:300]}"
        for row in resp.json()["result"][0]["data"]:
            if "personnel_no" in row:
                seen_personnel.add(row["personnel_no"])
    assert seen_personnel == {"E001"}
    # the chart's own query has no period: E001's lines of every month, nobody else's
    # (October 562,50 + 3 500,00 + 406,25, the last closed month 1 000,00, the current month 300,00)
    assert _rows_of(engineer, "engineer", "Моя премия, ₽")[0]["Премия, ₽"] == pytest.approx(5768.75)


def test_engineer_cannot_open_other_dashboards_or_their_data(superset_url, admin, loaded):
    engineer = SupersetClient(superset_url, "engineer", DEMO_PASSWORD)
    visible = {d["slug"] for d in engineer.list_all("dashboard", ["id", "slug"])}
    assert visible == {"engineer", "quality"}
    manager_charts = admin.get("/api/v1/dashboard/manager/charts")["result"]
    events = next(c for c in manager_charts if c["slice_name"].startswith("События"))
    assert chart_data(engineer, events["id"]).status_code in (403, 404)


def test_roles_see_their_dashboards(superset_url, loaded):
    finance = SupersetClient(superset_url, "finance", DEMO_PASSWORD)
    manager = SupersetClient(superset_url, "manager", DEMO_PASSWORD)
    assert {d["slug"] for d in finance.list_all("dashboard", ["slug"])} == {"bonuses", "contracts"}
    assert {d["slug"] for d in manager.list_all("dashboard", ["slug"])} == {
        "manager", "engineer", "bonuses", "contracts", "forecast", "data-quality", "quality"}


def test_bonus_approval_status_and_link(admin, loaded):
    rows = {r["personnel_no"]: r for r in _rows_of(admin, "bonuses", "Премии по инженерам и месяцам периода")}
    # E001 approved with the current hash, E002 approved with an older hash, E003 never decided
    assert {k: r["approval_status_ru"] for k, r in rows.items()} == {
        "E001": "утверждена", "E002": "устарела", "E003": "ожидает"}
    assert f'href="{APPROVALS_URL}/?period=2026-10&personnel_no=E002"' in rows["E002"]["approval_link"]


def test_engineer_sees_only_own_rows_on_the_quality_dashboard(superset_url, loaded):
    engineer = SupersetClient(superset_url, "engineer", DEMO_PASSWORD)
    for chart in engineer.get("/api/v1/dashboard/quality/charts")["result"]:
        resp = chart_data(engineer, chart["id"])
        assert resp.status_code == 200, f"{chart['slice_name']}: {resp.text[:300]}"
    # E001's low rating only (E003's ticket 1102 is not theirs), the client called again
    queue = _rows_of(engineer, "quality", "Очередь отдела качества")
    assert [(r["ticket_id"], r["full_name"], r["called_again_ru"]) for r in queue] == [(1101, "Иванов Иван", "да")]
    stuck = _rows_of(engineer, "quality", "Дольше всего в текущем статусе (сейчас)")
    assert [r["ticket_id"] for r in stuck] == [1004]
    # the per work type / team / model rows carry no engineer: not shown to an engineer
    stats = _rows_of(engineer, "quality", "Время в статусах: медиана и 90-й процентиль")
    assert {(r["grain_ru"], r["group_name"]) for r in stats} == {("Инженер", "Иванов Иван")}
    reliability = _rows_of(engineer, "quality", "Надёжность оборудования: худшие первыми")
    assert [r["group_name"] for r in reliability] == ["Склад на Варшавке"]


def test_manager_sees_the_contract_projection_and_every_quality_row(admin, loaded):
    projection = {r["client_name"]: r for r in _rows_of(admin, "contracts", "Прогноз перерасхода по договорам (текущий месяц)")}
    # Кубань-Тех: 12 of 20 h used in 10 days, the 20 days ahead weigh twice as much -> 36 h,
    # 16 h x 2 000 = 32 000 ₽, while still under 80% used: the early warning
    kuban = projection["АО Кубань-Тех"]
    assert kuban["projected_overage_rub"] == pytest.approx(32000)
    assert kuban["alert_text"] == "по прогнозу 180\u00a0% к 30.11; перерасход ~16\u00a0ч, 32\u00a0000\u00a0₽"
    assert kuban["projection_status_ru"] == "ранний сигнал"
    assert projection["ООО Ромашка"]["projection_status_ru"] == "в пределах лимита"
    queue = _rows_of(admin, "quality", "Очередь отдела качества")
    assert [r["ticket_id"] for r in queue] == [1102, 1101]  # newest first
    reliability = _rows_of(admin, "quality", "Надёжность оборудования: худшие первыми")
    assert reliability[0]["group_name"] == "Склад на Варшавке"  # 1.33 tickets per unit-year: the worst
def test_engineer_sees_own_live_value_and_month_so_far(superset_url, loaded):
    engineer = SupersetClient(superset_url, "engineer", DEMO_PASSWORD)
    # E001's open ticket only (E003's 1005 is hidden by row-level security)
    first = _rows_of(engineer, "engineer", "Что взять первым: стоимость открытых заявок (сейчас)")
    assert [(r["take_order"], r["ticket_id"], r["value_now_rub"], r["at_stake_rub"]) for r in first] == [
        (1, 1004, 1125.0, 562.5)
    ]
    assert _rows_of(engineer, "engineer", "Премия за месяц: накоплено, ₽")[0]["Накоплено, ₽"] == pytest.approx(4468.75)
    assert _rows_of(engineer, "engineer", "Прогноз премии на конец месяца, ₽")[0]["Прогноз, ₽"] == pytest.approx(6703.13)
    kpi = _rows_of(engineer, "engineer", "Мой KPI за текущий месяц: до следующего множителя")
    assert [r["kpi_next_step"] for r in kpi] == ["ещё 22 заявки в срок — ×1,10"]
    assert kpi[0]["kpi_thresholds"] == "≥ 95 % → ×1,10; < 85 % → ×0,90"


def test_manager_sees_every_engineers_month_and_open_ticket_values(admin, loaded):
    month = _rows_of(admin, "manager", "Премия инженеров: текущий месяц и прогноз")
    assert [(r["full_name"], r["projected_rub"], r["kpi_next_step"]) for r in month] == [
        ("Иванов Иван", 6703.13, "ещё 22 заявки в срок — ×1,10"),
        ("Сидорова Анна", 300.0, "×1,10 есть: следующая заявка с нарушением SLA снимет его"),
        ("Петров Пётр", 202.5, "ещё 5 заявок в срок — ×1,00 вместо ×0,90"),
    ]
    tickets = _rows_of(admin, "manager", "Открытые заявки инженеров: стоимость и очерёдность (сейчас)")
    assert [(r["full_name"], r["ticket_id"], r["value_now_rub"]) for r in tickets] == [
        ("Иванов Иван", 1004, 1125.0), ("Сидорова Анна", 1005, 300.0)
    ]
